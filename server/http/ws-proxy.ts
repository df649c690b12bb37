/**
 * Same-origin XMPP over WebSocket (RFC 7395): `GET /xmpp-websocket` with a WebSocket upgrade
 * on the deckcast HTTP port is joined, byte for byte, to Prosody's own WebSocket endpoint on
 * loopback. Browsers then need one URL and one port for everything (page, decks, XMPP), and a
 * LAN or https deployment only has to expose the deckcast port.
 *
 * No WebSocket library is involved: Prosody does the handshake, framing and pings itself.
 * What the proxy guarantees, since anyone reaching the HTTP port can send it anything:
 * - Only a complete, valid handshake is forwarded (RFC 6455 §4.2.1): GET over HTTP/1.1,
 *   `Upgrade: websocket`, `Connection: upgrade`, a `Sec-WebSocket-Key` that is base64 of 16
 *   bytes, `Sec-WebSocket-Version: 13`. Anything else is answered 400 and closed.
 * - The request Prosody sees is rebuilt, not relayed: the request line is always
 *   `GET /xmpp-websocket HTTP/1.1` (never the client's path or query) and only the headers a
 *   WebSocket handshake needs are copied (plus X-Forwarded-For).
 * - Nothing the client sends reaches Prosody until Prosody has answered `101 Switching
 *   Protocols`: with any other answer (or none), the client gets that status (or 502/504) and
 *   both sockets are closed, so the tunnel can never carry a second HTTP request to another
 *   Prosody path.
 * - Time: Prosody must connect and answer 101 within `handshakeTimeoutMs` (5 s; else 504).
 *   An open tunnel with no traffic either way for `idleTimeoutMs` (20 min: Prosody pings a
 *   client silent for 14 min, so a live one is never cut) is closed; TCP keepalive (60 s)
 *   finds peers that vanished; when one side closes its half, the other gets 10 s to follow.
 * - Count: at most `maxConnections` (400) tunnels in all and `maxPerAddress` (50) per remote
 *   address, handshakes included; over either the answer is 503 and the socket is closed.
 * - stop() destroys every tunnel at once (SIGTERM never waits on a browser).
 *
 * The same proxy carries an edge's followers up to a distant deckcast server (server/edge/):
 * `upstream` then names that server's WebSocket (host, port, path, TLS) instead of Prosody's.
 */
import net from "node:net";
import tls from "node:tls";
import type { IncomingMessage } from "node:http";
import type { Duplex } from "node:stream";
import type { Logger } from "pino";
import { NO_TRUSTED_PROXIES, requestClient, type TrustedProxies } from "./trusted-proxies.ts";
import { rawHttpError, type HttpServer } from "./app.ts";

export const WEBSOCKET_PATH = "/xmpp-websocket";

/** Defaults, stated once (server/config.ts reads the overrides from the environment). */
export const WS_PROXY_DEFAULTS = {
  handshakeTimeoutMs: 5000,
  idleTimeoutMs: 20 * 60_000,
  keepAliveMs: 60_000,
  halfCloseGraceMs: 10_000,
  maxConnections: 400,
  maxPerAddress: 50,
} as const;

/** The handshake headers copied to Prosody (lower-case name → name as sent). */
const FORWARDED = new Map([
  ["sec-websocket-key", "Sec-WebSocket-Key"],
  ["sec-websocket-version", "Sec-WebSocket-Version"],
  ["sec-websocket-protocol", "Sec-WebSocket-Protocol"],
  ["origin", "Origin"],
  ["user-agent", "User-Agent"],
]);
/** Largest response head Prosody may send before the tunnel opens. */
const MAX_RESPONSE_HEAD = 16 * 1024;

/** Where the tunnels go when it is not Prosody on loopback (an edge's distant deckcast server). */
export interface WsUpstream {
  host: string;
  port: number;
  /** The upstream's WebSocket path (its /api/config `websocketPath`). */
  path: string;
  /** Connect with TLS (a wss:// upstream). */
  tls: boolean;
  /** The Host header sent (the upstream's `host[:port]`). */
  hostHeader: string;
}

export interface WsProxyOptions {
  /** Prosody's HTTP port on 127.0.0.1 (where mod_websocket listens); ignored when `upstream` is set. */
  prosodyHttpPort: number;
  /** Somewhere else to carry the tunnels (default Prosody on 127.0.0.1:prosodyHttpPort). */
  upstream?: WsUpstream;
  log: Logger;
  /** Prosody must connect and answer 101 within this. Default 5 s. */
  handshakeTimeoutMs?: number;
  /** @deprecated the old name of handshakeTimeoutMs */
  connectTimeoutMs?: number;
  /** A tunnel with no traffic for this long is closed. Default 20 min. */
  idleTimeoutMs?: number;
  /** TCP keepalive delay on both sockets. Default 60 s. */
  keepAliveMs?: number;
  /** Open tunnels (and handshakes) at most, in all. Default 400. */
  maxConnections?: number;
  /** … and per remote address. Default 50. */
  maxPerAddress?: number;
  /**
   * The per-address limit for one address, when it is not maxPerAddress: an office's edge
   * (server/edge/) carries all its followers from one address, so the address an edge
   * registered from (with the operator token) gets room for an office (EDGE_MAX_PER_ADDRESS).
   */
  perAddressLimit?: (address: string) => number;
  /** Reverse proxies whose X-Forwarded-For / X-Forwarded-Proto are believed (default none). */
  trustedProxies?: TrustedProxies;
}

