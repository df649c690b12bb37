/**
 * The https reverse proxy docker/README.md tells operators to put in front of deckcast's
 * published port, as small as the deploy test needs: node:https on 127.0.0.1 with a
 * self-signed pair made by the `openssl` CLI, forwarding requests (bodies streamed) and
 * WebSocket upgrades to one plain-http target, with X-Forwarded-For (the client's address,
 * replacing any the client sent) and X-Forwarded-Proto: https. Timeouts on connecting and on
 * idle sockets; close() ends every socket it holds, upgraded ones included.
 */
import { execFile } from "node:child_process";
import { readFile } from "node:fs/promises";
import { request as httpRequest, type IncomingHttpHeaders } from "node:http";
import { createServer, type Server } from "node:https";
import { connect, type Socket } from "node:net";
import { join } from "node:path";
import { promisify } from "node:util";

/** Idle time after which a proxied socket (an XMPP WebSocket too) is closed: well above a test's pauses. */
const IDLE_MS = 10 * 60_000;
const CONNECT_MS = 10_000;
const HOP_BY_HOP = new Set(["connection", "keep-alive", "proxy-connection", "transfer-encoding", "upgrade", "te", "trailer", "x-forwarded-for", "x-forwarded-proto", "x-forwarded-host"]);

export interface TlsProxy {
  /** https://127.0.0.1:<port> */
  url: string;
  port: number;
  /** The certificate (PEM): clients pass it as `ca`. */
  cert: Buffer;
  close(): Promise<void>;
}

/** A self-signed pair for localhost and 127.0.0.1, written into `dir`. */
export async function selfSignedPair(dir: string): Promise<{ key: Buffer; cert: Buffer }> {
  const key = join(dir, "proxy.key");
  const cert = join(dir, "proxy.crt");
  await promisify(execFile)("openssl", ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1", "-keyout", key, "-out", cert], { timeout: 30_000 });
  return { key: await readFile(key), cert: await readFile(cert) };
}

function forwarded(headers: IncomingHttpHeaders, client: string): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const [k, v] of Object.entries(headers)) if (v !== undefined && !HOP_BY_HOP.has(k)) out[k] = v;
  out["x-forwarded-for"] = client;
  out["x-forwarded-proto"] = "https";
  return out;
}

/** Starts the proxy on 127.0.0.1 (a free port) in front of http://127.0.0.1:`targetPort`. */
export async function startTlsProxy(o: { dir: string; targetPort: number }): Promise<TlsProxy> {
  const { key, cert } = await selfSignedPair(o.dir);
  const sockets = new Set<Socket>();
  const track = (s: Socket) => {
    sockets.add(s);
    s.once("close", () => sockets.delete(s));
  };
  const server: Server = createServer({ key, cert }, (req, res) => {
    const client = req.socket.remoteAddress ?? "unknown";
    const up = httpRequest({ host: "127.0.0.1", port: o.targetPort, method: req.method, path: req.url, headers: forwarded(req.headers, client), timeout: CONNECT_MS }, (upRes) => {
      const headers: Record<string, string | string[]> = {};
      for (const [k, v] of Object.entries(upRes.headers)) if (v !== undefined && !HOP_BY_HOP.has(k)) headers[k] = v;
      res.writeHead(upRes.statusCode ?? 502, headers);
      upRes.pipe(res);
    });
    up.on("timeout", () => up.destroy(new Error("upstream timed out")));
    up.on("error", () => {
      if (!res.headersSent) res.writeHead(502).end();
      else res.destroy();
    });
    req.pipe(up);
  });
  server.headersTimeout = 15_000;
  server.requestTimeout = 0; // uploads stream for as long as they take; idle sockets time out below
  server.on("connection", (s: Socket) => {
    track(s);
    s.setTimeout(IDLE_MS, () => s.destroy());
  });
  server.on("upgrade", (req, socket: Socket, head: Buffer) => {
    const client = req.socket.remoteAddress ?? "unknown";
    const up = connect({ host: "127.0.0.1", port: o.targetPort });
    track(up);
    const timer = setTimeout(() => up.destroy(new Error("upstream connect timed out")), CONNECT_MS);
    up.once("connect", () => {
      clearTimeout(timer);
      const headers = forwarded(req.headers, client);
      headers.connection = "Upgrade";
      headers.upgrade = String(req.headers.upgrade ?? "websocket");
      const lines = [`${req.method} ${req.url} HTTP/1.1`];
      for (const [k, v] of Object.entries(headers)) for (const one of Array.isArray(v) ? v : [v]) lines.push(`${k}: ${one}`);
      up.write(`${lines.join("\r\n")}\r\n\r\n`);
      if (head.length) up.write(head);
      up.pipe(socket);
      socket.pipe(up);
      up.setTimeout(IDLE_MS, () => up.destroy());
    });
    const end = () => {
      clearTimeout(timer);
      up.destroy();
      socket.destroy();
    };
    up.on("error", end);
    up.on("close", end);
    socket.on("error", end);
    socket.on("close", end);
  });
  await new Promise<void>((res, rej) => {
    server.once("error", rej);
    server.listen(0, "127.0.0.1", () => res());
  });
  const { port } = server.address() as { port: number };
  return {
    url: `https://127.0.0.1:${port}`,
    port,
    cert,
    close: () =>
      new Promise<void>((res) => {
        server.close(() => res());
        for (const s of sockets) s.destroy();
      }),
  };
}
