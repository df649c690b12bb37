/**
 * Fan-out benchmark (issue 2): a presenter sends bundles at 5 a second to N followers,
 * through deckcast (presenter → component → archive → MUC room) and, in the same run and
 * room, straight to the room as groupchat (the bare-MUC baseline). Latency is presenter
 * send → follower receive, all clocks in this one process; for deckcast also send → the
 * presenter's <ack/> (`ack_p50_ms`, `ack_p99_ms`), which the presenter's next bundle waits for.
 *
 *   npm run bench -- fanout [--followers 1,50,200,500] [--messages 200] [--rate 5]
 *                           [--sizes 1024,6144] [--paths deckcast,bare-muc]
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { client, type Client } from "@xmpp/client";
import xml, { type Element } from "@xmpp/xml";
import pino from "pino";
import { encodeBundle } from "../protocol/codec.ts";
import { NS } from "../protocol/namespaces.ts";
import type { AudioChunk, Bundle } from "../protocol/types.ts";
import { packPages } from "../protocol/ogg.ts";
import { buildOpusHead, buildOpusTags } from "../server/archive/opus.ts";
import { startProsodyServer } from "../prosody/xmpp-server.ts";
import type { XmppServer } from "../server/xmpp-server.ts";
import { arg } from "./support/args.ts";
import { printTable, quantile, round, writeResults } from "./support/table.ts";
import { joinRoom } from "../client-core/live-room.ts";

const WARMUP = 10;

interface Row { path: "deckcast" | "bare-muc"; followers: number; bytes: number; p50_ms: number; p99_ms: number; max_ms: number; lost: number; ack_p50_ms: number | null; ack_p99_ms: number | null }


async function connect(p: XmppServer, opts: { username?: string; password?: string }): Promise<Client> {
  const xmpp = client({
    service: p.clientService,
    domain: opts.username ? p.domains.accounts : p.domains.guests,
    resource: Math.random().toString(36).slice(2, 10),
    timeout: 60_000,
    ...(opts.username ? { credentials: (auth: (c: object, m: string) => Promise<void>) => auth({ username: opts.username, password: opts.password }, "PLAIN") } : {}),
  } as never);
  xmpp.on("error", () => undefined);
  xmpp.reconnect.stop();
  await xmpp.start();
  return xmpp;
}


/** Ink bundles so far: every 20 start a new stroke (the web client's strokes end at 2,000 points). */
let inkBundles = 0;

/** A bundle whose encoded element is about `bytes` long: ink points for 1 KB, audio for larger. */
function payload(id: string, bytes: number, recording: Recording): Bundle {
  if (bytes <= 2048) {
    const points: number[] = [];
    const stroke = `s${Math.floor(inkBundles++ / 20)}`;
    const b: Bundle = { id, t: 1000, events: [{ type: "ink-progress", t: 1000, page: 1, stroke, tool: "pen", color: "#e53935", width: 30, points }] };
    while (encodeBundle(b).toString().length < bytes) points.push(1234, 5678);
    return b;
  }
  const raw = Math.floor(((bytes - 120) * 3) / 4);
  const audio = recording.next(raw);
  return { id, t: audio.t, events: [], audio };
}

/**
 * One long synthetic recording (valid Ogg Opus framing, meaningless audio): each call gives
 * its next 200 ms page of about `bytes` bytes, the header pages first, as the component
 * only takes audio that continues one stream.
 */
interface Recording { next(bytes: number): AudioChunk }
function syntheticRecording(serial: number): Recording {
  let page = 0;
  return {
    next(bytes: number): AudioChunk {
      const packetBytes = Math.max(2, Math.floor((bytes - 40) / 10));
      const packets = Array.from({ length: 10 }, (_, i) => ({
        data: new Uint8Array(packetBytes).map((_, k) => (k === 0 ? 0xf8 : (k * 31 + i) & 255)), // TOC: CELT 20 ms
        granule: (page * 10 + i + 1) * 960,
      }));
      const t = 1000 + page * 200;
      const head = page === 0 ? [...packPages([{ data: buildOpusHead({ channels: 1, preSkip: 312 }), granule: 0 }], { serial, sequence: 0, bos: true }), ...packPages([{ data: buildOpusTags("bench", []), granule: 0 }], { serial, sequence: 1 })] : [];
      const pages = [...head, ...packPages(packets, { serial, sequence: 2 + page++ })];
      return { t, data: Uint8Array.from(pages.flatMap((p) => [...p])) };
    },
  };
}

