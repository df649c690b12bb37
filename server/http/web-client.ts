/**
 * The browser client: `web-client/dist` (built by Vite, see web-client/build.ts) served
 * as static files, `GET /api/config` with what the client needs to connect, and the
 * single-page fallback: any other GET that accepts HTML (`/`, `/m/<code>`) gets index.html.
 *
 * Hashed assets under /assets/ are immutable; index.html is never cached, so a rebuilt
 * client is picked up on the next load.
 */
import { existsSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import express from "express";
import type { IncomingMessage } from "node:http";
import type { HttpServer } from "./app.ts";
import { WEBSOCKET_PATH } from "./ws-proxy.ts";
import type { ClientConfig } from "../../protocol/client-config.ts";

export const WEB_CLIENT_DIST = path.join(path.dirname(fileURLToPath(import.meta.url)), "..", "..", "web-client", "dist");

/** What GET /api/config answers (web-client/src/app/config.ts reads it). */
export type { ClientConfig };

export interface WebClientOptions {
  domains: ClientConfig["domains"];
  publicUrl?: string | null | undefined;
  /** The base URLs other devices reach the server on, asked at each request (interfaces change). Default none. */
  reachable?: () => readonly string[];
  /** Folder with the built client. Default web-client/dist. */
  dist?: string;
  /** Set on an edge (server/edge/): the central server it serves for. Default null. */
  edge?: ClientConfig["edge"];
  /** The edges registered from a requester's address (server/http/edge-registry.ts). Default none. */
  edgesFor?: (remoteAddress: string) => readonly string[];
  /** The browser's address for a request (behind a trusted reverse proxy, from its headers); default the peer's. */
  addressOf?: (req: IncomingMessage) => string;
}

/** Paths the single-page fallback never answers (APIs and files of other features). */
const NOT_PAGES = /^\/(api|decks|upload|healthz|assets)(\/|$)|^\/xmpp-websocket/;

export function mountWebClient(http: HttpServer, opts: WebClientOptions): void {
  const dist = opts.dist ?? WEB_CLIENT_DIST;
  const fixed = { domains: opts.domains, websocketPath: WEBSOCKET_PATH, publicUrl: opts.publicUrl?.replace(/\/$/, "") || null };
  const router = express.Router();

  router.get("/api/config", (req, res) => {
    const config: ClientConfig = {
      ...fixed,
      reachable: [...(opts.reachable?.() ?? [])],
      edge: opts.edge ?? null,
      edges: [...(opts.edgesFor?.(opts.addressOf?.(req) ?? req.socket.remoteAddress ?? "") ?? [])],
    };
    res.set("Cache-Control", "no-store").json(config);
  });

  router.use(
    "/assets",
    express.static(path.join(dist, "assets"), { immutable: true, maxAge: "1y", index: false, fallthrough: false }),
  );
  router.use(express.static(dist, { index: false, maxAge: 0 }));

  router.get(/.*/, (req, res, next) => {
    if (NOT_PAGES.test(req.path) || !req.accepts("html")) return next();
    const index = path.join(dist, "index.html");
    if (!existsSync(index)) {
      res.status(503).type("text").send("The web client is not built yet: run `npm run build:web` (npm start does it for you).");
      return;
    }
    res.set("Cache-Control", "no-cache").sendFile(index);
  });

  http.mount("/", router);
}
