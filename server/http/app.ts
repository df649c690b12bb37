/**
 * The deckcast HTTP server: one express app on loopback (or the configured interface)
 * that features mount their routers and upgrade handlers on. Features call
 * `mount(path, router)`, `upgrade(path, handler)` and `health(part, check)`; the entry point
 * owns listening and shutdown.
 *
 * What every request gets here, before any feature sees it:
 * - the security headers (security-headers.ts) on every answer;
 * - /api/* only for a Host header that names this server (hosts.ts: DNS-rebinding
 *   defence), else 421 {error: {code: "wrong-host"}};
 * - one upgrade router: a WebSocket (or any) upgrade to a path a feature claimed goes to that
 *   feature; any other is answered 404 and closed at once, so no socket is ever left open.
 *   Every upgraded socket is tracked and destroyed by close();
 * - GET /healthz: each registered part's check; 200 when every part is ok, else 503.
 *
 * Node's own limits: headers must arrive within 20 s (headersTimeout), and a socket with no
 * traffic either way for 120 s is closed (server.timeout). The whole-request timeout is off
 * (requestTimeout 0): an upload may take long on a slow link, and upload bodies have their own
 * idle timeout (server/decks/upload/receive.ts).
 */
import http, { type IncomingMessage } from "node:http";
import type { AddressInfo } from "node:net";
import type { Duplex } from "node:stream";
import express, { type Router } from "express";
import type { Logger } from "pino";
import { hostPolicy, isOwnHost, type HostPolicy } from "./hosts.ts";
import { securityHeadersMiddleware } from "./security-headers.ts";

/** Takes an upgrade request; owns `socket` from then on (answer it, pipe it or destroy it). */
export type UpgradeHandler = (req: IncomingMessage, socket: Duplex, head: Buffer) => void;

/** One part's state in /healthz. */
export interface HealthPart {
  ok: boolean;
  [detail: string]: unknown;
}

export interface HttpServerOptions {
  log: Logger;
  /** Host names /api/* answers to besides localhost and IP literals (see hosts.ts). */
  hosts?: HostPolicy;
  /** DECKCAST_PUBLIC_URL: the web client may connect there too (Content-Security-Policy). */
  publicUrl?: string | null;
  /** Longest wait for a request's headers. Default 20 s. */
  headersTimeoutMs?: number;
  /** A socket with no traffic for this long is closed. Default 120 s. */
  socketIdleMs?: number;
}

export interface HttpServer {
  app: express.Express;
  /** Mounts a feature's router under `path` (e.g. "/decks"). */
  mount(path: string, router: Router): void;
  /** Claims upgrade requests whose path (without query) is exactly `path`; returns an unclaim. */
  upgrade(path: string, handler: UpgradeHandler): () => void;
  /** Adds a part to /healthz; `check` must be quick and must not throw (a throw reads as not ok). */
  health(part: string, check: () => HealthPart): void;
  /** The parts' states now, and whether all are ok (what /healthz answers). */
  healthReport(): { ok: boolean; parts: Record<string, HealthPart> };
  /** Upgraded sockets still open (any handler's). */
  openUpgrades(): number;
  /** Starts listening; resolves with the bound port. */
  listen(port: number, host?: string): Promise<number>;
  /** The http.Server (for tests; features use `upgrade`). */
  server: http.Server;
  /** Closes every connection, upgraded ones included, and stops listening. */
  close(): Promise<void>;
}

/** The answer to an upgrade nobody claimed (and the router's other refusals). */
export function rawHttpError(socket: Duplex, status: number, reason: string, code: string, message: string, extraHeaders: Record<string, string> = {}): void {
  const body = JSON.stringify({ error: { code, message } });
  const head = [
    `HTTP/1.1 ${status} ${reason}`,
    "Connection: close",
    "Content-Type: application/json; charset=utf-8",
    `Content-Length: ${Buffer.byteLength(body)}`,
    "Cache-Control: no-store",
    ...Object.entries(extraHeaders).map(([k, v]) => `${k}: ${v}`),
  ];
  endAndDestroy(socket, head.join("\r\n") + "\r\n\r\n" + body);
}

