/**
 * The real server process (`server/main.ts` under tsx, as `npm start` runs it) with its data
 * dir on a small tmpfs (needs root): it prints where the operator token is, /healthz reports
 * each part, 300 upgrades to a path nobody claimed leave no descriptor open, a full disk
 * stops neither HTTP nor the server (the log drops lines, says so once on stderr and
 * reports the count when there is room again), and SIGTERM ends it — disk full and sockets
 * open included. Nothing here asserts how fast anything is; waits have generous timeouts.
 */
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ensureWebClientBuilt } from "../../web-client/build.ts";
import { tryMountTmpfs } from "../support/tmpfs.ts";

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");
const KEY = "dGhlIHNhbXBsZSBub25jZQ==";

async function freePort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, "127.0.0.1", r));
  const { port } = s.address() as net.AddressInfo;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

async function waitFor(cond: () => boolean | Promise<boolean>, ms: number, what: string): Promise<void> {
  const until = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Every process below `pid` (Prosody, LibreOffice, …), read from /proc. */
function descendants(pid: number): number[] {
  const children = new Map<number, number[]>();
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      children.set(ppid, [...(children.get(ppid) ?? []), Number(entry)]);
    } catch {
      // gone meanwhile
    }
  }
  const out: number[] = [];
  const walk = (p: number) => {
    for (const c of children.get(p) ?? []) {
      out.push(c);
      walk(c);
    }
  };
  walk(pid);
  return out;
}

/** Fills the file system under `dir`; returns the filler's path (remove it to make room). */
function fill(dir: string): string {
  const file = path.join(dir, `fill-${Date.now()}`);
  try {
    execFileSync("dd", ["if=/dev/zero", `of=${file}`, "bs=64k"], { stdio: "ignore" });
  } catch {
    // "No space left on device": that is the point
  }
  return file;
}

/** A raw HTTP/1.1 request (any Host); resolves with the status, or null if no answer came within `ms`. */
function rawRequest(port: number, text: string, ms = 15_000): Promise<{ status: number | null; text: string; closedByServer: boolean }> {
  return new Promise((resolve) => {
    const s = net.connect({ host: "127.0.0.1", port });
    let got = "";
    const timer = setTimeout(() => {
      s.destroy();
      resolve({ status: null, text: got, closedByServer: false });
    }, ms);
    s.on("error", () => undefined);
    s.on("data", (b) => (got += b.toString("latin1")));
    s.on("close", () => {
      clearTimeout(timer);
      resolve({ status: Number(/^HTTP\/1\.1 (\d{3})/.exec(got)?.[1]) || null, text: got, closedByServer: true });
    });
    s.once("connect", () => s.write(text));
  });
}

const mountDir = mkdtempSync(path.join(os.tmpdir(), "deckcast-process-"));
const mounted = tryMountTmpfs(mountDir, "16m");
if (!mounted) console.warn("server-process test skipped: mounting a tmpfs needs root");

