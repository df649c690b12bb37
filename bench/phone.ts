/**
 * Phone benchmark (issue 13, §Benchmark): N phones on one phone bridge, and the same N as
 * plain XMPP followers on Prosody's MUC, following a presenter who sends 5 bundles a second,
 * each with 200 ms of 24 kb/s Opus (real, from ffmpeg) and a page or pointer event.
 *
 * - The whole server (server/deckcast.ts, a private config in a temp data dir) runs in this
 *   process; the presenter is an account sending with client-core's PresenterSender.
 * - The bridge runs in its OWN process (bench/support/phone-bridge.ts → startBridge, the
 *   per-address socket limit raised: every bench phone is 127.0.0.1), so its CPU
 *   (/proc/<pid>/stat utime+stime over the measured window) and RSS (/proc/<pid>/status VmRSS
 *   at the window's end, minus its idle RSS before any phone joined, per phone; both read
 *   after a full GC in the bridge) are its own.
 * - Followers live in worker processes (bench/support/phone-worker.ts, ~250 each): phones are
 *   the TypeScript reference client; MUC followers are raw @xmpp/client guests in the room.
 *   Each records, for every bundle, now − (session origin + t) ms (origin: the meeting's
 *   `started`), and the seqs it never got (lost).
 * - At the largest N a second bridge pass runs with one extra phone that stops reading for the
 *   whole pass: the others' p99 with and without it.
 * - MUC passes stop at the first N whose p99 passes 1 s. For MUC rows, cpu_pct and
 *   rss_kb_per_client are Prosody's process (what carries that path's fan-out).
 *
 *   npm run bench -- phone [--clients 100,1000,2000] [--seconds 60] [--per-worker 250]
 *
 * Writes bench/results/phone.json as [{path, clients, p50_ms, p99_ms, lost, cpu_pct,
 * rss_kb_per_client}] (the stalled pass's row has stalled: true and p99_change_pct; rows
 * with a remark, e.g. MUC rows, carry it as `note`).
 */
import { execFileSync, fork, spawn, type ChildProcess } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import pino from "pino";
import { Follower } from "../client-core/follower.ts";
import { PresenterSender } from "../client-core/presenter-sender.ts";
import type { XmppLike } from "../client-core/xmpp-like.ts";
import type { AudioChunk, DeckEvent } from "../protocol/types.ts";
import { privateConfig } from "../server/config.ts";
import { createDeckcast } from "../server/deckcast.ts";
import { connectUser, createMeeting } from "../test/support/xmpp.ts";
import { arg } from "./support/args.ts";
import { voiceChunks } from "./support/phone-audio.ts";
import type { PhoneWorkerCommand, PhoneWorkerReply, PhoneWorkerSetup } from "./support/phone-worker.ts";
import { printTable, quantile, round, writeResults } from "./support/table.ts";

const PASSWORD = "bench-password";
const BUNDLE_MS = 200;
/** Bundles at the start of each pass that are delivered and counted for loss but not timed. */
const WARMUP_BUNDLES = 5;
const DRAIN_MS = 30_000;

interface Row {
  path: "bridge" | "muc";
  clients: number;
  p50_ms: number;
  p99_ms: number;
  lost: number;
  cpu_pct: number;
  rss_kb_per_client: number;
  stalled?: boolean;
  p99_change_pct?: number;
}

/** A worker process and a way to ask it things. */
class Worker {
  readonly proc: ChildProcess;
  size = 0;
  #waiting: { type: string; resolve: (r: PhoneWorkerReply) => void; reject: (e: Error) => void }[] = [];

