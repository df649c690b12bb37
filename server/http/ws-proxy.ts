/**
 * Same-origin XMPP over WebSocket (RFC 7395): `GET /xmpp-websocket` with `Upgrade: websocket`
 * on the deckcast HTTP port is piped, byte for byte, to Prosody's own WebSocket endpoint on
 * loopback. Browsers then need one URL and one port for everything (page, decks, XMPP), and a
 * LAN or https deployment only has to expose the deckcast port.
 *
 * No WebSocket library is involved: the upgrade request is re-sent to Prosody as it came
 * (plus X-Forwarded-For) and the two sockets are joined, so Prosody does the handshake,
 * framing and pings itself. Other upgrade paths are left to other handlers (phone bridge).
 */
import net from "node:net";
import type { IncomingMessage } from "node:http";
import type { Duplex } from "node:stream";
import type { Logger } from "pino";
import type { HttpServer } from "./app.ts";

export const WEBSOCKET_PATH = "/xmpp-websocket";

export interface WsProxyOptions {
  /** Prosody's HTTP port on 127.0.0.1 (where mod_websocket listens). */
  prosodyHttpPort: number;
  log: Logger;
  /** Upstream connect timeout. Default 5000 ms. */
  connectTimeoutMs?: number;
}

export interface WsProxy {
  /** Open proxied connections, with the upgrade request that opened each (tests drop some). */
  connections(): { request: IncomingMessage; destroy(): void }[];
  /** Closes every proxied connection and stops handling upgrades. */
  stop(): void;
}

export function setupWsProxy(http: Pick<HttpServer, "server">, opts: WsProxyOptions): WsProxy {
  const log = opts.log.child({ part: "ws-proxy" });
  const open = new Map<Duplex, { request: IncomingMessage; upstream: net.Socket }>();

  const onUpgrade = (req: IncomingMessage, client: Duplex, head: Buffer) => {
    const path = (req.url ?? "").split("?")[0];
    if (path !== WEBSOCKET_PATH) return; // not ours: another upgrade handler may take it
    const upstream = net.connect({ host: "127.0.0.1", port: opts.prosodyHttpPort });
    upstream.setNoDelay(true);
    upstream.setTimeout(opts.connectTimeoutMs ?? 5000, () => upstream.destroy(new Error("connect timeout")));
    open.set(client, { request: req, upstream });

    const close = (why?: Error) => {
      if (!open.delete(client)) return;
      if (why) log.debug({ err: why.message }, "websocket proxy connection closed on error");
      client.destroy();
      upstream.destroy();
    };
    client.on("error", close);
    client.on("close", () => close());
    upstream.on("error", (err) => {
      // Prosody down or restarting: the browser sees a failed handshake and reconnects.
      if (!client.writableEnded && (client as net.Socket).bytesWritten === 0) {
        client.end("HTTP/1.1 502 Bad Gateway\r\nConnection: close\r\nContent-Length: 0\r\n\r\n");
      }
      close(err);
    });
    upstream.on("close", () => close());

    upstream.once("connect", () => {
      upstream.setTimeout(0);
      const lines = [`${req.method ?? "GET"} ${req.url ?? WEBSOCKET_PATH} HTTP/1.1`];
      for (let i = 0; i < req.rawHeaders.length; i += 2) {
        const name = req.rawHeaders[i]!;
        if (name.toLowerCase() === "x-forwarded-for") continue;
        lines.push(`${name}: ${req.rawHeaders[i + 1]}`);
      }
      lines.push(`X-Forwarded-For: ${req.socket.remoteAddress ?? "unknown"}`);
      upstream.write(lines.join("\r\n") + "\r\n\r\n");
      if (head.length > 0) upstream.write(head);
      if (client instanceof net.Socket) client.setNoDelay(true);
      upstream.pipe(client);
      client.pipe(upstream);
    });
  };

  http.server.on("upgrade", onUpgrade);
  return {
    connections: () => [...open.entries()].map(([client, { request }]) => ({ request, destroy: () => client.destroy() })),
    stop() {
      http.server.off("upgrade", onUpgrade);
      for (const [client, { upstream }] of open) {
        client.destroy();
        upstream.destroy();
      }
      open.clear();
    },
  };
}