describe.skipIf(!mounted)("the server process", () => {
  const dataDir = path.join(mountDir, "data");
  let child: ChildProcess;
  let port: number;
  let stdout = "";
  let stderr = "";
  let exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  const family = new Set<number>();
  const fillers: string[] = [];
  const held: net.Socket[] = [];

  const healthz = async (ms = 15_000): Promise<{ status: number; body: { ok: boolean; parts: Record<string, { ok: boolean; [k: string]: unknown }> } } | null> => {
    try {
      const res = await fetch(`http://127.0.0.1:${port}/healthz`, { signal: AbortSignal.timeout(ms) });
      return { status: res.status, body: (await res.json()) as never };
    } catch {
      return null;
    }
  };
  const fds = () => readdirSync(`/proc/${child.pid}/fd`).length;
  const logText = () => readFileSync(path.join(dataDir, "deckcast.log"), "utf8");

  beforeAll(async () => {
    await ensureWebClientBuilt({ quiet: true });
    port = await freePort();
    child = spawn(process.execPath, ["--import", "tsx", "server/main.ts"], {
      cwd: repo,
      env: { ...process.env, DECKCAST_DATA_DIR: dataDir, DECKCAST_HTTP_PORT: String(port), DECKCAST_LOG_LEVEL: "info" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    exited = new Promise((resolve) => child.once("exit", (code, signal) => resolve({ code, signal })));
    child.stdout!.on("data", (b: Buffer) => (stdout += b.toString()));
    child.stderr!.on("data", (b: Buffer) => (stderr += b.toString()));
    await waitFor(() => stdout.includes("deckcast is running.") || child.exitCode !== null, 120_000, "the server to start");
    if (child.exitCode !== null) throw new Error(`the server exited during start:\n${stdout}\n${stderr}`);
    await waitFor(() => stdout.includes("Press Ctrl+C"), 10_000, "the banner");
    for (const p of descendants(child.pid!)) family.add(p);
  }, 180_000);

  afterAll(async () => {
    for (const s of held) s.destroy();
    for (const f of fillers) rmSync(f, { force: true });
    if (child && child.exitCode === null && child.signalCode === null) {
      child.kill("SIGTERM");
      const done = await Promise.race([exited.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), 30_000))]);
      if (!done) child.kill("SIGKILL");
    }
    // Nothing the server started may outlive the test.
    for (const pid of family) {
      try {
        process.kill(pid, "SIGKILL");
      } catch {
        // already gone
      }
    }
    await new Promise((r) => setTimeout(r, 200));
    try {
      execFileSync("umount", [mountDir], { stdio: "ignore" });
    } catch {
      execFileSync("umount", ["-l", mountDir], { stdio: "ignore" });
    }
    rmSync(mountDir, { recursive: true, force: true });
  }, 60_000);

  it("prints where the operator token is, and /api/meetings answers only to it", async () => {
    const line = stdout.split("\n").find((l) => l.includes("Operators"));
    expect(line).toBeDefined();
    expect(line).toContain("operator-token");
    const tokenFile = path.join(dataDir, "operator-token");
    expect(existsSync(tokenFile)).toBe(true);
    const token = readFileSync(tokenFile, "utf8").trim();
    expect((await fetch(`http://127.0.0.1:${port}/api/meetings`)).status).toBe(401);
    expect((await fetch(`http://127.0.0.1:${port}/api/meetings`, { headers: { authorization: `Bearer ${token}` } })).status).toBe(200);
  });

  it("reports each part on /healthz", async () => {
    await waitFor(async () => (await healthz())?.status === 200, 60_000, "every part to be ok");
    const h = await healthz();
    expect(h!.body.ok).toBe(true);
    expect(Object.keys(h!.body.parts).sort()).toEqual(["component", "decks", "http", "prosody"]);
    for (const part of Object.values(h!.body.parts)) expect(part.ok).toBe(true);
  });

  it("answers and closes 300 upgrades to paths nobody claimed, and holds no descriptor for them", async () => {
    const before = fds();
    const results = await Promise.all(
      Array.from({ length: 300 }, (_, i) => rawRequest(port, `GET /nothing/${i} HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n`)),
    );
    expect(results.filter((r) => r.status !== 404)).toEqual([]);
    expect(results.flatMap((r, i) => (r.closedByServer ? [] : [`/nothing/${i}`])), "upgrades the server did not close").toEqual([]);
    await waitFor(() => fds() <= before + 10, 15_000, "the descriptors to be released");
    expect((await healthz())?.status).toBe(200);
  });

  it("keeps answering with its disk full, says so once, and logs again with the count once there is room", async () => {
    fillers.push(fill(mountDir));
    // Make it log: every /api request for another host name is refused with a warning.
    for (let round = 0; round < 4; round++) {
      await Promise.all(Array.from({ length: 50 }, () => rawRequest(port, `GET /api/config HTTP/1.1\r\nHost: evil.example\r\nConnection: close\r\n\r\n`)));
      const h = await healthz();
      expect(h, "an answer from /healthz with the disk full").not.toBeNull();
    }
    await waitFor(() => stderr.includes("cannot write the log"), 15_000, "the full disk to be told");
    expect(stderr.match(/deckcast: cannot write the log \(ENOSPC\); dropping log lines until there is room/g)).toHaveLength(1);
    expect(child.exitCode).toBeNull();

    rmSync(fillers.pop()!);
    await waitFor(() => /"dropped":\d+/.test(logText()), 30_000, "the dropped lines to be reported in the log");
    const lines = logText().split("\n").filter(Boolean);
    for (const l of lines) expect(() => JSON.parse(l), l.slice(0, 120)).not.toThrow();
    const report = lines.map((l) => JSON.parse(l) as { dropped?: number }).find((l) => l.dropped !== undefined)!;
    expect(report.dropped).toBeGreaterThan(0);
    expect(stderr).toMatch(/deckcast: the log is written again; \d+ log lines were dropped/);
  }, 120_000);

  it("says on the console when Prosody is killed and comes back, and /healthz follows it", async () => {
    const before = (await healthz())!.body.parts.prosody!;
    expect(before).toMatchObject({ ok: true, state: "running", restarts: 0 });
    process.kill(before.pid as number, "SIGKILL");
    await waitFor(() => stderr.includes("deckcast: Prosody stopped unexpectedly; restarting (1 of 5)"), 30_000, "the console line for the stop");
    await waitFor(() => /deckcast: Prosody is running again \(pid \d+, after 1 of 5\)/.test(stderr), 60_000, "the console line for the return");
    await waitFor(async () => (await healthz())?.status === 200, 60_000, "every part to be ok again");
    const after = (await healthz())!.body.parts;
    expect(after.prosody).toMatchObject({ ok: true, state: "running", restarts: 1 });
    expect(after.prosody!.pid).not.toBe(before.pid);
    expect(after.component).toMatchObject({ ok: true });
    for (const p of descendants(child.pid!)) family.add(p);
  }, 120_000);

  it("exits on SIGTERM with its disk full and sockets open", async () => {
    fillers.push(fill(mountDir));
    await Promise.all(Array.from({ length: 20 }, () => rawRequest(port, `GET /api/config HTTP/1.1\r\nHost: evil.example\r\nConnection: close\r\n\r\n`)));
    // Open WebSocket tunnels, a request whose headers never finish, an idle keep-alive connection.
    for (let i = 0; i < 5; i++) {
      const s = net.connect({ host: "127.0.0.1", port });
      s.on("error", () => undefined);
      held.push(s);
      await new Promise<void>((r) => s.once("connect", () => r()));
      s.write(`GET /xmpp-websocket HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ${KEY}\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: xmpp\r\n\r\n`);
      await new Promise<void>((r) => s.once("data", () => r()));
    }
    for (let i = 0; i < 5; i++) {
      const s = net.connect({ host: "127.0.0.1", port });
      s.on("error", () => undefined);
      held.push(s);
      s.once("connect", () => s.write(i % 2 ? "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n" : `GET /nothing HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n`));
    }
    for (const p of descendants(child.pid!)) family.add(p);
    child.kill("SIGTERM");
    const result = await Promise.race([exited, new Promise<null>((r) => setTimeout(() => r(null), 90_000))]);
    expect(result, "the server to exit after SIGTERM").not.toBeNull();
    expect(result!.code).toBe(0);
  }, 120_000);
});
