/**
 * Deck endpoints, all under the deck's content address (sha256 of its source), so every
 * response for a deck id is the same forever: cacheable with `immutable`, ETag'd, and
 * safe to put behind any cache. Ids are checked to be 64 hex digits before any file is
 * touched, so no path can escape the store. See docs/protocol.md §Decks.
 *
 *   GET /decks/<id>                  DeckInfo JSON (per-page text with ?text=1)
 *   GET /decks/<id>/deck.pdf         the PDF
 *   GET /decks/<id>/pages/<n>.jpg?w= page n as JPEG, width snapped to IMAGE_WIDTHS
 *   GET /decks/<id>/thumbs/<n>.jpg   page n, 240 px wide
 *   GET /decks/<id>/manifest?w=      every page at w and every thumb, with sha256 and size (protocol/deck-prefetch.ts)
 *   GET /decks/pending/<slot>        an upload's deck: 303 to /decks/<id> when ready, else its status
 *
 * The wire shapes are protocol's: paths, widths and image names in protocol/deck-urls.ts,
 * the record in protocol/deck-info.ts, the status JSON in protocol/deck-status.ts.
 */
import express, { type Request, type Response, type Router } from "express";
import type { Logger } from "pino";
import type { DeckInfo } from "../../protocol/deck-info.ts";
import { encodeDeckStatusJson } from "../../protocol/deck-status.ts";
import { deckInfoUrl, pageOfImageName, THUMB_WIDTH, widthOfQuery } from "../../protocol/deck-urls.ts";
import { deckError } from "../decks/errors.ts";
import { DeckManifests } from "../decks/manifest.ts";
import type { DeckService } from "../decks/service.ts";
import { isDeckId } from "../decks/types.ts";
import type { UploadTracker } from "../decks/upload/status.ts";
import { sendError } from "./upload-routes.ts";

export interface DeckRouteDeps {
  service: DeckService;
  tracker: UploadTracker;
  /** Shared with the phone bridge (server/decks/setup.ts); made here when not given. */
  manifests?: DeckManifests;
  log: Logger;
}

const IMMUTABLE = "public, max-age=31536000, immutable";

export function createDeckRouter(deps: DeckRouteDeps): Router {
  const router = express.Router();
  const { service } = deps;
  const manifests = deps.manifests ?? new DeckManifests(service);

  router.use((_req, res, next) => {
    res.set("Access-Control-Allow-Origin", "*");
    next();
  });

  router.get("/pending/:slot", (req: Request<{ slot: string }>, res: Response) => {
    const status = deps.tracker.get(req.params.slot);
    if (!status) return sendError(res, deckError("unknown-slot"));
    res.set("Cache-Control", "no-store");
    if (status.state === "ready" && status.deck) {
      res.redirect(303, deckInfoUrl(status.deck));
    } else if (status.state === "failed") {
      sendError(res, deckError(status.code ?? "internal", status.message));
    } else {
      res.status(202).json(encodeDeckStatusJson(status));
    }
  });

  // Every other route names a deck: check the id once, before any file is touched.
  router.param("id", (req, res, next, id: string) => {
    if (!isDeckId(id) || !service.has(id)) return sendError(res, deckError("unknown-deck"));
    next();
  });

  router.get("/:id", (req: Request<{ id: string }>, res: Response) => {
    const record = service.get(req.params.id)!;
    const withText = req.query.text === "1";
    if (cached(req, res, `"${record.id}${withText ? "-t" : ""}"`)) return;
    const { text, ...rest } = record;
    const body: DeckInfo = withText ? { ...rest, text } : rest;
    res.json(body);
  });

  router.get("/:id/deck.pdf", (req: Request<{ id: string }>, res: Response) => {
    const { id } = req.params;
    if (cached(req, res, `"${id}"`)) return;
    res.type("application/pdf");
    sendFile(res, service.pdfPath(id));
  });

  const image = (fixedWidth?: number) => async (req: Request<{ id: string; file: string }>, res: Response) => {
    const page = pageOfImageName(req.params.file);
    if (page === null) return sendError(res, deckError("bad-request", "Page images are named <page>.jpg."));
    const width = fixedWidth ?? widthOfQuery(req.query.w);
    if (cached(req, res, `"${req.params.id}-${page}-${width}"`)) return;
    const made = await service.pageImage(req.params.id, page, width);
    if (!made.ok) return sendError(res, made.error);
    res.type("image/jpeg");
    sendFile(res, made.value);
  };
  router.get("/:id/pages/:file", image());
  router.get("/:id/thumbs/:file", image(THUMB_WIDTH));
  // The first ask renders every page at the width; later asks read the hashes kept beside the images.
  router.get("/:id/manifest", async (req: Request<{ id: string }>, res: Response) => {
    const width = widthOfQuery(req.query.w);
    if (cached(req, res, `"${req.params.id}-m-${width}"`)) return;
    const made = await manifests.get(req.params.id, width);
    if (!made.ok) return sendError(res, made.error);
    res.json(made.value);
  });
  // Anything else under /decks (deck.json, source files, made-up paths) is not served.
  router.use((_req, res) => sendError(res, deckError("unknown-deck")));

  return router;

  /** Sets the immutable caching headers; answers 304 when the client already has this ETag. */
  function cached(req: Request, res: Response, etag: string): boolean {
    res.set("Cache-Control", IMMUTABLE).set("ETag", etag);
    const inm = req.headers["if-none-match"];
    if (inm && inm.split(",").some((t) => t.trim() === etag || t.trim() === `W/${etag}`)) {
      res.status(304).end();
      return true;
    }
    return false;
  }

  function sendFile(res: Response, path: string): void {
    res.sendFile(path, { etag: false, lastModified: false, cacheControl: false }, (err) => {
      if (!err) return;
      if (res.headersSent) {
        deps.log.debug({ path, err: err.message }, "deck file transfer ended early");
      } else {
        deps.log.error({ path, err: err.message }, "deck file missing");
        sendError(res, deckError("internal"));
      }
    });
  }
}
