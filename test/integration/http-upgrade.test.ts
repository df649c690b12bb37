/**
 * The HTTP server's upgrades, as an outsider on the HTTP port would try them, against the
 * real XMPP WebSocket proxy in front of a real private Prosody: an upgrade to a path nobody
 * claimed is answered and closed (300 of them leave no descriptor open); the proxy takes only
 * a complete handshake to its one path, answers a stalled or missing Prosody, closes idle and
 * half-closed tunnels, bounds how many tunnels one address and everyone may hold, and a real
 * XMPP client still logs in through it.
 */
import { readdirSync } from "node:fs";
import net from "node:net";
import { client } from "@xmpp/client";
import pino from "pino";
import WebSocket from "ws";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createHttpServer, type HttpServer } from "../../server/http/app.ts";
import { setupWsProxy, type WsProxy } from "../../server/http/ws-proxy.ts";
import { startXmpp, type TestXmpp } from "../support/deckcast.ts";

// Node 20 has no global WebSocket; @xmpp/websocket looks for one.
if (!("WebSocket" in globalThis)) Object.assign(globalThis, { WebSocket });

const log = pino({ level: process.env.DECKCAST_TEST_LOG ?? "silent" });
const KEY = "dGhlIHNhbXBsZSBub25jZQ==";

interface Front {
  http: HttpServer;
  proxy: WsProxy;
  port: number;
}

let env: TestXmpp;
const fronts: Front[] = [];
const sockets: net.Socket[] = [];

async function front(opts: Partial<Parameters<typeof setupWsProxy>[1]> = {}): Promise<Front> {
  const http = createHttpServer({ log });
  const proxy = setupWsProxy(http, { prosodyHttpPort: env.xmpp.websocketPort, log, ...opts });
  const port = await http.listen(0, "127.0.0.1");
  const f = { http, proxy, port };
  fronts.push(f);
  return f;
}

/** What one raw socket saw: every byte it received, and whether the server closed it. */
interface Raw {
  socket: net.Socket;
  text(): string;
  closed: Promise<void>;
  /** Resolves with the text once `pattern` appears (rejects if the socket closes first or after `ms`). */
  until(pattern: RegExp, ms?: number): Promise<string>;
}

function raw(port: number, request: string, localAddress?: string): Promise<Raw> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: "127.0.0.1", port, ...(localAddress ? { localAddress } : {}) });
    sockets.push(socket);
    let got = "";
    let isClosed = false;
    const changed = new Set<() => void>();
    const closed = new Promise<void>((r) => socket.once("close", () => {
      isClosed = true;
      for (const f of changed) f();
      r();
    }));
    socket.on("error", () => undefined);
    socket.on("data", (b) => {
      got += b.toString("latin1");
      for (const f of changed) f();
    });
    const until = (pattern: RegExp, ms = 10_000) =>
      new Promise<string>((res, rej) => {
        const done = (err?: Error) => {
          clearTimeout(timer);
          changed.delete(check);
          if (err) rej(err);
          else res(got);
        };
        const check = () => {
          if (pattern.test(got)) done();
          else if (isClosed) done(new Error(`closed before ${pattern}; got ${JSON.stringify(got.slice(0, 200))}`));
        };
        const timer = setTimeout(() => done(new Error(`no ${pattern} within ${ms} ms; got ${JSON.stringify(got.slice(0, 200))}`)), ms);
        changed.add(check);
        check();
      });
    socket.once("connect", () => {
      socket.off("error", reject);
      socket.write(request);
      resolve({ socket, text: () => got, closed, until });
    });
    socket.once("error", reject);
  });
}