/** Tunnels from an address an edge registered from: an office's followers, up to the total. */
export const EDGE_MAX_PER_ADDRESS = 400;

export interface WsProxy {
  /** Open proxied connections, with the upgrade request that opened each (tests drop some). */
  connections(): { request: IncomingMessage; destroy(): void }[];
  /** How many client sockets the proxy holds now (handshakes and tunnels). */
  openCount(): number;
  /** Closes every proxied connection and stops handling upgrades. */
  stop(): void;
}

/** Why a handshake is refused, or null when it is complete and valid. */
export function handshakeProblem(req: Pick<IncomingMessage, "method" | "httpVersion" | "headers">): string | null {
  if (req.method !== "GET") return "the method must be GET";
  if (req.httpVersion !== "1.1") return "the request must be HTTP/1.1";
  const tokens = (v: string | string[] | undefined) => (Array.isArray(v) ? v.join(",") : v ?? "").toLowerCase().split(",").map((t) => t.trim());
  if (!tokens(req.headers.upgrade).includes("websocket")) return "Upgrade must be websocket";
  if (!tokens(req.headers.connection).includes("upgrade")) return "Connection must include upgrade";
  const key = req.headers["sec-websocket-key"];
  if (typeof key !== "string" || !/^[A-Za-z0-9+/]{21}[AQgw]==$/.test(key.trim())) return "Sec-WebSocket-Key must be base64 of 16 bytes";
  if (req.headers["sec-websocket-version"] !== "13") return "Sec-WebSocket-Version must be 13";
  return null;
}

/**
 * The request Prosody (or the upstream) gets: fixed request line, only the handshake's own
 * headers, and who the browser is: X-Forwarded-For its address, and X-Forwarded-Proto https
 * when a trusted reverse proxy says it used https (trusted-proxies.ts; from anyone else
 * those headers are dropped).
 */
export function upstreamRequest(req: Pick<IncomingMessage, "headers" | "socket">, prosodyHttpPort: number, target?: Pick<WsUpstream, "path" | "hostHeader">, proxies: TrustedProxies = NO_TRUSTED_PROXIES): string {
  const lines = [`GET ${target?.path ?? WEBSOCKET_PATH} HTTP/1.1`, `Host: ${target?.hostHeader ?? `127.0.0.1:${prosodyHttpPort}`}`, "Upgrade: websocket", "Connection: Upgrade"];
  for (const [lower, name] of FORWARDED) {
    const v = req.headers[lower];
    if (typeof v === "string" && v.length <= 1024) lines.push(`${name}: ${v.trim()}`);
  }
  const browser = requestClient(req, proxies);
  lines.push(`X-Forwarded-For: ${browser.address}`);
  if (browser.https) lines.push("X-Forwarded-Proto: https");
  return lines.join("\r\n") + "\r\n\r\n";
}