  constructor(setup: PhoneWorkerSetup) {
    this.proc = fork(path.join(import.meta.dirname, "support/phone-worker.ts"), [], {
      execArgv: ["--import", "tsx"],
      env: { ...process.env, DECKCAST_PHONE_WORKER: JSON.stringify(setup) },
      stdio: ["ignore", "inherit", "inherit", "ipc"],
    });
    this.proc.on("message", (r: PhoneWorkerReply) => {
      const i = r.type === "error" ? 0 : this.#waiting.findIndex((w) => w.type === r.type);
      const w = i >= 0 ? this.#waiting.splice(i, 1)[0] : undefined;
      if (!w) return;
      if (r.type === "error") w.reject(new Error(`worker: ${r.message}`));
      else w.resolve(r);
    });
    this.proc.once("exit", (code) => {
      for (const w of this.#waiting.splice(0)) w.reject(new Error(`a worker exited (${code})`));
    });
  }

  tell(cmd: PhoneWorkerCommand): void {
    if (this.proc.connected) this.proc.send(cmd);
  }

  ask<T extends PhoneWorkerReply["type"]>(cmd: PhoneWorkerCommand, type: T): Promise<Extract<PhoneWorkerReply, { type: T }>> {
    return new Promise((resolve, reject) => {
      this.#waiting.push({ type, resolve: resolve as (r: PhoneWorkerReply) => void, reject });
      this.tell(cmd);
    });
  }

  async close(): Promise<void> {
    if (this.proc.exitCode !== null || this.proc.signalCode !== null) return;
    const exited = new Promise((r) => this.proc.once("exit", r));
    this.tell({ type: "close" });
    const timer = setTimeout(() => this.proc.kill("SIGKILL"), 10_000);
    await exited;
    clearTimeout(timer);
  }
}

const CLK_TCK = Number(execFileSync("getconf", ["CLK_TCK"]).toString().trim()) || 100;

/** utime + stime of a process, seconds. */
async function cpuSeconds(pid: number): Promise<number> {
  const stat = await readFile(`/proc/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" "); // fields from the 3rd (state) on
  return (Number(fields[11]) + Number(fields[12])) / CLK_TCK;
}

async function rssKb(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, "utf8");
  return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? NaN);
}

const sleepUntil = async (unixMs: number) => {
  for (let d = unixMs - Date.now(); d > 0; d = unixMs - Date.now()) await new Promise((r) => setTimeout(r, d));
};

export default async function run(args: string[]): Promise<void> {
  const counts = arg(args, "clients", "100,1000,2000").split(",").map(Number).sort((a, b) => a - b);
  const seconds = Number(arg(args, "seconds", "60"));
  const perWorker = Number(arg(args, "per-worker", "250"));
  const largest = counts[counts.length - 1]!;
  const dataDir = await mkdtemp(path.join(os.tmpdir(), "deckcast-bench-phone-"));
  const log = pino({ level: process.env.DECKCAST_BENCH_LOG ?? "warn" });
  const config = privateConfig(dataDir, { httpHost: "127.0.0.1", publicUrl: "http://127.0.0.1:0", deckWorkers: 1 });
  const deckcast = createDeckcast(config, { log });
  const workers: Worker[] = [];
  let bridgeProc: ChildProcess | null = null;
  const rows: Row[] = [];
  const notes = new Map<Row, string>();
  const stops: (() => Promise<void> | void)[] = [];
  try {
    const dc = await deckcast.start();
    const deadline = Date.now() + 60_000;
    while (!dc.component.link.online) {
      if (Date.now() > deadline) throw new Error("the component did not come online");
      await new Promise((r) => setTimeout(r, 50));
    }
    await dc.xmpp.register("alice", PASSWORD);
    const alice = await connectUser(dc.xmpp.prosody, "alice", PASSWORD);
    stops.push(() => alice.stop());
    const meeting = await createMeeting(alice, dc.xmpp.domains.component, "Phone bench");
    await new Follower(alice.xmpp as unknown as XmppLike, { room: meeting.room, meeting: meeting.jid, nick: "alice" }).join();
    const presenter = new PresenterSender(alice.xmpp as unknown as XmppLike, { meeting: meeting.jid, clock: () => Date.now() - meeting.started, timeoutMs: 20_000 });
    stops.unshift(() => presenter.stop());
    const acked: number[] = [];
    presenter.on("ack", (a) => acked.push(a.seq));
    presenter.on("refused", (_b, e) => process.stderr.write(`a bundle was refused: ${e.code ?? e.condition}\n`));

    // One continuous recording for every pass (the component takes audio that continues one stream).
    const passes = counts.length * 2 + 1;
    const chunks: AudioChunk[] = await voiceChunks(passes * seconds + 5);
    let nextChunk = 0;
    let audioEnd = 0;

    /**
     * One measured window: `seconds` of bundles on schedule; then waits until every follower
     * in `group` has the last one (or DRAIN_MS); `pid`'s CPU over the window and RSS at its end.
     */
    const pass = async (group: Worker[], pid: number | null, rssOf: () => Promise<number>) => {
      for (const w of group) w.tell({ type: "start" });
      const before = acked.length;
      const bundles = Math.round((seconds * 1000) / BUNDLE_MS);
      const first = chunks[nextChunk]!;
      // Session time of this pass's first chunk: now (after any pause, the component fills silence).
      const t0 = Math.max(Date.now() - meeting.started, audioEnd) + 5;
      const cpu0 = pid === null ? 0 : await cpuSeconds(pid);
      const wall0 = performance.now();
      for (let i = 0; i < bundles; i++) {
        const chunk = chunks[nextChunk++];
        if (!chunk) throw new Error("the recording ran out");
        const t = t0 + (chunk.t - first.t);
        await sleepUntil(meeting.started + t);
        const event: DeckEvent = i % 5 === 0 ? { type: "page", t, page: 1 + ((i / 5) % 10) } : { type: "pointer", t, page: 1, x: (i * 37) % 1000, y: (i * 91) % 1000 };
        presenter.send([event], { t, data: chunk.data });
        audioEnd = t + BUNDLE_MS;
      }
      await presenter.flush();
      const seqs = acked.slice(before);
      if (seqs.length === 0) throw new Error("no bundle was acknowledged");
      const firstSeq = Math.min(...seqs);
      const last = Math.max(...seqs);
      const total = group.reduce((s, w) => s + w.size, 0);
      const drainBy = performance.now() + DRAIN_MS;
      for (;;) {
        const done = (await Promise.all(group.map((w) => w.ask({ type: "progress", last }, "progress")))).reduce((s, r) => s + r.done, 0);
        if (done >= total || performance.now() > drainBy) break;
        await new Promise((r) => setTimeout(r, 100));
      }
      const wallS = (performance.now() - wall0) / 1000;
      const cpuPct = pid === null ? NaN : ((await cpuSeconds(pid)) - cpu0) / wallS * 100;
      const rss = pid === null ? NaN : await rssOf();
      // Latency only for the presenter's own bundles after the warm-up; loss over every seq in the window.
      const timed = [...seqs].sort((a, b) => a - b).slice(WARMUP_BUNDLES);
      const results = await Promise.all(group.map((w) => w.ask({ type: "stop", first: firstSeq, last, timed }, "result")));
      const latencies = results.flatMap((r) => r.latencies);
      const problems = results.flatMap((r) => r.problems);
      if (problems.length > 0) process.stderr.write(`problems seen: ${problems.slice(0, 5).join("; ")}\n`);
      return { latencies, lost: results.reduce((s, r) => s + r.lost, 0), cpuPct, rss };
    };

    /** Grows `group` to n followers, perWorker a process. */
    const grow = async (group: Worker[], n: number, make: (i: number) => PhoneWorkerSetup) => {
      const t = performance.now();
      while (group.reduce((s, w) => s + w.size, 0) < n) {
        let w = group.find((x) => x.size < perWorker);
        if (!w) {
          w = new Worker(make(group.length));
          workers.push(w);
          group.push(w);
        }
        w.size = Math.min(perWorker, w.size + n - group.reduce((s, x) => s + x.size, 0));
      }
      const joined = await Promise.all(group.map((w) => w.ask({ type: "join", n: w.size }, "joined")));
      const retried = joined.reduce((s, j) => s + j.retried, 0);
      process.stdout.write(`${n} followers joined (${Math.round(performance.now() - t)} ms${retried > 0 ? `; ${retried} logins tried again after a timeout` : ""})\n`);
    };

    const closeGroup = async (group: Worker[]) => {
      await Promise.all(group.map((w) => w.close()));
      for (const w of group) workers.splice(workers.indexOf(w), 1);
      group.length = 0;
    };

    // ---- the bridge, in its own process ----
    const upstream = `http://127.0.0.1:${dc.port}`;
    bridgeProc = spawn(process.execPath, ["--expose-gc", "--import", "tsx", path.join(import.meta.dirname, "support/phone-bridge.ts")], {
      env: { ...process.env, DECKCAST_BENCH_BRIDGE: JSON.stringify({ upstream }) },
      stdio: ["pipe", "pipe", "inherit"],
    });
    const proc = bridgeProc;
    const gcWaiters: (() => void)[] = [];
    proc.stdout!.on("data", (d: Buffer) => {
      for (const line of d.toString().split("\n")) if (line === "gc") gcWaiters.shift()?.();
    });
    /** The bridge's RSS after a full collection (what it holds, not garbage not yet collected). */
    const bridgeRss = async (): Promise<number> => {
      await new Promise<void>((resolve) => {
        gcWaiters.push(resolve);
        proc.stdin!.write("gc\n");
      });
      return rssKb(proc.pid!);
    };
    const { port, pid: bridgePid } = await new Promise<{ port: number; pid: number }>((resolve, reject) => {
      let out = "";
      proc.stdout!.on("data", (d: Buffer) => {
        out += d.toString();
        const m = /ready (\d+) (\d+)/.exec(out);
        if (m) resolve({ port: Number(m[1]), pid: Number(m[2]) });
      });
      proc.once("exit", (code) => reject(new Error(`the bridge exited (${code})`)));
    });
    if (bridgePid !== proc.pid) throw new Error("the bridge is not the process spawned");
    await new Promise((r) => setTimeout(r, 1000)); // start-up settles
    const bridgeIdleKb = await bridgeRss();
    const phoneSetup = (i: number): PhoneWorkerSetup => ({ kind: "bridge", url: `ws://127.0.0.1:${port}`, meeting: meeting.code, started: meeting.started, name: `p${i}` });
    const phones: Worker[] = [];
    const bridgeRow = (n: number, r: Awaited<ReturnType<typeof pass>>): Row => passRow("bridge", n, r, bridgeIdleKb);
    for (const n of counts) {
      await grow(phones, n, phoneSetup);
      const row = bridgeRow(n, await pass(phones, bridgePid, bridgeRss));
      rows.push(row);
      printTable([row]);
    }
    // The same N again with one phone that stops reading for the whole pass.
    const staller = new Worker({ ...phoneSetup(phones.length), name: "stalled", stall: true });
    workers.push(staller);
    staller.size = 1;
    await staller.ask({ type: "join", n: 1 }, "joined");
    const base = rows[rows.length - 1]!;
    const stalledRow: Row = { ...bridgeRow(largest, await pass(phones, bridgePid, bridgeRss)), stalled: true };
    stalledRow.p99_change_pct = round(((stalledRow.p99_ms - base.p99_ms) / base.p99_ms) * 100);
    rows.push(stalledRow);
    notes.set(stalledRow, "+1 phone not reading; p99 of the others");
    printTable([stalledRow]);
    await closeGroup([staller]);
    await closeGroup(phones);

    // ---- the same N as plain XMPP followers on the MUC ----
    const prosodyPid = dc.xmpp.health().pid;
    const prosodyIdleKb = prosodyPid === null ? NaN : await rssKb(prosodyPid);
    const mucSetup = (i: number): PhoneWorkerSetup => ({ kind: "muc", url: dc.xmpp.clientService, meeting: meeting.room, guests: dc.xmpp.domains.guests, started: meeting.started, name: `m${i}` });
    const followers: Worker[] = [];
    for (const n of counts) {
      let r: Awaited<ReturnType<typeof pass>>;
      try {
        await grow(followers, n, mucSetup);
        r = await pass(followers, prosodyPid, () => rssKb(prosodyPid!));
      } catch (err) {
        // The MUC baseline may give out before the bridge does: report how far it got.
        const row: Row = { path: "muc", clients: n, p50_ms: NaN, p99_ms: NaN, lost: NaN, cpu_pct: NaN, rss_kb_per_client: NaN };
        rows.push(row);
        notes.set(row, `failed: ${(err as Error).message}; larger N not run`);
        process.stderr.write(`muc at ${n}: ${(err as Error).message}\n`);
        break;
      }
      const row = passRow("muc", n, r, prosodyIdleKb);
      rows.push(row);
      notes.set(row, "cpu/rss: Prosody");
      printTable([row]);
      if (row.p99_ms > 1000) {
        notes.set(row, `cpu/rss: Prosody; p99 passed 1 s: larger N not run`);
        break;
      }
    }
    await closeGroup(followers);
    // Written before the teardown: a stray socket error while Prosody is killed must not lose the run.
    await report(rows, notes, largest);
  } finally {
    await Promise.allSettled(workers.map((w) => w.close()));
    if (bridgeProc && bridgeProc.exitCode === null && bridgeProc.signalCode === null) {
      const exited = new Promise((r) => bridgeProc!.once("exit", r));
      bridgeProc.kill("SIGTERM");
      const timer = setTimeout(() => bridgeProc!.kill("SIGKILL"), 10_000);
      await exited;
      clearTimeout(timer);
    }
    for (const stop of stops) await stop();
    await deckcast.stop();
    await rm(dataDir, { recursive: true, force: true });
  }
}

/** A pass's row: latency quantiles, loss, CPU, and the memory per client above `idleKb`. */
function passRow(path: Row["path"], n: number, r: { latencies: number[]; lost: number; cpuPct: number; rss: number }, idleKb: number): Row {
  return {
    path,
    clients: n,
    p50_ms: round(quantile(r.latencies, 0.5)),
    p99_ms: round(quantile(r.latencies, 0.99)),
    lost: r.lost,
    cpu_pct: round(r.cpuPct),
    rss_kb_per_client: round((r.rss - idleKb) / n),
  };
}

async function report(rows: Row[], notes: Map<Row, string>, largest: number): Promise<void> {
  process.stdout.write("\n");
  printTable(rows.map((r) => ({ path: r.path, clients: r.clients, p50_ms: r.p50_ms, p99_ms: r.p99_ms, lost: r.lost, cpu_pct: r.cpu_pct, rss_kb_per_client: r.rss_kb_per_client, stalled: r.stalled ? `yes (p99 ${r.p99_change_pct! >= 0 ? "+" : ""}${r.p99_change_pct} %)` : "", note: notes.get(r) ?? "" })));
  process.stdout.write(`targets: 0 lost; bridge p99 < 100 ms at ${largest}; ≤ 20 KB per phone; a stalled phone moves p99 < 10 %\n`);
  process.stdout.write(`wrote ${await writeResults("phone", rows.map((r) => (notes.has(r) ? { ...r, note: notes.get(r) } : r)))}\n`);
}