const upgradeTo = (path: string, headers: Record<string, string> = {}) =>
  [
    `GET ${path} HTTP/1.1`,
    "Host: 127.0.0.1",
    "Upgrade: websocket",
    "Connection: Upgrade",
    ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`),
    "",
    "",
  ].join("\r\n");

const handshake = (path = "/xmpp-websocket", extra: Record<string, string> = {}) =>
  upgradeTo(path, { "Sec-WebSocket-Key": KEY, "Sec-WebSocket-Version": "13", "Sec-WebSocket-Protocol": "xmpp", ...extra });

/** Waits for `ms` at most for the socket to be closed by the server; tells whether it was. */
async function closedWithin(r: Raw, ms = 10_000): Promise<boolean> {
  return Promise.race([r.closed.then(() => true), new Promise<boolean>((res) => setTimeout(() => res(false), ms))]);
}

const openFds = () => readdirSync("/proc/self/fd").length;

/** Waits until `cond` holds (for waiting, never for timing). */
async function waitFor(cond: () => boolean, ms = 15_000, what = "condition"): Promise<void> {
  const until = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

beforeAll(async () => {
  env = await startXmpp();
});

afterAll(async () => {
  for (const s of sockets) s.destroy();
  for (const f of fronts) {
    f.proxy.stop();
    await f.http.close();
  }
  await env?.cleanup();
});

describe("an upgrade to a path nobody claimed", () => {
  it("is answered 404 and closed at once; 300 of them leave no descriptor open", async () => {
    const { port } = await front();
    const before = openFds();
    const all = await Promise.all(Array.from({ length: 300 }, (_, i) => raw(port, upgradeTo(i % 2 ? `/anything/${i}` : "/phone"))));
    const answered = await Promise.all(all.map((r) => r.until(/^HTTP\/1\.1 404 /)));
    expect(answered.filter((t) => !t.includes('"code":"not-found"')), "404s without the not-found code").toEqual([]);
    // The server closes each one; none of ours is ended by us.
    const closed = await Promise.all(all.map((r) => closedWithin(r)));
    expect(closed.filter((c) => !c).length).toBe(0);
    await waitFor(() => openFds() <= before + 5, 10_000, "the descriptors to be released");
    // HTTP still answers.
    const res = await fetch(`http://127.0.0.1:${port}/healthz`);
    expect(res.status).toBe(200);
  });
});