export function setupWsProxy(http: Pick<HttpServer, "upgrade">, opts: WsProxyOptions): WsProxy {
  const log = opts.log.child({ part: "ws-proxy" });
  const o = {
    handshakeTimeoutMs: opts.handshakeTimeoutMs ?? opts.connectTimeoutMs ?? WS_PROXY_DEFAULTS.handshakeTimeoutMs,
    idleTimeoutMs: opts.idleTimeoutMs ?? WS_PROXY_DEFAULTS.idleTimeoutMs,
    keepAliveMs: opts.keepAliveMs ?? WS_PROXY_DEFAULTS.keepAliveMs,
    maxConnections: opts.maxConnections ?? WS_PROXY_DEFAULTS.maxConnections,
    maxPerAddress: opts.maxPerAddress ?? WS_PROXY_DEFAULTS.maxPerAddress,
  };
  const open = new Map<Duplex, { request: IncomingMessage; upstream: net.Socket; address: string }>();
  const perAddress = new Map<string, number>();
  let stopped = false;

  const onUpgrade = (req: IncomingMessage, client: Duplex, head: Buffer) => {
    const problem = handshakeProblem(req);
    if (problem) return rawHttpError(client, 400, "Bad Request", "bad-handshake", `Not a WebSocket handshake: ${problem}.`);
    // Behind a trusted reverse proxy every browser comes from its address: count each browser's own.
    const address = requestClient(req, opts.trustedProxies).address;
    const mine = perAddress.get(address) ?? 0;
    if (stopped || open.size >= o.maxConnections || mine >= (opts.perAddressLimit?.(address) ?? o.maxPerAddress)) {
      log.warn({ address, open: open.size, fromAddress: mine }, "websocket refused: too many connections");
      return rawHttpError(client, 503, "Service Unavailable", "too-many-connections", "Too many open connections; try again later.", { "Retry-After": "10" });
    }

    const target = opts.upstream;
    const upstream: net.Socket = !target
      ? net.connect({ host: "127.0.0.1", port: opts.prosodyHttpPort })
      : target.tls
        ? tls.connect({ host: target.host, port: target.port, servername: net.isIP(target.host) ? undefined : target.host })
        : net.connect({ host: target.host, port: target.port });
    upstream.setNoDelay(true);
    open.set(client, { request: req, upstream, address });
    perAddress.set(address, mine + 1);
    let tunnel = false;
    let closed = false;

    /** Forgets the connection in the counts; true the first time only. */
    const forget = (): boolean => {
      if (closed) return false;
      closed = true;
      clearTimeout(handshakeTimer);
      open.delete(client);
      const n = (perAddress.get(address) ?? 1) - 1;
      if (n > 0) perAddress.set(address, n);
      else perAddress.delete(address);
      return true;
    };
    const close = (why?: string) => {
      if (!forget()) return;
      if (why) log.debug({ why }, "websocket proxy connection closed");
      client.destroy();
      upstream.destroy();
    };

    const handshakeTimer = setTimeout(() => {
      log.warn({ ms: o.handshakeTimeoutMs }, "prosody did not answer the websocket handshake in time");
      refuseBeforeTunnel(504, "Gateway Timeout", "upstream-timeout", "The XMPP server did not answer in time.");
    }, o.handshakeTimeoutMs);

    client.on("error", (err: Error) => close(err.message));
    client.on("close", () => close());
    upstream.on("error", (err: Error) => {
      // Prosody down or restarting: the browser sees a failed handshake and reconnects.
      if (!tunnel) refuseBeforeTunnel(502, "Bad Gateway", "upstream-unavailable", "The XMPP server is not reachable.");
      else close(err.message);
    });
    upstream.on("close", () => {
      if (!tunnel) refuseBeforeTunnel(502, "Bad Gateway", "upstream-unavailable", "The XMPP server closed the connection.");
      else close();
    });

    // Nothing from the client is read until the tunnel opens.
    client.pause();
    upstream.once(target?.tls ? "secureConnect" : "connect", () => {
      upstream.write(upstreamRequest(req, opts.prosodyHttpPort, target, opts.trustedProxies));
      let response = Buffer.alloc(0);
      const onData = (chunk: Buffer) => {
        response = Buffer.concat([response, chunk]);
        const end = response.indexOf("\r\n\r\n");
        if (end < 0) {
          if (response.length > MAX_RESPONSE_HEAD) refuseBeforeTunnel(502, "Bad Gateway", "upstream-bad-answer", "The XMPP server answered with something unexpected.");
          return;
        }
        upstream.off("data", onData);
        const status = /^HTTP\/1\.1 (\d{3})/.exec(response.subarray(0, Math.min(end, 64)).toString("latin1"))?.[1];
        if (status !== "101") {
          log.warn({ status: status ?? "?" }, "prosody refused the websocket handshake");
          // Only the status travels back: Prosody's body or headers are not the client's business.
          return refuseBeforeTunnel(502, "Bad Gateway", "upstream-refused", `The XMPP server refused the connection (${status ?? "no status"}).`);
        }
        openTunnel(response);
      };
      upstream.on("data", onData);
    });

    /** Before the tunnel opens: answer the client and close both. */
    function refuseBeforeTunnel(status: number, reason: string, code: string, message: string) {
      if (tunnel || !forget()) return;
      upstream.destroy();
      rawHttpError(client, status, reason, code, message);
    }

    function openTunnel(response: Buffer) {
      tunnel = true;
      clearTimeout(handshakeTimer);
      const socket = client as net.Socket;
      if (typeof socket.setNoDelay === "function") socket.setNoDelay(true);
      if (typeof socket.setKeepAlive === "function") socket.setKeepAlive(true, o.keepAliveMs);
      upstream.setKeepAlive(true, o.keepAliveMs);
      // Activity on either side counts: the client's socket sees writes of Prosody's data too.
      client.on("timeout", () => close("idle"));
      if (typeof socket.setTimeout === "function") socket.setTimeout(o.idleTimeoutMs);
      client.write(response);
      if (head.length > 0) upstream.write(head);
      // One side ends its half: pass it on, and give the other side a while to follow.
      const onEnd = () => setTimeout(() => close("half-closed"), WS_PROXY_DEFAULTS.halfCloseGraceMs).unref();
      client.once("end", onEnd);
      upstream.once("end", onEnd);
      upstream.pipe(client);
      client.pipe(upstream);
      client.resume();
    }
  };

  const unclaim = http.upgrade(WEBSOCKET_PATH, onUpgrade);
  return {
    connections: () => [...open.entries()].map(([client, { request }]) => ({ request, destroy: () => client.destroy() })),
    openCount: () => open.size,
    stop() {
      stopped = true;
      unclaim();
      for (const [client, { upstream }] of open) {
        client.destroy();
        upstream.destroy();
      }
      open.clear();
      perAddress.clear();
    },
  };
}
