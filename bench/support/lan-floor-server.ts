/**
 * The LAN benchmark's floor server (bench/lan.ts; the floor itself is bench/support/floor.ts):
 * a process of its own that bench/lan.ts starts in the "cloud" namespace beside the cloud's
 * deckcast. It serves the floor's pages, script and WebSocket relay under /api/bench-floor/,
 * and forwards the follower pages' image GETs, /decks/<64 hex>/pages/<n>.jpg?w=<digits> and
 * nothing else, to the deckcast at --upstream (the cloud's own, at 127.0.0.1 in the same
 * namespace), so the floor followers' images come from the same server and width as
 * deckcast's followers' do, over the same link.
 *
 *   tsx bench/support/lan-floor-server.ts --port 8090 [--host 0.0.0.0] --upstream http://127.0.0.1:8080
 *
 * Prints "floor listening on <port>" once it listens. Bounded: GET only, at most
 * MAX_FORWARDS image requests open or queued (then 503), MAX_IMAGE_BYTES an image, and
 * FORWARD_TIMEOUT_MS each (then 502/504). Stops on SIGTERM.
 */
import http, { type IncomingMessage, type ServerResponse } from "node:http";
import type { Duplex } from "node:stream";
import { arg } from "./args.ts";
import { FLOOR_WS_PATH, floorAsset, floorRelay } from "./floor.ts";

const MAX_FORWARDS = 1024;
const MAX_IMAGE_BYTES = 8 << 20;
const FORWARD_TIMEOUT_MS = 60_000;
/** The only forwarded shape: a page image of a deck (ids are 64 hex digits), at a width. */
const IMAGE_PATH = /^\/decks\/[0-9a-f]{64}\/pages\/\d{1,5}\.jpg$/;
const IMAGE_QUERY = /^\?w=\d{1,5}$/;

const args = process.argv.slice(2);
const port = Number(arg(args, "port", "8090"));
const host = arg(args, "host", "0.0.0.0");
const upstream = new URL(arg(args, "upstream", "http://127.0.0.1:8080"));
if (upstream.protocol !== "http:") throw new Error(`--upstream must be http://, got ${upstream.href}`);
const agent = new http.Agent({ keepAlive: true, maxSockets: 16 });
let forwards = 0;

function answer(res: ServerResponse, status: number, text: string): void {
  if (res.headersSent) return void res.destroy();
  res.writeHead(status, { "content-type": "text/plain; charset=utf-8", "cache-control": "no-store" }).end(`${text}\n`);
}

/** One image GET passed to the upstream deckcast; its answer read whole (bounded), then sent. */
function forward(res: ServerResponse, pathAndQuery: string): void {
  if (forwards >= MAX_FORWARDS) return answer(res, 503, "too many image requests");
  forwards++;
  let done = false;
  const finish = () => {
    if (!done) (done = true), forwards--;
  };
  let upRes: IncomingMessage | null = null;
  res.once("close", finish);
  const req = http.get({ host: upstream.hostname, port: upstream.port || 80, path: pathAndQuery, agent, timeout: FORWARD_TIMEOUT_MS }, (up) => {
    upRes = up;
    const length = Number(up.headers["content-length"] ?? NaN);
    if (length > MAX_IMAGE_BYTES) {
      up.destroy();
      return answer(res, 502, "upstream image too large");
    }
    const headers: Record<string, string> = { "cache-control": "no-store" };
    for (const h of ["content-type", "content-length", "etag"] as const) {
      const v = up.headers[h];
      if (typeof v === "string") headers[h] = v;
    }
    // Read whole, then sent: the upstream is next door, the page is behind the slow link. Piped,
    // a page's slow reading held the upstream socket idle past its timeout, which cut the answer.
    const chunks: Buffer[] = [];
    let bytes = 0;
    up.on("data", (chunk: Buffer) => {
      bytes += chunk.length;
      if (bytes > MAX_IMAGE_BYTES) {
        up.destroy();
        return answer(res, 502, "upstream image too large");
      }
      chunks.push(chunk);
    });
    up.on("error", () => answer(res, 502, "upstream image cut off"));
    up.on("end", () => {
      if (res.headersSent || bytes > MAX_IMAGE_BYTES) return;
      headers["content-length"] = String(bytes);
      res.writeHead(up.statusCode ?? 502, headers).end(Buffer.concat(chunks));
    });
  });
  req.on("timeout", () => req.destroy(new Error("timeout")));
  req.on("error", (err) => answer(res, err.message === "timeout" ? 504 : 502, "upstream unreachable"));
  // The page went away mid-answer: stop the upstream request too (a finished one is left to the agent).
  res.once("close", () => void (upRes?.complete || req.destroy()));
}

function handle(req: IncomingMessage, res: ServerResponse): void {
  if (req.method !== "GET") return answer(res, 405, "GET only");
  const raw = req.url ?? "/";
  const q = raw.indexOf("?");
  const pathname = q < 0 ? raw : raw.slice(0, q);
  const search = q < 0 ? "" : raw.slice(q);
  const asset = floorAsset(pathname);
  if (asset) {
    res.writeHead(200, { "content-type": asset.type === "html" ? "text/html; charset=utf-8" : "text/javascript; charset=utf-8", "cache-control": "no-store" });
    return void res.end(asset.body);
  }
  if (IMAGE_PATH.test(pathname) && IMAGE_QUERY.test(search)) return forward(res, pathname + search);
  if (pathname === "/favicon.ico") return void res.writeHead(204, { "cache-control": "no-store" }).end();
  answer(res, 404, "not found");
}

const relay = floorRelay();
const server = http.createServer(handle);
server.on("upgrade", (req: IncomingMessage, socket: Duplex, head: Buffer) => {
  socket.on("error", () => socket.destroy());
  if ((req.url ?? "").split("?")[0] === FLOOR_WS_PATH) return relay.handleUpgrade(req, socket, head);
  socket.end("HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 0\r\n\r\n");
});
server.on("clientError", (_err, socket) => socket.destroy());
server.listen(port, host, () => {
  const address = server.address();
  process.stdout.write(`floor listening on ${typeof address === "object" && address ? address.port : port}\n`);
});
process.on("SIGTERM", () => {
  relay.stop();
  server.close();
  server.closeAllConnections();
  agent.destroy();
  process.exit(0);
});
