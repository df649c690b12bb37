/**
 * What the edge does not answer itself — other GETs of /api/* and /decks/<id>… (deck records,
 * the PDF, manifests, pending uploads) — is passed through to the upstream: the same path and
 * query, only an Accept header sent on, the answer's status, type and caching headers passed
 * back, bounded in size and time (upstream.ts) and in number at once, never kept. A failed
 * upstream is 502/504 with a stable code; too many at once, 503 `edge-busy`.
 */
import express, { type Request, type Response, type Router } from "express";
import type { Logger } from "pino";
import { UPSTREAM_LIMITS } from "./limits.ts";
import { UpstreamError, type Upstream } from "./upstream.ts";

let passing = 0;

const PASSED_BACK = ["cache-control", "etag", "access-control-allow-origin", "retry-after", "location"] as const;

export async function passThrough(upstream: Upstream, req: Request, res: Response, log: Logger): Promise<void> {
  if (passing >= UPSTREAM_LIMITS.maxConcurrentPasses) {
    res.status(503).set("Retry-After", "2").set("Cache-Control", "no-store").json({ error: { code: "edge-busy", message: "The edge is busy; try again shortly." } });
    return;
  }
  passing++;
  try {
    await passOn(upstream, req, res, log);
  } finally {
    passing--;
  }
}

async function passOn(upstream: Upstream, req: Request, res: Response, log: Logger): Promise<void> {
  const accept = typeof req.headers.accept === "string" && req.headers.accept.length <= 256 ? req.headers.accept : "*/*";
  try {
    const up = await upstream.get(req.originalUrl, { accept });
    res.status(up.status);
    if (up.contentType) res.set("Content-Type", up.contentType);
    for (const h of PASSED_BACK) if (up.headers[h]) res.set(h, up.headers[h]);
    res.send(up.body);
  } catch (err) {
    const code = err instanceof UpstreamError ? err.code : "upstream-unavailable";
    log.debug({ path: req.path.slice(0, 200), code }, "pass-through failed");
    res.status(code === "upstream-timeout" ? 504 : 502).set("Cache-Control", "no-store").json({ error: { code, message: "The central server did not answer." } });
  }
}

/** GET /api/* and /decks/* that nothing before answered. */
export function passThroughRouter(o: { upstream: Upstream; log: Logger }): Router {
  const router = express.Router();
  const log = o.log.child({ part: "edge-pass" });
  router.get(/^\/(api|decks)\/.+/, (req, res) => void passThrough(o.upstream, req, res, log));
  return router;
}
