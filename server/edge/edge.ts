/**
 * The edge (`deckcast edge`, docs/architecture.md §Edges): one HTTP server on the LAN in front
 * of a distant deckcast server. It serves the web client (server/http/web-client.ts, with its
 * own /api/config: the upstream's XMPP domains, `edge: {upstream}`, its LAN URLs as
 * `reachable`), relays the XMPP WebSocket frame for frame to the upstream's
 * (server/http/ws-proxy.ts, the same limits as on the server; never parsed), serves deck
 * images from its content-addressed cache (deck-images.ts, blob-cache.ts), passes other GETs of
 * /api/* and /decks/* through (pass-through.ts), answers /api/health, registers with the
 * upstream (register.ts) and, with --lan, announces itself over mDNS as role "edge".
 * Composition only: each part is its own module.
 */
import os from "node:os";
import type { Logger } from "pino";
import { readEdgeFields, type ClientConfig } from "../../protocol/client-config.ts";
import { createHttpServer, type HttpServer } from "../http/app.ts";
import { hostPolicy } from "../http/hosts.ts";
import { reachableUrls } from "../http/addresses.ts";
import { mountWebClient } from "../http/web-client.ts";
import { setupWsProxy, type WsProxy } from "../http/ws-proxy.ts";
import { announceOnLan, type LanAnnouncement } from "../lan/lan-mode.ts";
import { createBlobCache, type BlobCache } from "./blob-cache.ts";
import { deckImagesRouter, ManifestCache } from "./deck-images.ts";
import type { EdgeSettings } from "./args.ts";
import { passThroughRouter } from "./pass-through.ts";
import { startRegistration, type Registration } from "./register.ts";
import { createUpstream, type Upstream } from "./upstream.ts";
import express from "express";

export interface EdgeOptions extends EdgeSettings {
  log: Logger;
  /** Folder with the built web client (default web-client/dist). */
  dist?: string;
  /** WebSocket limits (default the server's, ws-proxy.ts). */
  ws?: { maxConnections?: number; maxPerAddress?: number };
}

export interface RunningEdge {
  port: number;
  /** The base URLs followers on the LAN open (empty when bound to loopback). */
  urls: string[];
  upstream: Upstream;
  cache: BlobCache;
  http: HttpServer;
  wsProxy: WsProxy;
  registration: Registration;
  stop(): Promise<void>;
}

/** The upstream's /api/config: what the edge's own config is made from. */
async function upstreamConfig(upstream: Upstream): Promise<ClientConfig> {
  const res = await upstream.get("/api/config", { maxBytes: 64 * 1024, timeoutMs: 10_000, accept: "application/json" });
  if (res.status !== 200) throw new Error(`${upstream.base}/api/config answered ${res.status}`);
  const c = JSON.parse(res.body.toString("utf8")) as ClientConfig;
  const name = /^[A-Za-z0-9.-]{1,253}$/;
  const d = c?.domains;
  if (!d || ![d.accounts, d.guests, d.muc, d.component].every((x) => typeof x === "string" && name.test(x)) || typeof c.websocketPath !== "string" || !/^\/[A-Za-z0-9/_-]{0,100}$/.test(c.websocketPath)) {
    throw new Error(`${upstream.base}/api/config is not a deckcast config`);
  }
  return c;
}

export async function startEdge(o: EdgeOptions): Promise<RunningEdge> {
  const log = o.log.child({ part: "edge" });
  const upstream = createUpstream(o.upstream);
  const config = await upstreamConfig(upstream);
  if (readEdgeFields(config).edge) throw new Error(`${upstream.base} is itself an edge: point --upstream at the central server`);

  const cache = createBlobCache({ dir: o.cacheDir, maxBytes: o.cacheBytes, log });
  await cache.open();
  const manifests = new ManifestCache(upstream, log);

  // The page may also talk to the upstream (manifests, and the fall back when the edge goes).
  const http = createHttpServer({ log, hosts: hostPolicy({ boundHost: o.host, extra: [os.hostname(), `${os.hostname()}.local`] }), publicUrl: upstream.base });
  let boundPort = 0;
  const urls = () => (boundPort ? reachableUrls(o.host, boundPort, os.networkInterfaces()) : []);

  let registration: Registration | null = null;
  const health = express.Router();
  health.get("/api/health", (_req, res) => {
    const up = upstream.reachability();
    const body = { ok: up.reachable, upstream: { url: upstream.base, reachable: up.reachable, lastAnswerAt: up.lastAnswerAt || null, registration: registration?.state() ?? "not yet" }, cache: cache.stats(), websockets: wsProxy.openCount() };
    res.status(body.ok ? 200 : 503).set("Cache-Control", "no-store").json(body);
  });
  http.mount("/", health);
  http.mount("/", deckImagesRouter({ upstream, cache, manifests, log }));
  mountWebClient(http, { domains: config.domains, publicUrl: null, reachable: urls, edge: { upstream: upstream.base }, ...(o.dist ? { dist: o.dist } : {}) });
  http.mount("/", passThroughRouter({ upstream, log }));

  const target = new URL(upstream.base);
  const tls = target.protocol === "https:";
  const wsProxy = setupWsProxy(http, {
    prosodyHttpPort: 0,
    upstream: { host: target.hostname.replace(/^\[|\]$/g, ""), port: Number(target.port || (tls ? 443 : 80)), path: config.websocketPath, tls, hostHeader: target.host },
    log,
    ...(o.ws?.maxConnections ? { maxConnections: o.ws.maxConnections } : {}),
    ...(o.ws?.maxPerAddress ? { maxPerAddress: o.ws.maxPerAddress } : {}),
  });
  http.health("upstream", () => ({ ok: upstream.reachability().reachable }));

  boundPort = await http.listen(o.port, o.host);
  const registering = startRegistration({ upstream, token: o.token, urls, log });
  registration = registering;
  // The same announcement as the server's LAN mode: each LAN address of the bound host, a failure logged.
  const announcement: LanAnnouncement | null = o.lan ? announceOnLan({ name: `deckcast edge on ${os.hostname()}`.slice(0, 60), role: "edge", bindHost: o.host, port: boundPort, interfaces: os.networkInterfaces(), log }) : null;
  log.info({ port: boundPort, host: o.host, upstream: upstream.base, urls: urls(), lan: o.lan }, "edge listening");

  return {
    port: boundPort,
    urls: urls(),
    upstream,
    cache,
    http,
    wsProxy,
    registration: registering,
    async stop() {
      await registering.stop();
      await announcement?.stop().catch(() => undefined);
      wsProxy.stop();
      await http.close();
    },
  };
}
