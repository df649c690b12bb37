/**
 * One worker process of the phone benchmark (bench/phone.ts): holds up to a few hundred
 * followers of one meeting, either phones on the bridge (the TypeScript reference client,
 * android-bridge/client/phone-client.ts) or plain XMPP guests on the MUC room, and records
 * for every bundle each one receives now − (session origin + t) in ms, and which seqs came.
 *
 * Driven over the fork IPC channel (PhoneWorkerCommand in, PhoneWorkerReply out):
 *   join {n}      → connects followers until it holds n, replies joined
 *   start         → forgets what was recorded, records from now on
 *   progress {last} → replies how many followers have seen seq `last`
 *   stop {first, last, timed} → replies result: latencies of the `timed` seqs, and how many
 *                  of first..last never came (lost)
 *   close         → disconnects everyone and exits
 * A `stall` worker holds one phone that stops reading its socket as soon as it is welcomed.
 */
import { client, type Client } from "@xmpp/client";
import type { Element } from "@xmpp/xml";
import { PhoneClient } from "../../android-bridge/client/phone-client.ts";
import { joinRoom } from "../../client-core/live-room.ts";
import { NS } from "../../protocol/namespaces.ts";

export interface PhoneWorkerSetup {
  kind: "bridge" | "muc";
  /** bridge: ws://host:port of the bridge. muc: the XMPP client service (xmpp://host:port). */
  url: string;
  /** bridge: the meeting code. muc: the room JID. */
  meeting: string;
  /** muc: the guests' domain. */
  guests?: string;
  /** The session clock's origin (Unix ms), from the meeting's `started`. */
  started: number;
  /** A prefix for names/nicks, unique per worker. */
  name: string;
  stall?: boolean;
}

export type PhoneWorkerCommand =
  | { type: "join"; n: number }
  | { type: "start" }
  | { type: "progress"; last: number }
  | { type: "stop"; first: number; last: number; timed: number[] }
  | { type: "close" };

export type PhoneWorkerReply =
  | { type: "joined"; n: number; retried: number }
  | { type: "progress"; done: number }
  | { type: "result"; latencies: number[]; lost: number; problems: string[] }
  | { type: "error"; message: string };

interface Receiver {
  /** seq → latency (ms), while recording. */
  seen: Map<number, number>;
  maxSeq: number;
  close(): Promise<void>;
  problems(): string[];
}

const setup = JSON.parse(process.env.DECKCAST_PHONE_WORKER ?? "{}") as PhoneWorkerSetup;
const receivers: Receiver[] = [];
let recording = false;

const reply = (r: PhoneWorkerReply) => process.send!(r);

function record(r: Receiver, seq: number, t: number) {
  if (seq > r.maxSeq) r.maxSeq = seq;
  if (recording && !r.seen.has(seq)) r.seen.set(seq, Date.now() - (setup.started + t));
}

async function phone(i: number): Promise<Receiver> {
  const p = new PhoneClient({ url: setup.url, meeting: setup.meeting, name: `${setup.name}-${i}` });
  const r: Receiver = { seen: new Map(), maxSeq: 0, close: () => p.close(), problems: () => p.problems.slice(0, 5) };
  p.on("events", (frame) => {
    record(r, frame.seq, frame.t);
    // The client keeps everything it got (for tests): drop it, a bench phone lives long.
    p.frames.length = 0;
    p.audio.length = 0;
    p.applied.length = 0;
  });
  p.on("frame", () => void (p.frames.length = 0));
  await p.connect();
  if (setup.stall) {
    p.stall();
    r.close = async () => p.cut();
  }
  return r;
}

/** Attempts at logging a MUC guest in: xmpp.js gives up on a stream that takes over 2 s to open. */
const START_ATTEMPTS = 5;
/** Guests whose login had to be tried again (reported with the join). */
let retried = 0;

/**
 * A logged-in guest. While hundreds of guests join, Prosody is busy sending each joiner every
 * occupant's presence (N² stanzas in all), and xmpp.js's 2 s stream-open timeout fires; a real
 * client tries again, and so does this one, after a pause that grows.
 */
async function guest(i: number): Promise<Client> {
  for (let attempt = 1; ; attempt++) {
    const xmpp: Client = client({ service: setup.url, domain: setup.guests!, resource: `${setup.name}-${i}` } as never);
    xmpp.on("error", () => undefined);
    xmpp.reconnect.stop();
    try {
      await xmpp.start();
      return xmpp;
    } catch (err) {
      await xmpp.stop().catch(() => undefined);
      if (attempt >= START_ATTEMPTS || (err as Error).name !== "TimeoutError") throw new Error(`guest login failed after ${attempt} attempts: ${(err as Error).name} ${(err as Error).message}`);
      retried++;
      await new Promise((r) => setTimeout(r, 500 * attempt + Math.random() * 500));
    }
  }
}

async function follower(i: number): Promise<Receiver> {
  const xmpp = await guest(i);
  const r: Receiver = {
    seen: new Map(),
    maxSeq: 0,
    async close() {
      await xmpp.stop().catch(() => undefined);
    },
    problems: () => [],
  };
  xmpp.on("stanza", (el: Element) => {
    if (el.name !== "message" || el.attrs.type !== "groupchat") return;
    const b = el.getChild("bundle", NS.deckcast);
    if (!b) return;
    const seq = Number(b.attrs.seq);
    const t = Number(b.attrs.t);
    if (Number.isFinite(seq) && Number.isFinite(t)) record(r, seq, t);
  });
  await joinRoom(xmpp as never, setup.meeting, `${setup.name}-${i}`, 120_000);
  return r;
}

async function join(n: number) {
  while (receivers.length < n) {
    const base = receivers.length;
    const batch = Array.from({ length: Math.min(25, n - base) }, (_, k) => (setup.kind === "bridge" ? phone(base + k) : follower(base + k)));
    receivers.push(...(await Promise.all(batch)));
  }
}

process.on("message", (cmd: PhoneWorkerCommand) => {
  void (async () => {
    try {
      switch (cmd.type) {
        case "join":
          await join(cmd.n);
          return reply({ type: "joined", n: receivers.length, retried });
        case "start":
          for (const r of receivers) r.seen.clear();
          recording = true;
          return;
        case "progress":
          return reply({ type: "progress", done: receivers.filter((r) => r.maxSeq >= cmd.last).length });
        case "stop": {
          recording = false;
          const latencies: number[] = [];
          let lost = 0;
          const timed = new Set(cmd.timed);
          for (const r of receivers) {
            for (let s = cmd.first; s <= cmd.last; s++) {
              const ms = r.seen.get(s);
              if (ms === undefined) lost++;
              else if (timed.has(s)) latencies.push(ms);
            }
          }
          return reply({ type: "result", latencies, lost, problems: receivers.flatMap((r) => r.problems()).slice(0, 10) });
        }
        case "close":
          await Promise.allSettled(receivers.map((r) => r.close()));
          process.exit(0);
      }
    } catch (err) {
      reply({ type: "error", message: (err as Error).message });
    }
  })();
});
process.on("disconnect", () => process.exit(0));
// xmpp.js can throw from a socket's data handler after the connection was torn down (seen with
// 1000 TCP guests): one client's fault must not end the worker's other clients; their loss shows.
let faults = 0;
process.on("uncaughtException", (err) => {
  if (faults++ === 0) process.stderr.write(`phone worker: a client failed (${err.message}); the others go on\n`);
});
