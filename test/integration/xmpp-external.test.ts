/**
 * deckcast on an XMPP server it does not run (DECKCAST_XMPP_SERVER=external, what the deckcast
 * container does): a Prosody is started here as if it were another machine's (its own data
 * dir, its own ports, its own secret in a file, and reached at another address, 127.0.0.2,
 * through a TCP forwarder that goes down with it, so deckcast can only reach it by its
 * settings), and deckcast is built by createDeckcast from readConfig(env) pointed there. Through deckcast's /xmpp-websocket only, a presenter
 * registered on that Prosody creates a meeting and sends bundles, and a follower receives them
 * in order. Then that Prosody is stopped and started again: /healthz goes 503, then 200 with
 * the xmpp part's `reconnects` ≥ 1, and a new meeting works. Bad settings are refused at
 * start (server/main.ts) with one line naming the setting; `npm start`'s server (server/main.ts)
 * in external mode makes no first account, says where accounts come from, logs to stdout too
 * and exits 0 on SIGTERM. A deckcast started before its XMPP
 * server answers (a container that comes up first) connects once the server is there. Waits have generous timeouts;
 * nothing here asserts how fast anything is.
 */
import { spawn, spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import net from "node:net";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { client, type Client } from "@xmpp/client";
import xml from "@xmpp/xml";
import pino from "pino";
import WebSocket from "ws";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Follower } from "../../client-core/follower.ts";
import { PresenterSender } from "../../client-core/presenter-sender.ts";
import type { DeckEvent } from "../../protocol/types.ts";
import { startProsodyServer, type ProsodyXmppServer } from "../../prosody/xmpp-server.ts";
import { readConfig } from "../../server/config.ts";
import { createDeckcast, type Deckcast, type RunningDeckcast } from "../../server/deckcast.ts";
import { createMeeting, type TestClient } from "../support/xmpp.ts";

// Node 20 has no global WebSocket; @xmpp/websocket looks for one.
if (!("WebSocket" in globalThis)) Object.assign(globalThis, { WebSocket });

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");
const log = pino({ level: process.env.DECKCAST_TEST_LOG ?? "silent" });
const PRESENTER = { username: "presenter", password: "external-presenter-pw" };
/** "The other machine": Prosody listens on 127.0.0.1 only, so its ports are forwarded from here. */
const OTHER_HOST = "127.0.0.2";

/**
 * For each [listen, target]: listens on OTHER_HOST:listen (0: a free port) and joins each
 * connection to 127.0.0.1:target. Other ports than Prosody's, so nothing reaches it by its
 * own address. `ports` are the bound ones; stop() closes everything.
 */
async function forwardPorts(pairs: [listen: number, target: number][]): Promise<{ ports: number[]; stop(): Promise<void> }> {
  const sockets = new Set<net.Socket>();
  const servers = await Promise.all(
    pairs.map(
      ([listen, port]) =>
        new Promise<net.Server>((resolve, reject) => {
          const server = net.createServer((inbound) => {
            const outbound = net.connect({ host: "127.0.0.1", port });
            for (const s of [inbound, outbound]) {
              sockets.add(s);
              s.on("error", () => undefined);
              s.on("close", () => {
                sockets.delete(s);
                inbound.destroy();
                outbound.destroy();
              });
            }
            inbound.pipe(outbound).pipe(inbound);
          });
          server.once("error", reject);
          server.listen(listen, OTHER_HOST, () => resolve(server));
        }),
    ),
  );
  return {
    ports: servers.map((srv) => (srv.address() as net.AddressInfo).port),
    async stop() {
      for (const s of sockets) s.destroy();
      await Promise.all(servers.map((srv) => new Promise((r) => srv.close(r))));
    },
  };
}