export default async function run(args: string[]): Promise<void> {
  const counts = arg(args, "followers", "1,50,200,500").split(",").map(Number);
  const messages = Number(arg(args, "messages", "200"));
  const rate = Number(arg(args, "rate", "5"));
  const sizes = arg(args, "sizes", "1024,6144").split(",").map(Number);
  const paths = arg(args, "paths", "deckcast,bare-muc").split(",") as ("deckcast" | "bare-muc")[];
  const dataDir = await mkdtemp(path.join(os.tmpdir(), "deckcast-bench-"));
  const log = pino({ level: "warn" });
  // The bare-MUC baseline sends groupchat from a client at the bundle rate: lift the room's
  // per-occupant chat limit (mod_deckcast_guard) so it measures Prosody, not the limiter.
  const prosody = await startProsodyServer({ dataDir, log, chat: { burst: 1_000_000, perSecond: 1_000_000 } });
  await prosody.register("presenter", "bench");
  let componentProc: ChildProcess | null = null;
  const followers: Client[] = [];
  const rows: Row[] = [];
  try {
    componentProc = spawn(process.execPath, ["--import", "tsx", path.join(import.meta.dirname, "support/component-process.ts")], {
      env: { ...process.env, DECKCAST_BENCH: JSON.stringify({ service: prosody.componentService, secret: prosody.componentSecret, domains: prosody.domains, dataDir }) },
      stdio: ["ignore", "pipe", "inherit"],
    });
    await new Promise<void>((resolve, reject) => {
      componentProc!.stdout!.on("data", (d: Buffer) => d.toString().includes("online") && resolve());
      componentProc!.once("exit", (code) => reject(new Error(`component exited (${code})`)));
    });
    const presenter = await connect(prosody, { username: "presenter", password: "bench" });
    const created = await presenter.iqCaller.request(xml("iq", { type: "set", to: prosody.domains.component }, xml("create", { xmlns: NS.deckcast }, xml("title", {}, "bench"))));
    const meeting = created.getChild("meeting", NS.deckcast)!.attrs as { room: string; jid: string };
    await joinRoom(presenter, meeting.room, "presenter", 120_000);

    // id → send time, and id → receivers so far, shared by both paths.
    const sentAt = new Map<string, number>();
    const latencies = new Map<string, number[]>();
    const onStanza = (el: Element) => {
      if (el.name !== "message" || el.attrs.type !== "groupchat") return;
      const id = el.getChild("bundle", NS.deckcast)?.attrs.id as string | undefined;
      const t0 = id ? sentAt.get(id) : undefined;
      if (t0 !== undefined) latencies.get(id!)!.push(performance.now() - t0);
    };

    // Each path gets its own continuous recording, as a presenter's microphone would be.
    const recordings = { deckcast: syntheticRecording(0x6465), "bare-muc": syntheticRecording(0x6265) };
    for (const n of counts) {
      const joinStart = performance.now();
      while (followers.length < n) {
        const batch = Array.from({ length: Math.min(25, n - followers.length) }, async () => {
          const f = await connect(prosody, {});
          await joinRoom(f, meeting.room, `f${Math.random().toString(36).slice(2, 9)}`, 120_000);
          f.on("stanza", onStanza);
          return f;
        });
        followers.push(...(await Promise.all(batch)));
      }
      process.stdout.write(`${n} followers in the room (joins took ${Math.round(performance.now() - joinStart)} ms)\n`);
      for (const bytes of sizes) {
        for (const via of paths) {
          const ids: string[] = [];
          // deckcast: send → the presenter's <ack/> (the IQ result), which the next bundle waits for.
          const acks: number[] = [];
          // The first WARMUP messages of each run are sent the same way but not measured
          // (JIT, first audio headers, caches): both paths get the same treatment.
          for (let k = -WARMUP; k < messages; k++) {
            const id = `${via}-${n}-${bytes}-${k}`;
            const bundle = encodeBundle(payload(id, bytes, recordings[via]));
            if (k >= 0) ids.push(id);
            latencies.set(id, []);
            const t0 = performance.now();
            sentAt.set(id, t0);
            if (via === "deckcast") void presenter.iqCaller.request(xml("iq", { type: "set", to: meeting.jid }, bundle), 60_000).then(() => k >= 0 && acks.push(performance.now() - t0), () => undefined);
            else void presenter.send(xml("message", { type: "groupchat", to: meeting.room }, xml("no-store", { xmlns: NS.hints }), bundle));
            await new Promise((r) => setTimeout(r, 1000 / rate));
          }
          const expected = n * messages;
          const deadline = performance.now() + 30_000;
          const received = () => ids.reduce((s, id) => s + latencies.get(id)!.length, 0);
          while ((received() < expected || (via === "deckcast" && acks.length < messages)) && performance.now() < deadline) await new Promise((r) => setTimeout(r, 100));
          const all = ids.flatMap((id) => latencies.get(id)!);
          const row: Row = { path: via, followers: n, bytes, p50_ms: round(quantile(all, 0.5)), p99_ms: round(quantile(all, 0.99)), max_ms: round(Math.max(...all)), lost: expected - all.length, ack_p50_ms: acks.length ? round(quantile(acks, 0.5)) : null, ack_p99_ms: acks.length ? round(quantile(acks, 0.99)) : null };
          rows.push(row);
          printTable([row]);
          for (let k = -WARMUP; k < messages; k++) latencies.delete(`${via}-${n}-${bytes}-${k}`);
          await new Promise((r) => setTimeout(r, 1000));
        }
      }
    }
    await presenter.stop();
  } finally {
    await Promise.allSettled(followers.map((f) => f.stop()));
    if (componentProc && componentProc.exitCode === null) {
      const exited = new Promise((r) => componentProc!.once("exit", r));
      componentProc.kill("SIGTERM");
      await exited; // it closes its archives: remove the data only after that
    }
    await prosody.stop();
    await rm(dataDir, { recursive: true, force: true });
  }
  process.stdout.write("\n");
  printTable(rows.map((r) => ({ ...r })));
  const ratios = counts.flatMap((n) => sizes.map((bytes) => {
    const d = rows.find((r) => r.path === "deckcast" && r.followers === n && r.bytes === bytes);
    const b = rows.find((r) => r.path === "bare-muc" && r.followers === n && r.bytes === bytes);
    return { followers: n, bytes, p99_ratio: d && b ? round(d.p99_ms / b.p99_ms) : NaN };
  }));
  process.stdout.write("\ndeckcast p99 / bare-MUC p99:\n");
  printTable(ratios);
  process.stdout.write(`wrote ${await writeResults("fanout", rows)}\n`);
}