describe("the XMPP WebSocket proxy", () => {
  it("answers a handshake without a key 400 and closes it; nothing reaches Prosody", async () => {
    const { port } = await front();
    const r = await raw(port, upgradeTo("/xmpp-websocket", { "Sec-WebSocket-Version": "13" }) + "GET /xmpp-websocket/../admin HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
    const text = await r.until(/^HTTP\/1\.1 400 /);
    expect(text).toContain('"code":"bad-handshake"');
    expect(await closedWithin(r)).toBe(true);
    expect(text).not.toMatch(/HTTP\/1\.1 (101|200|404)/); // only our one answer
  });

  it("refuses a bad key, a wrong version and a POST", async () => {
    const { port } = await front();
    for (const req of [
      upgradeTo("/xmpp-websocket", { "Sec-WebSocket-Key": "c2hvcnQ=", "Sec-WebSocket-Version": "13" }),
      upgradeTo("/xmpp-websocket", { "Sec-WebSocket-Key": KEY, "Sec-WebSocket-Version": "8" }),
      handshake().replace(/^GET/, "POST"),
    ]) {
      const r = await raw(port, req);
      await r.until(/^HTTP\/1\.1 400 /);
      expect(await closedWithin(r)).toBe(true);
    }
  });

  it("does not proxy paths that only look like its own", async () => {
    const { port } = await front();
    for (const path of ["/xmpp-websocket/../admin", "/xmpp-websocketX", "/xmpp-websocket/", "/XMPP-WEBSOCKET", "http://127.0.0.1/xmpp-websocket"]) {
      const r = await raw(port, handshake(path));
      const text = await r.until(/^HTTP\/1\.1 \d{3} /);
      expect(text, path).toMatch(/^HTTP\/1\.1 404 /);
      expect(await closedWithin(r), path).toBe(true);
    }
  });

  it("opens a tunnel to Prosody for a valid handshake, whatever query it carries", async () => {
    const { port, proxy } = await front();
    const r = await raw(port, handshake("/xmpp-websocket?x=/../admin"));
    const text = await r.until(/\r\n\r\n/);
    expect(text).toMatch(/^HTTP\/1\.1 101 /);
    expect(text).toMatch(/Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK\+xOo=/i);
    expect(proxy.openCount()).toBe(1);
    r.socket.destroy();
    await waitFor(() => proxy.openCount() === 0, 10_000, "the tunnel to close");
  });

  it("answers 502 when Prosody is not there", async () => {
    const free = net.createServer();
    await new Promise<void>((r) => free.listen(0, "127.0.0.1", r));
    const deadPort = (free.address() as net.AddressInfo).port;
    await new Promise<void>((r) => free.close(() => r()));
    const { port } = await front({ prosodyHttpPort: deadPort });
    const r = await raw(port, handshake());
    await r.until(/^HTTP\/1\.1 502 /);
    expect(await closedWithin(r)).toBe(true);
  });

  it("answers 504 when Prosody accepts but does not answer the handshake (stopped with SIGSTOP)", async () => {
    const { port, proxy } = await front({ handshakeTimeoutMs: 500 });
    const pid = env.xmpp.health().pid!;
    process.kill(pid, "SIGSTOP");
    try {
      const r = await raw(port, handshake());
      await r.until(/^HTTP\/1\.1 504 /, 15_000);
      expect(await closedWithin(r)).toBe(true);
      expect(proxy.openCount()).toBe(0);
    } finally {
      process.kill(pid, "SIGCONT");
    }
  });

  it("closes a tunnel that stays silent longer than the idle timeout", async () => {
    const { port, proxy } = await front({ idleTimeoutMs: 300 });
    const r = await raw(port, handshake());
    await r.until(/^HTTP\/1\.1 101 /);
    expect(await closedWithin(r, 15_000)).toBe(true);
    expect(proxy.openCount()).toBe(0);
  });

  it("closes a tunnel whose client closed its half", async () => {
    const { port, proxy } = await front();
    const r = await raw(port, handshake());
    await r.until(/^HTTP\/1\.1 101 /);
    r.socket.end();
    expect(await closedWithin(r, 20_000)).toBe(true);
    await waitFor(() => proxy.openCount() === 0, 10_000, "the tunnel to be forgotten");
  });

  it("holds at most maxPerAddress tunnels per address and maxConnections in all", async () => {
    const { port, proxy } = await front({ maxPerAddress: 3, maxConnections: 4 });
    const open = await Promise.all([1, 2, 3].map(() => raw(port, handshake())));
    for (const r of open) await r.until(/^HTTP\/1\.1 101 /);
    const fourth = await raw(port, handshake());
    const refused = await fourth.until(/^HTTP\/1\.1 \d{3} /);
    expect(refused).toMatch(/^HTTP\/1\.1 503 /);
    expect(refused).toContain('"code":"too-many-connections"');
    expect(await closedWithin(fourth)).toBe(true);
    // Another address may still open one, up to the total.
    const other = await raw(port, handshake(), "127.0.0.2");
    expect(await other.until(/^HTTP\/1\.1 \d{3} /)).toMatch(/^HTTP\/1\.1 101 /);
    expect(proxy.openCount()).toBe(4);
    const fifth = await raw(port, handshake(), "127.0.0.3");
    expect(await fifth.until(/^HTTP\/1\.1 \d{3} /)).toMatch(/^HTTP\/1\.1 503 /);
    expect(await closedWithin(fifth)).toBe(true);
    // A tunnel closed frees its place.
    open[0]!.socket.destroy();
    await waitFor(() => proxy.openCount() === 3, 10_000, "the tunnel to close");
    const again = await raw(port, handshake());
    expect(await again.until(/^HTTP\/1\.1 \d{3} /)).toMatch(/^HTTP\/1\.1 101 /);
  });

  it("gives an address its own limit when told (an office's edge carries all its followers from one)", async () => {
    const { port, proxy } = await front({ maxPerAddress: 2, maxConnections: 10, perAddressLimit: (a) => (a.endsWith("127.0.0.5") ? 4 : 2) });
    const edge = await Promise.all([1, 2, 3, 4].map(() => raw(port, handshake(), "127.0.0.5")));
    for (const r of edge) await r.until(/^HTTP\/1\.1 101 /);
    const fifth = await raw(port, handshake(), "127.0.0.5");
    expect(await fifth.until(/^HTTP\/1\.1 \d{3} /)).toMatch(/^HTTP\/1\.1 503 /);
    const others = await Promise.all([1, 2, 3].map(() => raw(port, handshake(), "127.0.0.6")));
    const answers = await Promise.all(others.map((r) => r.until(/^HTTP\/1\.1 \d{3} /)));
    expect(answers.filter((a) => /^HTTP\/1\.1 101 /.test(a)).length).toBe(2);
    expect(proxy.openCount()).toBe(6);
  });

  it("lets a real XMPP client log in over ws:// through it", async () => {
    const { port } = await front();
    const xmpp = client({ service: `ws://127.0.0.1:${port}/xmpp-websocket`, domain: env.prosody.domains.guests } as never);
    xmpp.on("error", () => undefined);
    xmpp.reconnect.stop();
    try {
      const jid = await xmpp.start();
      expect(jid.domain).toBe(env.prosody.domains.guests);
    } finally {
      await xmpp.stop().catch(() => undefined);
    }
  });

  it("closes every tunnel and upgrade on close(), so shutdown never waits on a browser", async () => {
    const f = await front();
    const tunnels = await Promise.all([1, 2, 3, 4, 5].map(() => raw(f.port, handshake())));
    for (const r of tunnels) await r.until(/^HTTP\/1\.1 101 /);
    f.proxy.stop();
    await f.http.close();
    const closed = await Promise.all(tunnels.map((r) => closedWithin(r)));
    expect(closed, "each tunnel closed").toEqual(tunnels.map(() => true));
  });
});