/**
 * Writes `data` and closes the socket for good: sockets of Node's HTTP server allow half-open
 * connections, so end() alone would keep the descriptor until the peer closes its side.
 */
export function endAndDestroy(socket: Duplex, data?: string): void {
  if (socket.destroyed) return;
  const timer = setTimeout(() => socket.destroy(), 2000);
  timer.unref();
  socket.end(data ?? "", () => {
    clearTimeout(timer);
    socket.destroy();
  });
}

export function createHttpServer(opts: HttpServerOptions): HttpServer {
  const { log } = opts;
  const hosts = opts.hosts ?? hostPolicy();
  const app = express();
  app.disable("x-powered-by");
  const server = http.createServer(app);
  server.headersTimeout = opts.headersTimeoutMs ?? 20_000;
  server.requestTimeout = 0;
  server.timeout = opts.socketIdleMs ?? 120_000;

  app.use(securityHeadersMiddleware(opts.publicUrl));
  app.use("/api", (req, res, next) => {
    if (isOwnHost(req.headers.host, hosts)) return next();
    log.warn({ host: String(req.headers.host ?? "").slice(0, 100), path: req.path.slice(0, 100) }, "api request for another host refused");
    res.status(421).set("Cache-Control", "no-store").json({ error: { code: "wrong-host", message: "This server does not answer for that host name." } });
  });

  // A mounted router must be added before the catch-alls below: collect them first.
  const feature = express.Router();
  app.use(feature);

  const checks = new Map<string, () => HealthPart>([["http", () => ({ ok: true })]]);
  const healthReport = () => {
    const parts: Record<string, HealthPart> = {};
    for (const [name, check] of checks) {
      try {
        parts[name] = check();
      } catch (err) {
        parts[name] = { ok: false, error: (err as Error).message };
      }
    }
    return { ok: Object.values(parts).every((p) => p.ok), parts };
  };
  app.get("/healthz", (_req, res) => {
    const report = healthReport();
    res.status(report.ok ? 200 : 503).set("Cache-Control", "no-store").json(report);
  });

  const upgrades = new Map<string, UpgradeHandler>();
  const upgraded = new Set<Duplex>();
  server.on("upgrade", (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    upgraded.add(socket);
    socket.once("close", () => upgraded.delete(socket));
    socket.on("error", (err: Error) => {
      log.debug({ err: err.message }, "upgraded socket error");
      socket.destroy();
    });
    const url = req.url ?? "";
    const q = url.indexOf("?");
    const handler = upgrades.get(q < 0 ? url : url.slice(0, q));
    if (!handler) {
      rawHttpError(socket, 404, "Not Found", "not-found", "Nothing upgrades at this path.");
      return;
    }
    try {
      handler(req, socket, head);
    } catch (err) {
      log.error({ err: (err as Error).message }, "upgrade handler failed");
      socket.destroy();
    }
  });

  return {
    app,
    server,
    mount(path, router) {
      feature.use(path, router);
    },
    upgrade(path, handler) {
      if (upgrades.has(path)) throw new Error(`an upgrade handler for ${path} exists already`);
      upgrades.set(path, handler);
      return () => {
        if (upgrades.get(path) === handler) upgrades.delete(path);
      };
    },
    health(part, check) {
      checks.set(part, check);
    },
    healthReport,
    openUpgrades: () => upgraded.size,
    listen(port, host = "127.0.0.1") {
      return new Promise((resolve, reject) => {
        server.once("error", reject);
        server.listen(port, host, () => {
          server.off("error", reject);
          const bound = (server.address() as AddressInfo).port;
          log.info({ port: bound, host }, "http listening");
          resolve(bound);
        });
      });
    },
    close() {
      return new Promise((resolve) => {
        for (const s of upgraded) s.destroy();
        upgraded.clear();
        server.closeAllConnections();
        server.close(() => resolve());
      });
    },
  };
}
