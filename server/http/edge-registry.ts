/**
 * The central server's edge registry: `POST /api/edges` (operator token, operator.ts) with
 * `{ urls }` (protocol/edge-registry.ts checks it) records the LAN URLs an edge serves
 * followers on, keyed by the address the request came from (the office's public address
 * behind its NAT), for 90 s; an edge re-registers every 30 s. `/api/config` answers the URLs
 * registered from the requester's own address as `edges` (web-client.ts), so only followers
 * in the same office are told about its edge. Clock injected for tests.
 *
 * The source address is the TCP peer's: a reverse proxy in front would make every follower
 * look like one address (set the proxy to pass the client's address through, or run without).
 */
import express from "express";
import type { IncomingMessage } from "node:http";
import type { Logger } from "pino";
import { EDGE_REGISTRY, EDGES_PATH, readEdgeRegistration } from "../../protocol/edge-registry.ts";
import type { HttpServer } from "./app.ts";
import { requireOperator } from "./operator.ts";

export interface EdgeRegistry {
  /** Records `urls` for `address` (replacing what it registered before; none: forgets it). */
  register(address: string, urls: readonly string[]): void;
  /** The URLs registered from `address` and not yet expired. */
  forAddress(address: string): string[];
  /** Registrations held now (for health and tests). */
  size(): number;
}

/** IPv4-mapped IPv6 (`::ffff:1.2.3.4`) and plain IPv4 are one address. */
const key = (address: string) => address.toLowerCase().replace(/^::ffff:(?=\d+\.\d+\.\d+\.\d+$)/, "");

export function createEdgeRegistry(opts: { now?: () => number; ttlMs?: number; maxAddresses?: number } = {}): EdgeRegistry {
  const now = opts.now ?? Date.now;
  const ttl = opts.ttlMs ?? EDGE_REGISTRY.ttlMs;
  const max = opts.maxAddresses ?? EDGE_REGISTRY.maxAddresses;
  const held = new Map<string, { urls: string[]; expires: number }>();
  const sweep = () => {
    const t = now();
    for (const [a, r] of held) if (r.expires <= t) held.delete(a);
  };
  return {
    register(address, urls) {
      sweep();
      const k = key(address);
      held.delete(k); // re-inserted last: the Map's order is the age order
      if (urls.length === 0) return;
      while (held.size >= max) held.delete(held.keys().next().value!);
      held.set(k, { urls: [...urls], expires: now() + ttl });
    },
    forAddress(address) {
      const r = held.get(key(address));
      if (!r) return [];
      if (r.expires <= now()) {
        held.delete(key(address));
        return [];
      }
      return [...r.urls];
    },
    size() {
      sweep();
      return held.size;
    },
  };
}

/** Mounts POST /api/edges. */
export function mountEdgeRegistry(http: HttpServer, o: { registry: EdgeRegistry; operatorToken: string; log: Logger; addressOf?: (req: IncomingMessage) => string }): void {
  const router = express.Router();
  const log = o.log.child({ part: "edges" });
  router.post(
    EDGES_PATH,
    requireOperator(o.operatorToken),
    express.json({ limit: EDGE_REGISTRY.maxBodyBytes, strict: true, type: () => true }),
    (req, res) => {
      res.set("Cache-Control", "no-store");
      const checked = readEdgeRegistration(req.body);
      if (!checked.ok) return void res.status(400).json({ error: checked.error });
      // The same address /api/config and the WebSocket proxy key on (a trusted proxy's browser's).
      const address = o.addressOf?.(req) ?? req.socket.remoteAddress ?? "";
      o.registry.register(address, checked.value.urls);
      log.debug({ address, urls: checked.value.urls }, checked.value.urls.length ? "edge registered" : "edge withdrawn");
      res.json({ ok: true, ttlMs: EDGE_REGISTRY.ttlMs });
    },
  );
  // A body too large or not JSON: the stable code, never the parser's words.
  router.use(EDGES_PATH, ((err, _req, res, next) => {
    const e = err as { type?: string; status?: number };
    if (e?.type === "entity.too.large") return void res.status(413).set("Cache-Control", "no-store").json({ error: { code: "too-large", message: `A registration is at most ${EDGE_REGISTRY.maxBodyBytes} bytes.` } });
    if (e?.status === 400) return void res.status(400).set("Cache-Control", "no-store").json({ error: { code: "bad-request", message: "The body must be JSON." } });
    next(err);
  }) as express.ErrorRequestHandler);
  http.mount("/", router);
}
