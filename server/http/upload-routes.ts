/**
 * Upload endpoints (XEP-0363's HTTP side): PUT /upload/<slot>?token=… stores the file and
 * answers 201 {slot, sha256} as soon as it is stored and queued for conversion — the
 * conversion's progress then arrives as deck-status messages (and GET /upload/<slot>/status).
 * A body silent for the slots' `uploadIdleMs` (30 s) is cut off and the slot can be used
 * again (receive.ts). See docs/protocol.md §Decks.
 */
import { mkdir } from "node:fs/promises";
import express, { type Request, type Response, type Router } from "express";
import type { Logger } from "pino";
import { MAX_DECK_MESSAGE, type DeckErrorBody } from "../../protocol/deck-errors.ts";
import { deckText, encodeDeckStatusJson } from "../../protocol/deck-status.ts";
import { deckError, httpStatus, type DeckError } from "../decks/errors.ts";
import type { DeckService } from "../decks/service.ts";
import { receiveUpload } from "../decks/upload/receive.ts";
import type { Slot, SlotIssuer } from "../decks/upload/slots.ts";
import type { UploadTracker } from "../decks/upload/status.ts";

export interface UploadRouteDeps {
  slots: SlotIssuer;
  service: DeckService;
  tracker: UploadTracker;
  /** Where uploads are received before they enter the store (same file system as the store). */
  uploadDir: string;
  /** Resolves once leftovers of a previous run are gone from uploadDir. */
  ready?: Promise<unknown>;
  log: Logger;
}

export function createUploadRouter(deps: UploadRouteDeps): Router {
  const router = express.Router();
  const ready = Promise.resolve(deps.ready).then(() => mkdir(deps.uploadDir, { recursive: true }));

  // The token in the URL is the only credential (no cookies), so any origin may PUT.
  router.use((req, res, next) => {
    res.set("Access-Control-Allow-Origin", "*");
    if (req.method === "OPTIONS") {
      res.set("Access-Control-Allow-Methods", "PUT, GET").set("Access-Control-Allow-Headers", "Content-Type").set("Access-Control-Max-Age", "600");
      res.status(204).end();
      return;
    }
    next();
  });

  router.put("/:slot", async (req: Request<{ slot: string }>, res: Response) => {
    const checked = deps.slots.verify(req.params.slot, req.query.token);
    if (!checked.ok) return sendError(res, checked.error);
    const slot = checked.value;
    if (slot.used || slot.receiving) return sendError(res, deckError("slot-used"));
    const length = req.headers["content-length"];
    if (length === undefined || Number(length) !== slot.size) {
      return sendError(res, deckError("size-mismatch", `Content-Length must be ${slot.size}, the size declared for the slot.`));
    }
    slot.receiving = true;
    let received;
    try {
      await ready;
      received = await receiveUpload(req, deps.uploadDir, slot.size, { idleMs: deps.slots.limits.uploadIdleMs });
    } finally {
      slot.receiving = false;
    }
    if (!received.ok) {
      deps.log.info({ slot: slot.id, code: received.error.code }, "upload not stored");
      if (!res.headersSent && !req.socket.destroyed) sendError(res, received.error);
      return;
    }
    slot.used = true;
    const { path, sha256 } = received.value;
    deps.log.info({ slot: slot.id, jid: slot.jid, bytes: received.value.bytes, deck: sha256 }, "upload stored");
    deps.tracker.update(slot.jid, { slot: slot.id, state: "uploaded", deck: sha256, message: `${slot.filename} was uploaded.` });
    res.status(201).json({ slot: slot.id, sha256 });
    // Convert after answering: the request never waits for LibreOffice.
    try {
      await convertAndReport(deps, slot, path, sha256);
    } catch (err) {
      deps.log.error({ slot: slot.id, deck: sha256, err: (err as Error).message }, "deck pipeline threw");
      deps.tracker.update(slot.jid, { slot: slot.id, state: "failed", deck: sha256, code: "internal", message: deckError("internal").message });
    }
  });

  router.get("/:slot/status", (req: Request<{ slot: string }>, res: Response) => {
    const status = deps.tracker.get(req.params.slot);
    if (!status) return sendError(res, deckError("unknown-slot"));
    res.set("Cache-Control", "no-store").json(encodeDeckStatusJson(status));
  });

  return router;
}

/** Runs the deck pipeline on a stored upload and tells the uploader each step. */
async function convertAndReport(deps: UploadRouteDeps, slot: Slot, path: string, sha256: string): Promise<void> {
  let lastProgress = -1;
  const outcome = await deps.service.ingest(path, {
    sha256, move: true, name: slot.filename,
    onProgress: (progress) => {
      if (progress === lastProgress) return;
      lastProgress = progress;
      deps.tracker.update(slot.jid, { slot: slot.id, state: "converting", deck: sha256, progress, message: `Converting ${slot.filename}…` });
    },
  });
  if (outcome.ok) {
    const { pages, title } = outcome.value;
    deps.tracker.update(slot.jid, { slot: slot.id, state: "ready", deck: sha256, pages, title, message: `${title} is ready: ${pages} ${pages === 1 ? "page" : "pages"}.` });
  } else {
    deps.tracker.update(slot.jid, { slot: slot.id, state: "failed", deck: sha256, code: outcome.error.code, message: outcome.error.message });
  }
}

/** JSON error body shared by the deck and upload routes: {error: {code, message}} (protocol/deck-errors.ts). */
export function sendError(res: Response, error: DeckError): void {
  const body: DeckErrorBody = { error: { code: error.code, message: deckText(error.message, MAX_DECK_MESSAGE) } };
  res.status(httpStatus(error.code)).set("Cache-Control", "no-store").json(body);
}
