/**
 * The replay API (docs/archive.md §Replay API), everything under a replay token:
 *
 *   GET /api/replay/<token>/manifest.json        the manifest (no JIDs) plus "live"
 *   GET /api/replay/<token>/index.json           the seek index without keyframe states
 *   GET /api/replay/<token>/seek?t=MS            the room at session time t
 *   GET /api/replay/<token>/bundles?from=&to=    stamped bundles as NDJSON (no audio, no rights)
 *   GET /api/replay/<token>/audio.opus           the session's Ogg Opus stream (Range)
 *   GET /api/replay/<token>/chat.jsonl           the room's chat
 *   GET /api/replay/<token>/download             the whole session as a zip, streamed
 *   GET /api/replay/<token>/export.mp4|webm      the owner's video export, once made
 *
 * A token that is malformed, unknown, expired or revoked — or names a session that is gone —
 * gets one answer: 404 with the same body, after the same lookup (hash, then one map).
 * Nothing here lists sessions or shows a session id to anyone without a token. Every answer
 * is `Cache-Control: no-store` and `Referrer-Policy: no-referrer` (the token is in the path).
 */
import express, { type NextFunction, type Request, type Response, type Router } from "express";
import type { Logger } from "pino";
import { DOWNLOADS_AT_ONCE, REPLAY_MAX_BUNDLES, REPLAY_MAX_BYTES, REPLAY_NOT_FOUND, type ReplayIndex, type ReplaySeek } from "../../protocol/archive.ts";
import { publicBundle, publicManifest, sessionZip, type DeckFiles } from "../archive/download.ts";
import { EXPORT_FORMATS, exportFileName } from "../../protocol/export.ts";
import { AUDIO_FILE } from "../archive/journal.ts";
import { CHAT_FILE } from "../archive/chat-log.ts";
import type { ReplaySource, ReplaySources } from "../archive/replay-source.ts";
import type { ArchiveAccess } from "../archive/shares.ts";
import path from "node:path";
import { createDownloadGate } from "./download-gate.ts";

export interface ReplayRouteDeps {
  access: ArchiveAccess;
  sources: ReplaySources;
  decks: DeckFiles;
  /** The offline player's build (web-client/dist/replay-offline). */
  playerDir: string;
  log: Logger;
}

type WithSource = Response<unknown, { source: ReplaySource }>;

const notFound = (res: Response) => res.status(404).json(REPLAY_NOT_FOUND);
const badRequest = (res: Response, message: string) => res.status(400).json({ error: { code: "bad-request", message } });

/** A query value as a non-negative safe integer, else null. */
function natural(v: unknown): number | null {
  if (typeof v !== "string" || !/^\d{1,15}$/.test(v)) return null;
  const n = Number(v);
  return Number.isSafeInteger(n) ? n : null;
}

