/**
 * The edge's deck images: GET /decks/<id>/pages/<n>.jpg?w= and /decks/<id>/thumbs/<n>.jpg
 * answered from the blob cache (blob-cache.ts). Which bytes an image URL must be comes from
 * the upstream's manifest for that deck and width (protocol/deck-prefetch.ts, held in memory,
 * a bounded number, one fetch per deck × width however many ask at once); the blob is then
 * fetched from the upstream at most once per hash and checked against it. Each LAN thus
 * carries each deck's images over the uplink once, however many followers ask.
 *
 * When the upstream gives no manifest (an older server, or it is unreachable) the image is
 * passed through unverified and not kept (pass-through.ts), so the edge never stores bytes
 * nobody vouched for. Upstream bytes that do not match the manifest are answered 502
 * `upstream-mismatch`.
 */
import express, { type Request, type Response, type Router } from "express";
import type { Logger } from "pino";
import { deckManifestUrl, readDeckManifest, type DeckManifest, type DeckManifestEntry } from "../../protocol/deck-prefetch.ts";
import { pageOfImageName, THUMB_WIDTH, widthOfQuery } from "../../protocol/deck-urls.ts";
import { BlobCacheError, type BlobCache } from "./blob-cache.ts";
import { Slots, SlotsFull } from "../slots.ts";
import { UPSTREAM_LIMITS } from "./limits.ts";
import { passThrough } from "./pass-through.ts";
import type { Upstream } from "./upstream.ts";

const IMMUTABLE = "public, max-age=31536000, immutable";
const DECK_ID = /^[0-9a-f]{64}$/;

/** The upstream's manifests, by deck and width: a bounded LRU, concurrent asks share one fetch. */
export class ManifestCache {
  readonly #held = new Map<string, Promise<DeckManifest | null>>();
  constructor(private readonly upstream: Upstream, private readonly log: Logger, private readonly max: number = UPSTREAM_LIMITS.maxManifests) {}

  /** The manifest, or null when the upstream has none to give (not cached, so it is asked again). */
  get(deck: string, width: number): Promise<DeckManifest | null> {
    const key = `${deck}@${width}`;
    const held = this.#held.get(key);
    if (held) {
      this.#held.delete(key);
      this.#held.set(key, held);
      return held;
    }
    const made = this.#fetch(deck, width).then((m) => {
      if (!m) this.#held.delete(key);
      return m;
    });
    this.#held.set(key, made);
    while (this.#held.size > this.max) this.#held.delete(this.#held.keys().next().value!);
    return made;
  }

  /** Any manifest already held for `deck` (thumbnails are the same in all of them). */
  anyHeld(deck: string): Promise<DeckManifest | null> | null {
    for (const [key, m] of this.#held) if (key.startsWith(`${deck}@`)) return m;
    return null;
  }

  async #fetch(deck: string, width: number): Promise<DeckManifest | null> {
    try {
      const res = await this.upstream.get(deckManifestUrl(deck, width), { maxBytes: UPSTREAM_LIMITS.maxManifestBytes, accept: "application/json" });
      if (res.status !== 200) return null;
      const read = readDeckManifest(JSON.parse(res.body.toString("utf8")), { deck, width });
      if (!read.ok) {
        this.log.warn({ deck, width, error: read.error.code }, "the upstream's manifest is not valid");
        return null;
      }
      return read.value;
    } catch (err) {
      this.log.debug({ deck, width, err: (err as Error).message }, "no manifest from the upstream");
      return null;
    }
  }
}


export function deckImagesRouter(o: { upstream: Upstream; cache: BlobCache; manifests: ManifestCache; log: Logger }): Router {
  const router = express.Router();
  const log = o.log.child({ part: "edge-images" });
  // Image fetches to the upstream at once, and waiting behind them: past that, 503 edge-busy at once.
  const slots = new Slots(UPSTREAM_LIMITS.maxConcurrentFetches, { maxWaiting: UPSTREAM_LIMITS.maxWaitingFetches });

  const image = (kind: "page" | "thumb") => async (req: Request<{ id: string; file: string }>, res: Response) => {
    res.set("Access-Control-Allow-Origin", "*");
    const deck = req.params.id;
    const page = pageOfImageName(req.params.file);
    if (!DECK_ID.test(deck) || page === null) return passThrough(o.upstream, req, res, log);
    const width = kind === "thumb" ? THUMB_WIDTH : widthOfQuery(req.query.w);
    const manifest = await (kind === "thumb" ? (o.manifests.anyHeld(deck) ?? o.manifests.get(deck, width)) : o.manifests.get(deck, width));
    const entry: DeckManifestEntry | undefined = manifest?.[kind === "page" ? "pages" : "thumbs"][page - 1];
    if (!entry) return passThrough(o.upstream, req, res, log);
    const etag = `"${entry.sha256}"`;
    res.set("Cache-Control", IMMUTABLE).set("ETag", etag);
    if (req.headers["if-none-match"] === etag) return void res.status(304).end();
    try {
      const got = await o.cache.get(entry.sha256, () =>
        slots.run(async () => {
          const up = await o.upstream.get(entry.url, { maxBytes: entry.bytes, accept: "image/jpeg" });
          if (up.status !== 200) throw new Error(`the upstream answered ${up.status}`);
          return up.body;
        }),
      );
      res.set("X-Deckcast-Edge", got.from).type("image/jpeg").send(got.bytes);
    } catch (err) {
      if (err instanceof SlotsFull) {
        res.status(503).set("Cache-Control", "no-store").set("Retry-After", "5").removeHeader("ETag");
        return void res.json({ error: { code: "edge-busy", message: "The edge is fetching too many images; try again in a moment." } });
      }
      const code = err instanceof BlobCacheError && err.code === "mismatch" ? "upstream-mismatch" : "upstream-unavailable";
      res.status(502).set("Cache-Control", "no-store").removeHeader("ETag");
      res.json({ error: { code, message: code === "upstream-mismatch" ? "The central server's image does not match its manifest." : "The central server did not give the image." } });
    }
  };
  router.get("/decks/:id/pages/:file", image("page"));
  router.get("/decks/:id/thumbs/:file", image("thumb"));
  return router;
}