async function waitFor(cond: () => boolean | Promise<boolean>, ms: number, what: string): Promise<void> {
  const until = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

let serverDir: string;
let deckcastDir: string;
let server: ProsodyXmppServer;
let forwarder: { ports: number[]; stop(): Promise<void> };
/** The other machine's component, client and HTTP ports (kept across its restart). */
let other = { component: 0, c2s: 0, http: 0 };
const forwardAll = async () => {
  const p = server.prosody.ports;
  forwarder = await forwardPorts([[other.component, p.component], [other.c2s, p.c2s], [other.http, p.http]]);
  const [component, c2s, http] = forwarder.ports as [number, number, number];
  other = { component, c2s, http };
};
let deckcast: Deckcast;
let dc: RunningDeckcast;
const clients: Client[] = [];

/** A client over deckcast's /xmpp-websocket (never the XMPP server's own ports). */
async function overDeckcast(domain: string, credentials?: { username: string; password: string }): Promise<TestClient> {
  const xmpp = client({
    service: `ws://127.0.0.1:${dc.port}/xmpp-websocket`,
    domain,
    resource: `ext-${Math.random().toString(36).slice(2, 8)}`,
    ...(credentials && { credentials: (auth: (c: object, mech: string) => Promise<void>) => auth(credentials, "PLAIN") }),
  } as never);
  xmpp.on("error", () => undefined);
  xmpp.reconnect.stop();
  clients.push(xmpp);
  const jid = await xmpp.start();
  await xmpp.send(xml("presence"));
  return { xmpp, jid: jid.toString(), stop: async () => void (await xmpp.stop().catch(() => undefined)) };
}

async function health(): Promise<{ status: number; body: { ok: boolean; parts: Record<string, Record<string, unknown>> } }> {
  const res = await fetch(`http://127.0.0.1:${dc.port}/healthz`);
  return { status: res.status, body: (await res.json()) as never };
}

const page = (n: number, t: number): DeckEvent => ({ type: "page", t, page: n });
const breaks = (seqs: number[]) => seqs.flatMap((s, i) => (i === 0 || s === seqs[i - 1]! + 1 ? [] : [`${seqs[i - 1]} → ${s}`]));

/** A meeting made over deckcast's WebSocket, a follower in it, and `n` bundles sent: the seqs the follower saw. */
async function presentAndFollow(n: number): Promise<{ seqs: number[]; last: number }> {
  const presenter = await overDeckcast(dc.xmpp.domains.accounts, PRESENTER);
  const meeting = await createMeeting(presenter, dc.xmpp.domains.component, "External server");
  const guest = await overDeckcast(dc.xmpp.domains.guests);
  const follower = new Follower(guest.xmpp, { room: meeting.room, meeting: meeting.jid, nick: "fern" });
  const seqs: number[] = [];
  follower.on("bundle", (b) => seqs.push(b.seq));
  await follower.join();
  const sender = new PresenterSender(presenter.xmpp, { meeting: meeting.jid, clock: () => 0 });
  for (let i = 1; i <= n; i++) {
    sender.send([page(1 + (i % 3), i * 1000)]);
    // One bundle each: wait for its ack before the next is queued.
    await sender.flush();
  }
  const last = dc.component.meetings.get(meeting.code)!.archive.journal.lastSeq;
  await waitFor(() => follower.seq === last, 20_000, "the follower to receive every bundle");
  await presenter.stop();
  await guest.stop();
  return { seqs, last };
}

beforeAll(async () => {
  // "Another machine's" Prosody: its own data dir and ports, the presenter registered there.
  serverDir = await mkdtemp(path.join(os.tmpdir(), "deckcast-extxmpp-"));
  deckcastDir = await mkdtemp(path.join(os.tmpdir(), "deckcast-extdc-"));
  server = await startProsodyServer({ dataDir: serverDir, log, componentSecret: "external-component-secret-1234" });
  await server.register(PRESENTER.username, PRESENTER.password);
  await forwardAll();
  const secretFile = path.join(deckcastDir, "component.secret");
  await writeFile(secretFile, `${server.componentSecret}\n`, { mode: 0o600 });
  const config = readConfig({
    DECKCAST_DATA_DIR: path.join(deckcastDir, "data"),
    DECKCAST_HTTP_PORT: "0",
    DECKCAST_XMPP_SERVER: "external",
    DECKCAST_XMPP_SERVER_HOST: OTHER_HOST,
    DECKCAST_XMPP_COMPONENT_PORT: String(other.component),
    DECKCAST_XMPP_CLIENT_PORT: String(other.c2s),
    DECKCAST_XMPP_HTTP_PORT: String(other.http),
    DECKCAST_COMPONENT_SECRET_FILE: secretFile,
  });
  deckcast = createDeckcast({ ...config, deckWorkers: 1 }, { log });
  dc = await deckcast.start();
  await waitFor(() => dc.component.link.online, 20_000, "the component to connect to the external server");
}, 120_000);

afterAll(async () => {
  for (const c of clients) await c.stop().catch(() => undefined);
  await deckcast?.stop();
  await forwarder?.stop();
  await server?.stop();
  if (serverDir) await rm(serverDir, { recursive: true, force: true });
  if (deckcastDir) await rm(deckcastDir, { recursive: true, force: true });
});

describe("deckcast on an external XMPP server", () => {
  it("is reached only through its settings: the component, the WebSocket and the domains are the external server's", () => {
    expect(dc.xmpp.componentService).toBe(`xmpp://${OTHER_HOST}:${other.component}`);
    expect(dc.xmpp.websocketUrl).toBe(`ws://${OTHER_HOST}:${other.http}/xmpp-websocket`);
    expect(Object.values(other)).not.toContain(server.prosody.ports.http);
    expect(dc.xmpp.domains).toEqual(server.domains);
  });

  it("a presenter of that server presents over deckcast's /xmpp-websocket; a follower gets every bundle in order", async () => {
    const { seqs, last } = await presentAndFollow(12);
    expect(last).toBeGreaterThanOrEqual(12);
    expect(breaks(seqs), "seqs out of order or missing").toEqual([]);
    expect(seqs.at(-1)).toBe(last);
    const h = await waitFor(async () => (await health()).status === 200, 30_000, "/healthz 200").then(health);
    expect(h.body.parts.xmpp).toMatchObject({ ok: true, online: true, clientPort: true, reconnects: 0 });
    expect(h.body.parts.prosody).toBeUndefined();
  }, 90_000);

  it("accounts are the server's: register says how to add one there", async () => {
    const err = await dc.xmpp.register("someone", "pw").then(() => null, (e: { code?: string; message: string }) => e);
    expect(err?.code).toBe("external-accounts");
    expect(err?.message).toContain("prosodyctl register");
  });

  it("when the XMPP server stops and comes back, /healthz goes 503, then 200 with reconnects ≥ 1, and meetings work again", async () => {
    const ports = server.prosody.ports;
    const before = (await health()).body.parts.xmpp!;
    // The other machine goes down: its Prosody and the address it is reached at.
    await forwarder.stop();
    await server.stop();
    await waitFor(async () => (await health()).status === 503, 30_000, "/healthz 503 while the XMPP server is down");
    const down = await health();
    expect(down.body.parts.xmpp).toMatchObject({ ok: false, online: false });
    server = await startProsodyServer({ dataDir: serverDir, log, ports, componentSecret: server.componentSecret });
    await forwardAll();
    await waitFor(async () => (await health()).status === 200, 60_000, "/healthz 200 once the XMPP server is back");
    const up = (await health()).body.parts.xmpp!;
    expect(up).toMatchObject({ ok: true, online: true, clientPort: true });
    expect(up.reconnects).toBeGreaterThanOrEqual(1);
    expect(Date.parse(String(up.since))).toBeGreaterThan(Date.parse(String(before.since)));
    const { seqs, last } = await presentAndFollow(3);
    expect(breaks(seqs)).toEqual([]);
    expect(seqs.at(-1)).toBe(last);
  }, 150_000);
});

async function freePort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, "127.0.0.1", r));
  const { port } = s.address() as net.AddressInfo;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

