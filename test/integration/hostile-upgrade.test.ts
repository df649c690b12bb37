/**
 * Upgrades nobody asked for (issue 9 item 7): the deckcast HTTP server with its XMPP
 * WebSocket proxy in front of a private Prosody, assembled as `npm start` does (without the
 * decks feature), and raw TCP sockets that speak just enough HTTP. Every upgrade that is not
 * a complete handshake to the one proxied path is answered and closed; none is left open.
 */
import net from "node:net";
import { readdir } from "node:fs/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import pino from "pino";
import WebSocket from "ws";
import { createHttpServer, type HttpServer } from "../../server/http/app.ts";
import { setupWsProxy, type WsProxy } from "../../server/http/ws-proxy.ts";
import { startXmpp, type TestXmpp } from "../support/deckcast.ts";

let env: TestXmpp;
let http: HttpServer;
let proxy: WsProxy;
let port: number;
beforeAll(async () => {
  const log = pino({ level: process.env.DECKCAST_TEST_LOG ?? "silent" });
  env = await startXmpp({ log });
  http = createHttpServer({ log });
  proxy = setupWsProxy(http, { prosodyHttpPort: env.xmpp.websocketPort, log });
  port = await http.listen(0, "127.0.0.1");
});
afterAll(async () => {
  proxy?.stop();
  // Bounded: before the fix, a leaked upgrade socket kept close() waiting forever.
  await Promise.race([http?.close(), new Promise((r) => setTimeout(r, 5000))]);
  await env?.cleanup();
});

const KEY = "dGhlIHNhbXBsZSBub25jZQ=="; // RFC 6455's sample key: base64 of 16 bytes

/** What a raw upgrade request got back within `ms`: the status line, and whether the server closed. */
function upgrade(path: string, headers: string[] = [`Sec-WebSocket-Key: ${KEY}`, "Sec-WebSocket-Version: 13"], ms = 10_000): Promise<{ status: string | null; closed: boolean; socket: net.Socket }> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: "127.0.0.1", port });
    let data = "";
    let closed = false;
    const done = () => {
      clearTimeout(timer);
      resolve({ status: data ? data.split("\r\n")[0]! : null, closed, socket });
    };
    const timer = setTimeout(done, ms);
    socket.on("data", (d) => (data += d.toString("latin1")));
    socket.on("error", () => undefined);
    // The server ending its side is the answer being complete: the socket is closed for us.
    socket.on("end", () => {
      closed = true;
      socket.destroy();
      done();
    });
    socket.on("connect", () => {
      socket.write([`GET ${path} HTTP/1.1`, `Host: 127.0.0.1:${port}`, "Upgrade: websocket", "Connection: Upgrade", ...headers, "", ""].join("\r\n"));
    });
  });
}

async function openFds(): Promise<number> {
  return (await readdir("/proc/self/fd")).length;
}
function serverConnections(): Promise<number> {
  return new Promise((resolve, reject) => http.server.getConnections((err, n) => (err ? reject(err) : resolve(n))));
}

describe("upgrades to paths nobody serves", () => {
  it("GET /anything with Upgrade: websocket is answered and closed", async () => {
    const r = await upgrade("/anything");
    r.socket.destroy();
    expect(r.status ?? "no answer", "an answer").toMatch(/^HTTP\/1\.1 4\d\d /);
    expect(r.closed, "the server closed the connection").toBe(true);
  });

  it("300 such requests leave no sockets open", async () => {
    const fdsBefore = await openFds();
    const results = [];
    for (let batch = 0; batch < 6; batch++) {
      results.push(...(await Promise.all(Array.from({ length: 50 }, (_, i) => upgrade(`/x${batch}-${i}?q=${"a".repeat(i)}`, undefined, 3000)))));
    }
    for (const r of results) r.socket.destroy();
    expect(results.filter((r) => r.status === null).length, "requests never answered").toBe(0);
    expect(results.filter((r) => !r.closed).length, "connections the server left open").toBe(0);
    let open = await serverConnections();
    for (const until = Date.now() + 10_000; open > 0 && Date.now() < until; open = await serverConnections()) await new Promise((r) => setTimeout(r, 50));
    expect(open, "connections the HTTP server still holds").toBe(0);
    expect(await openFds(), "file descriptors of this process").toBeLessThanOrEqual(fdsBefore + 5);
  });

  it("an upgrade to the proxied path without a key is refused (400) and closed; the path's look-alikes are not proxied", async () => {
    const keyless = await upgrade("/xmpp-websocket", ["Sec-WebSocket-Version: 13"]);
    keyless.socket.destroy();
    expect(keyless.status ?? "no answer").toMatch(/^HTTP\/1\.1 400 /);
    expect(keyless.closed).toBe(true);
    for (const path of ["/xmpp-websocketX", "/xmpp-websocket/../admin", "//xmpp-websocket"]) {
      const r = await upgrade(path);
      r.socket.destroy();
      expect(r.status ?? "no answer", path).not.toMatch(/^HTTP\/1\.1 101 /);
      expect(r.closed, `${path} is closed`).toBe(true);
    }
  });

  it("a real WebSocket client still reaches Prosody through /xmpp-websocket", async () => {
    const ws = new WebSocket(`ws://127.0.0.1:${port}/xmpp-websocket`, "xmpp");
    const opened = await new Promise<boolean>((resolve) => {
      ws.once("open", () => resolve(true));
      ws.once("error", () => resolve(false));
    });
    expect(opened).toBe(true);
    const reply = new Promise<string>((resolve) => ws.once("message", (d) => resolve(d.toString())));
    ws.send(`<open xmlns="urn:ietf:params:xml:ns:xmpp-framing" to="${env.prosody.domains.accounts}" version="1.0"/>`);
    expect(await reply).toMatch(/<open /);
    ws.close();
  });
});