export function createReplayRouter(deps: ReplayRouteDeps): Router {
  const router = express.Router();
  const { access, sources, log } = deps;

  router.use((_req, res, next) => {
    res.set("Cache-Control", "no-store").set("Referrer-Policy", "no-referrer");
    next();
  });

  router.use("/:token", async (req: Request<{ token: string }>, res: WithSource, next: NextFunction) => {
    try {
      const grant = access.resolve(req.params.token);
      const source = grant ? await sources.open(grant.session) : null;
      // A share token names a recorded session; a live-only one is reachable by rewind only.
      if (!source || (source.manifest.record === false && grant!.kind !== "rewind")) return notFound(res);
      res.locals.source = source;
      next();
    } catch (err) {
      log.error({ err: (err as Error).message }, "replay request failed");
      notFound(res);
    }
  });

  const route = (name: string, handler: (req: Request, res: WithSource, source: ReplaySource) => Promise<unknown> | unknown) =>
    router.get(`/:token/${name}`, async (req: Request, res: WithSource) => {
      try {
        await handler(req, res, res.locals.source);
      } catch (err) {
        log.error({ route: name, err: (err as Error).message }, "replay request failed");
        if (!res.headersSent) res.status(500).json({ error: { code: "internal", message: "Something went wrong on the server." } });
        else res.destroy();
      }
    });

  route("manifest.json", (_req, res, s) => res.json(publicManifest(s.manifest, s.live)));

  route("index.json", (_req, res, s) => {
    const body: ReplayIndex = s.index.summary(s.journal.lastSeq);
    res.json(body);
  });

  route("seek", async (req, res, s) => {
    const t = natural(req.query.t);
    if (t === null) return badRequest(res, "t is a session time in ms (a whole number ≥ 0).");
    const body: ReplaySeek = await s.index.seek(t, s.read, s.journal.lastSeq);
    res.json(body);
  });

  route("bundles", async (req, res, s) => {
    const last = s.journal.lastSeq;
    const from = natural(req.query.from);
    const to = req.query.to === undefined ? last : natural(req.query.to);
    if (from === null || from < 1 || to === null || to < from) return badRequest(res, "from and to are seq numbers, 1 ≤ from ≤ to.");
    res.type("application/x-ndjson");
    const end = Math.min(to, last, from + REPLAY_MAX_BUNDLES - 1);
    let bytes = 0;
    const out: string[] = [];
    // In slices, so a long range never holds more than one slice's audio in memory.
    for (let at = from; at <= end && bytes < REPLAY_MAX_BYTES; at += 200) {
      for (const b of await s.read(at, Math.min(end, at + 199))) {
        const line = JSON.stringify(publicBundle(b)) + "\n";
        const size = Buffer.byteLength(line);
        if (bytes + size > REPLAY_MAX_BYTES && out.length > 0) {
          bytes = REPLAY_MAX_BYTES;
          break;
        }
        bytes += size;
        out.push(line);
      }
    }
    res.send(out.join(""));
  });

  const file = (name: string, type: string) => (_req: Request, res: WithSource, s: ReplaySource) =>
    new Promise<void>((resolve) => {
      res.sendFile(path.join(s.dir, name), { headers: { "Content-Type": type }, cacheControl: false, lastModified: false, etag: false }, (err) => {
        if (err && !res.headersSent) {
          if ((err as NodeJS.ErrnoException).code === "ENOENT" && name === CHAT_FILE) res.type(type).send("");
          else notFound(res);
        }
        resolve();
      });
    });
  route("audio.opus", file(AUDIO_FILE, "audio/ogg"));
  route("chat.jsonl", file(CHAT_FILE, "application/x-ndjson"));

  const gate = createDownloadGate(DOWNLOADS_AT_ONCE);
  route("download", (_req, res, s) => {
    // A live-only meeting may be rewound while it runs, never taken away as a copy.
    if (s.manifest.record === false) return notFound(res);
    const leave = gate.enter(s.session);
    if (!leave) return res.status(429).set("Retry-After", "10").json({ error: { code: "busy", message: "Too many downloads at once; try again in a moment." } });
    res.once("close", leave);
    res.type("application/zip");
    res.set("Content-Disposition", `attachment; filename="${s.session}.zip"`);
    const zip = sessionZip({ source: s, decks: deps.decks, playerDir: deps.playerDir, log });
    zip.outputStream.on("error", () => res.destroy());
    zip.outputStream.pipe(res);
  });

  // The owner's video export (server/component/features/exports.ts), once finished: export.mp4 / export.webm.
  for (const format of EXPORT_FORMATS) {
    route(exportFileName(format), (_req, res, s) => {
      if (s.manifest.record === false || s.live) return notFound(res);
      res.set("Content-Disposition", `attachment; filename="${s.session}.${format}"`);
      return file(exportFileName(format), format === "mp4" ? "video/mp4" : "video/webm")(_req, res, s);
    });
  }

  router.use((_req, res) => notFound(res));
  return router;
}