describe("server/main.ts with an external XMPP server (what the deckcast container runs)", () => {
  it("makes no first account, says where accounts come from, logs to stdout, reports the xmpp part and exits 0 on SIGTERM", async () => {
    // Its own server: the one above already has a deckcast component, and a component domain takes one connection.
    const own = await startProsodyServer({ dataDir: path.join(deckcastDir, "main-xmpp"), log });
    const data = path.join(deckcastDir, "main-data");
    const child = spawn(process.execPath, ["--import", "tsx", "server/main.ts"], {
      cwd: repo,
      env: {
        PATH: process.env.PATH ?? "",
        HOME: process.env.HOME ?? os.tmpdir(),
        DECKCAST_DATA_DIR: data,
        DECKCAST_HTTP_PORT: String(await freePort()),
        DECKCAST_XMPP_SERVER: "external",
        DECKCAST_XMPP_SERVER_HOST: "127.0.0.1",
        DECKCAST_XMPP_COMPONENT_PORT: String(own.prosody.ports.component),
        DECKCAST_XMPP_CLIENT_PORT: String(own.prosody.ports.c2s),
        DECKCAST_XMPP_HTTP_PORT: String(own.prosody.ports.http),
        DECKCAST_COMPONENT_SECRET: own.componentSecret,
      },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    let err = "";
    child.stdout.on("data", (c: Buffer) => (out += c.toString("utf8")));
    child.stderr.on("data", (c: Buffer) => (err += c.toString("utf8")));
    const exited = new Promise<number | null>((r) => child.once("exit", (code) => r(code)));
    try {
      await waitFor(() => out.includes("Press Ctrl+C to stop.") || child.exitCode !== null, 90_000, "the banner");
      expect(child.exitCode, err).toBeNull();
      const banner = out.split("\n").filter((l) => !l.startsWith("{")).join("\n");
      expect(banner).not.toContain("Log in as");
      expect(banner).toContain("prosodyctl register NAME localhost PASSWORD");
      expect(banner).toContain("an external server (DECKCAST_XMPP_SERVER=external)");
      expect(existsSync(path.join(data, "first-account.json"))).toBe(false);
      // Log lines on stdout as well as in the file.
      expect(out.split("\n").some((l) => l.startsWith("{") && (JSON.parse(l) as { msg?: string }).msg === "deckcast is running")).toBe(true);
      const port = /Open\s+http:\/\/localhost:(\d+)/.exec(banner)![1];
      await waitFor(async () => (await fetch(`http://127.0.0.1:${port}/healthz`)).status === 200, 60_000, "/healthz 200");
      const body = (await (await fetch(`http://127.0.0.1:${port}/healthz`)).json()) as { parts: Record<string, { ok: boolean }> };
      expect(Object.keys(body.parts).sort()).toEqual(["component", "decks", "http", "xmpp"]);
    } finally {
      child.kill("SIGTERM");
      await exited;
      await own.stop();
    }
    expect(await exited).toBe(0);
  }, 150_000);
});

describe("a deckcast that starts before its XMPP server", () => {
  it("starts, reports the server down, and connects once the server answers", async () => {
    const ports = { c2s: await freePort(), http: await freePort(), component: await freePort() };
    const dir = await mkdtemp(path.join(os.tmpdir(), "deckcast-extlate-"));
    const early = createDeckcast(
      {
        ...readConfig({
          DECKCAST_DATA_DIR: path.join(dir, "data"),
          DECKCAST_HTTP_PORT: "0",
          DECKCAST_XMPP_SERVER: "external",
          DECKCAST_XMPP_SERVER_HOST: "127.0.0.1",
          DECKCAST_XMPP_COMPONENT_PORT: String(ports.component),
          DECKCAST_XMPP_CLIENT_PORT: String(ports.c2s),
          DECKCAST_XMPP_HTTP_PORT: String(ports.http),
          DECKCAST_COMPONENT_SECRET: "late-secret-5678",
        }),
        deckWorkers: 1,
      },
      { log },
    );
    let late: ProsodyXmppServer | undefined;
    try {
      const running = await early.start();
      const report = () => running.http.healthReport();
      expect(report().ok).toBe(false);
      expect(report().parts.xmpp).toMatchObject({ ok: false, online: false, clientPort: false });
      late = await startProsodyServer({ dataDir: path.join(dir, "xmpp"), log, ports, componentSecret: "late-secret-5678" });
      await waitFor(() => running.component.link.online, 60_000, "the component to connect once the server is up");
      await waitFor(() => report().parts.xmpp?.ok === true, 30_000, "the xmpp part to be ok");
      expect(report().parts.xmpp).toMatchObject({ online: true, clientPort: true, reconnects: 0 });
    } finally {
      await early.stop();
      await late?.stop();
      await rm(dir, { recursive: true, force: true });
    }
  }, 150_000);
});

describe("bad external settings", () => {
  /** `npm start` with `env`: its exit code and what it said on stderr. */
  function start(env: Record<string, string>) {
    const r = spawnSync(process.execPath, ["--import", "tsx", "server/main.ts"], {
      cwd: repo,
      env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? os.tmpdir(), DECKCAST_DATA_DIR: path.join(deckcastDir, "refused"), DECKCAST_HTTP_PORT: "0", ...env },
      encoding: "utf8",
      timeout: 60_000,
    });
    return { code: r.status, stderr: r.stderr.trim() };
  }
  const external = { DECKCAST_XMPP_SERVER: "external", DECKCAST_XMPP_SERVER_HOST: "127.0.0.1" };

  it("are refused at start with one line naming the setting", () => {
    for (const [env, setting] of [
      [external, "DECKCAST_COMPONENT_SECRET"],
      [{ ...external, DECKCAST_COMPONENT_SECRET: "s3cret", DECKCAST_XMPP_COMPONENT_PORT: "70000" }, "DECKCAST_XMPP_COMPONENT_PORT"],
      [{ ...external, DECKCAST_COMPONENT_SECRET_FILE: path.join(deckcastDir, "no-such-secret") }, "DECKCAST_COMPONENT_SECRET_FILE"],
      [{ DECKCAST_XMPP_SERVER: "external", DECKCAST_COMPONENT_SECRET: "s3cret" }, "DECKCAST_XMPP_SERVER_HOST"],
    ] as const) {
      const r = start(env);
      expect(r.code, JSON.stringify(env)).toBe(1);
      expect(r.stderr.split("\n"), r.stderr).toHaveLength(1);
      expect(r.stderr).toMatch(/^deckcast could not start: /);
      expect(r.stderr).toContain(setting);
      expect(r.stderr).not.toContain("s3cret");
    }
  }, 120_000);
});
