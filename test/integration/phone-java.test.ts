/**
 * The Java reference client (android-bridge/java/, OkHttp as an Android app uses it) against
 * the real phone bridge on a real deckcast (Prosody, the component, the HTTP server): it
 * joins a meeting, takes the snapshot, chats with the room both ways, applies 50 bundles in seq order while its connection
 * is cut five times (once while the network stays down and bundles go by, then at 4 random
 * points while they keep coming) and resumes, and writes the audio to an .opus file that
 * opusinfo accepts. The cuts are real: a TCP proxy between client and bridge drops both sides.
 * Nothing may be missing or come twice: the events it printed are the journal's, its final
 * state is the component's, its file is the session's audio from its join on.
 */
import { execFile, spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { createInterface } from "node:readline";
import { promisify } from "node:util";
import xml from "@xmpp/xml";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mountPhoneGateway } from "../../android-bridge/gateway/mount.ts";
import { xmppConnector } from "../../android-bridge/gateway/xmpp-connect.ts";
import { Follower } from "../../client-core/follower.ts";
import { PresenterSender } from "../../client-core/presenter-sender.ts";
import { LIMITS, NS } from "../../protocol/namespaces.ts";
import { parsePages } from "../../protocol/ogg.ts";
import { phoneNameOf } from "../../protocol/phone-chat.ts";
import { phoneState } from "../../protocol/phone.ts";
import type { AudioChunk, DeckEvent } from "../../protocol/types.ts";
import { createHttpServer } from "../../server/http/app.ts";
import { PASSWORD, startDeckcast, waitFor, type TestDeckcast } from "../support/deckcast.ts";
import { beepRecording, chunksOf, concat, pagesOf } from "../support/opus.ts";
import { connectUser, nextStanza, type TestClient } from "../support/xmpp.ts";

const run = promisify(execFile);
const ROOT = path.resolve(import.meta.dirname, "../..");
const BUNDLES = 50;
/** Quotes, a non-ASCII letter and an emoji (a surrogate pair in Java): the JSON both ways. */
const NAME = 'Jörg "📱"';

type Line = Record<string, unknown> & { type: string };

// ---- the bridge ----

interface Bridge {
  /** ws://127.0.0.1:<port>/phone */
  url: string;
  stop(): Promise<void>;
}

/**
 * A deckcast HTTP server with the phone gateway mounted at /phone (as server/deckcast.ts
 * mounts it), its one meeting occupant reaching `dc`'s Prosody over XMPP-over-WebSocket.
 */
async function startBridge(dc: TestDeckcast): Promise<Bridge> {
  const log = pino({ level: process.env.DECKCAST_TEST_LOG ?? "silent" });
  const http = createHttpServer({ log });
  const gateway = mountPhoneGateway(http, { log, connector: xmppConnector({ websocketUrl: dc.prosody.websocketUrl, domains: dc.prosody.domains }) });
  const port = await http.listen(0, "127.0.0.1");
  return {
    url: `ws://127.0.0.1:${port}/phone`,
    async stop() {
      await gateway.stop();
      await http.close();
    },
  };
}

// ---- a TCP proxy between the Java client and the bridge, to cut its connection ----

interface Proxy {
  port: number;
  /** Sockets the client opened through the proxy. */
  readonly accepted: number;
  /** Ends every connection now, both ways (what a phone losing its network looks like). */
  cut(): void;
  /** While down, new connections are closed at once. */
  down: boolean;
  close(): Promise<void>;
}

async function startProxy(target: number): Promise<Proxy> {
  const pairs = new Set<[net.Socket, net.Socket]>();
  let accepted = 0;
  const server = net.createServer((phone) => {
    if (proxy.down) {
      phone.destroy();
      return;
    }
    accepted++;
    const bridge = net.connect({ host: "127.0.0.1", port: target });
    const pair: [net.Socket, net.Socket] = [phone, bridge];
    pairs.add(pair);
    const end = () => {
      phone.destroy();
      bridge.destroy();
      pairs.delete(pair);
    };
    phone.on("error", end).on("close", end);
    bridge.on("error", end).on("close", end);
    phone.pipe(bridge);
    bridge.pipe(phone);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const proxy: Proxy = {
    port: (server.address() as net.AddressInfo).port,
    get accepted() {
      return accepted;
    },
    down: false,
    cut() {
      for (const [a, b] of pairs) {
        a.destroy();
        b.destroy();
      }
      pairs.clear();
    },
    close: () =>
      new Promise<void>((resolve) => {
        proxy.cut();
        server.close(() => resolve());
      }),
  };
  return proxy;
}

// ---- the Java client ----

interface JavaRun {
  lines: Line[];
  /** Has the client send a frame (one JSON line on its stdin). */
  send(frame: object): void;
  exited: Promise<number | null>;
  stderr: () => string;
  kill(): void;
}

function startJava(classpath: string, args: string[]): JavaRun {
  const child: ChildProcessWithoutNullStreams = spawn("java", ["-cp", classpath, "org.deckcast.phone.Main", ...args], { stdio: ["pipe", "pipe", "pipe"] });
  const lines: Line[] = [];
  let err = "";
  child.stderr.on("data", (b: Buffer) => (err += b.toString("utf8")));
  createInterface({ input: child.stdout }).on("line", (l) => lines.push(JSON.parse(l) as Line));
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  return { lines, exited, stderr: () => err, send: (frame) => child.stdin.write(`${JSON.stringify(frame)}\n`), kill: () => child.kill("SIGKILL") };
}

const ofType = (lines: Line[], type: string) => lines.filter((l) => l.type === type);

// ---- the session ----

/** The events of bundle `i` (1-based) at session time t: page turns, ink, the pointer. */
function eventsFor(i: number, t: number): DeckEvent[] {
  const style = { tool: "pen" as const, color: "#d03030", width: 30 };
  switch (i % 5) {
    case 0:
      return [{ type: "page", t, page: 1 + ((i / 5) % 3) }];
    case 1:
      return [{ type: "ink-progress", t, page: 1, stroke: `s${i}`, ...style, points: [i * 50, 100, i * 50 + 40, 300] }];
    case 2:
      return [{ type: "ink-stroke", t, page: 1, stroke: `s${i - 1}`, ...style, points: [i * 50, 100, i * 50 + 40, 300, i * 50 + 80, 500] }];
    case 3:
      return i % 10 === 3 ? [{ type: "pointer", t, page: 1, x: i * 100, y: 2500 }] : [{ type: "ink-erase", t, page: 1, strokes: [`s${i - 7}`] }];
    default:
      return i % 10 === 4 ? [{ type: "pointer", t, page: 1 }] : [{ type: "ink-undo", t, page: 1 }];
  }
}

let dc: TestDeckcast;
let bridge: Bridge | undefined;
let proxy: Proxy | undefined;
let classpath: string;
let work: string;
let recording: Uint8Array;
const clients: TestClient[] = [];
let java: JavaRun | undefined;

beforeAll(async () => {
  work = await mkdtemp(path.join(os.tmpdir(), "deckcast-phone-java-"));
  // No periodic recording reports: the bundles are the presenter's 50 and nothing else.
  [dc, recording] = await Promise.all([
    startDeckcast({ recordingReportMs: 3_600_000 }),
    beepRecording({ durationMs: 11_000, beepsMs: [1000, 4000, 7000, 10_000], encoder: "ffmpeg" }),
    run(path.join(ROOT, "android-bridge/java/build.sh"), [path.join(work, "classes")]).then(({ stdout }) => (classpath = stdout.trim())),
  ] as const);
}, 120_000);

afterAll(async () => {
  java?.kill();
  await proxy?.close();
  await bridge?.stop();
  for (const c of clients) await c.stop();
  await dc?.stop();
  if (work && !process.env.DECKCAST_TEST_KEEP) await rm(work, { recursive: true, force: true });
});

describe("the Java reference client", () => {
  it("compiles with javac against Debian's OkHttp and Okio jars alone, using no JDK API that Android lacks", async () => {
    expect(classpath.split(":")).toEqual([path.join(work, "classes"), "/usr/share/java/okhttp.jar", "/usr/share/java/okio.jar"]);
    // Every JDK class the client uses, by package: all of them are in Android's class library.
    const { stdout } = await run("jdeps", ["-verbose:class", "-cp", "/usr/share/java/okhttp.jar:/usr/share/java/okio.jar", path.join(work, "classes")]);
    const used = new Set([...stdout.matchAll(/^\s+org\.deckcast\.\S+\s+->\s+(javax?\.[\w.$]+)/gm)].map((m) => m[1]!.replace(/\.[A-Z][\w$]*$/, "")));
    const android = new Set(["java.io", "java.lang", "java.lang.invoke", "java.nio.charset", "java.security", "java.util", "java.util.concurrent", "java.util.function"]);
    expect([...used].filter((p) => !android.has(p))).toEqual([]);
    expect(used.has("java.util")).toBe(true);
  });

  it("bounds a stroke being drawn as protocol/reducer.ts does (LIMITS.maxPointNumbers, LIMITS.maxDrawing)", async () => {
    const source = await readFile(path.join(ROOT, "android-bridge/java/src/org/deckcast/phone/Reducer.java"), "utf8");
    expect(source).toContain(`MAX_POINT_NUMBERS = ${LIMITS.maxPointNumbers};`);
    expect(source).toContain(`MAX_DRAWING = ${LIMITS.maxDrawing};`);
  });

  it("joins, takes the snapshot, chats both ways, applies 50 bundles in order across five cuts, and writes an .opus file opusinfo accepts", async () => {
    bridge = await startBridge(dc);
    proxy = await startProxy(Number(new URL(bridge.url).port));
    const alice = await connectUser(dc.prosody, "alice", PASSWORD);
    clients.push(alice);
    const res = await alice.xmpp.iqCaller.request(xml("iq", { type: "set", to: dc.prosody.domains.component }, xml("create", { xmlns: NS.deckcast }, xml("title", {}, "Phones"))));
    const meeting = res.getChild("meeting", NS.deckcast)!.attrs as { code: string; room: string; jid: string };
    await new Follower(alice.xmpp, { room: meeting.room, meeting: meeting.jid, nick: "alice" }).join();
    const m = dc.component.meetings.get(meeting.code)!;
    const sender = new PresenterSender(alice.xmpp, { meeting: meeting.jid, clock: () => 0 });
    const chunks: AudioChunk[] = chunksOf(recording, 0);
    expect(chunks.length).toBeGreaterThan(BUNDLES);
    const send = async (events: DeckEvent[], audio?: AudioChunk) => {
      sender.send(events, audio);
      await sender.flush();
    };

    // Before the phone joins: the stream's first page (with its header pages), a page turn,
    // a stroke left on page 1; the component says "recording".
    await send([{ type: "page", t: chunks[0]!.t, page: 2 }], chunks[0]);
    await send([{ type: "ink-stroke", t: chunks[1]!.t, page: 1, stroke: "before", tool: "highlighter", color: "#30d030", width: 200, points: [10, 10, 9000, 9000] }], chunks[1]);
    await waitFor(() => m.state.recording?.state === "recording", 15_000, "the recording report");

    const out = path.join(work, "phone.opus");
    java = startJava(classpath, [`ws://127.0.0.1:${proxy!.port}/phone`, meeting.code, NAME, String(BUNDLES), out]);
    const lines = java.lines;
    const seen = (pred: (l: Line) => boolean, what: string) => waitFor(() => lines.some(pred), 30_000, what).catch((err: Error) => {
      throw new Error(`${err.message}\njava printed:\n${lines.map((l) => JSON.stringify(l)).join("\n")}\n${java!.stderr()}`);
    });
    await seen((l) => l.type === "welcome", "the welcome");
    const joinedAt = m.archive.journal.lastSeq;
    const welcome = ofType(lines, "welcome")[0]!;
    expect(welcome.resumed).toBe(false);
    expect(welcome.state).toEqual(phoneState(m.state));
    expect(welcome.seq).toBe(joinedAt);

    // Chat both ways: the room's reaches the phone; the phone's reaches the room with its name.
    await alice.xmpp.send(xml("message", { type: "groupchat", to: meeting.room, id: "a-1" }, xml("body", {}, "Hello, phones")));
    await seen((l) => l.type === "chat" && l.nick === "alice" && l.text === "Hello, phones", "alice's chat at the phone");
    const inRoom = nextStanza(alice.xmpp, (el) => el.is("message") && el.attrs.type === "groupchat" && el.getChildText("body") === "Hi from Java ☕");
    java.send({ type: "chat", text: "Hi from Java ☕", id: "j-1" });
    await seen((l) => l.type === "chat" && l.id === "j-1" && l.text === "Hi from Java ☕", "the echo of the phone's chat");
    expect(phoneNameOf(await inRoom)).toBe(NAME);
    expect(ofType(lines, "sent")).toEqual([{ type: "sent", ok: true, frame: { type: "chat", text: "Hi from Java ☕", id: "j-1" } }]);

    // 50 bundles, each one interval's events and voice; the last one without voice, so the
    // file is whole when the client has applied it (a bundle's audio follows its events frame).
    const audioAt = (i: number) => (i < BUNDLES ? chunks[1 + i] : undefined);
    const tAt = (i: number) => chunks[1 + i]!.t;
    let i = 1;
    for (; i <= 15; i++) await send(eventsFor(i, tAt(i)), audioAt(i));
    await seen((l) => l.type === "events" && l.seq === joinedAt + 15, "bundle 15 at the phone");

    // Cut 1: the network goes away; 10 bundles go by before it comes back.
    proxy!.down = true;
    proxy!.cut();
    await seen((l) => l.type === "failure" || l.type === "closed", "the client noticing the cut");
    for (; i <= 25; i++) await send(eventsFor(i, tAt(i)), audioAt(i));
    proxy!.down = false;
    await seen((l) => l.type === "welcome" && l.resumed === true, "the resume");

    // Then cuts at 4 random points of the stream, the presenter going on regardless (a cut
    // that comes while the client is still reconnecting cuts nothing).
    const cuts = new Set<number>();
    while (cuts.size < 4) cuts.add(27 + Math.floor(Math.random() * (BUNDLES - 27)));
    for (; i <= BUNDLES; i++) {
      await send(eventsFor(i, tAt(i)), audioAt(i));
      if (cuts.has(i)) proxy!.cut();
    }
    await seen((l) => l.type === "done" || l.type === "failed", "the client to apply all 50");
    const code = await java.exited;
    const report = `java printed:\n${lines.map((l) => JSON.stringify(l)).join("\n")}\n${java.stderr()}`;
    expect(code, report).toBe(0);
    const lastSeq = m.archive.journal.lastSeq;
    expect(lastSeq).toBe(joinedAt + BUNDLES);

    // Nothing missing, nothing twice, and the events are the journal's.
    expect(ofType(lines, "gap"), report).toEqual([]);
    expect(ofType(lines, "duplicate"), report).toEqual([]);
    expect(lines.filter((l) => /error|bad-/.test(l.type)), report).toEqual([]);
    const events = ofType(lines, "events");
    expect(events.map((l) => l.seq)).toEqual(Array.from({ length: BUNDLES }, (_, k) => joinedAt + 1 + k));
    const journal = await m.archive.journal.read(joinedAt + 1, lastSeq);
    expect(events.map((l) => ({ seq: l.seq, t: l.t, from: l.from, events: l.events }))).toEqual(journal.map((b) => ({ seq: b.seq, t: b.t, from: b.from, events: b.events })));
    // It resumed after the first cut exactly where it stopped, and again after the later ones,
    // under the same name.
    const welcomes = ofType(lines, "welcome");
    const resumed = welcomes.filter((w) => w.resumed === true);
    expect(resumed[0]?.seq, report).toBe(joinedAt + 15);
    expect(resumed.length, `${report}\ncuts after bundles ${[...cuts].join(", ")}`).toBeGreaterThanOrEqual(2);
    expect(welcomes.every((w) => w.nick === welcome.nick)).toBe(true);
    expect(welcome.nick).toBe(NAME);
    // The state it folded is the component's.
    const done = lines.at(-1)!;
    expect(done.type).toBe("done");
    expect(done.seq).toBe(lastSeq);
    expect(done.state).toEqual(phoneState(m.state));
    // Header pages resent on each new socket were written once; no page came before its header.
    expect(done.audio).toMatchObject({ pages: 2 + BUNDLES - 1, refused: 0, header: true });

    // The audio: the session's header pages, then exactly the pages of the bundles after its
    // join, renumbered 0, 1, 2, … (the pages before its join are not in the file); every CRC holds.
    const file = new Uint8Array(await readFile(out));
    const archived = new Uint8Array(await readFile(path.join(m.archive.dir, "audio.opus")));
    const withAudio = journal.filter((b) => b.audio);
    expect(withAudio.length).toBe(BUNDLES - 1);
    const expected = [...pagesOf(archived).slice(0, 2), ...withAudio.flatMap((b) => pagesOf(b.audio!.data))];
    const got = parsePages(file);
    if (!got.ok) throw new Error(`the file is not Ogg: ${got.error.message}`);
    const parsed = expected.map((p) => parsePages(p)).map((r) => (r.ok ? r.value[0]! : null));
    expect(got.value.map((p) => p.sequence)).toEqual(expected.map((_, k) => k));
    // The client closed the file with its last page flagged end-of-stream.
    const ended = parsed.map((p, k) => p && { ...p, eos: k === parsed.length - 1 });
    expect(got.value.map(({ sequence: _, ...p }) => p)).toEqual(ended.map((p) => p && (({ sequence: _, ...rest }) => rest)(p)));
    const { stdout, stderr } = await run("opusinfo", [out]).catch((err: { stdout: string; stderr: string; code: number }) => {
      throw new Error(`opusinfo refused the file (exit ${err.code}):\n${err.stdout}\n${err.stderr}`);
    });
    expect(`${stdout}\n${stderr}`).not.toMatch(/warning|error/i);
    expect(stdout).toMatch(/Opus stream 1/);
  }, 180_000);
});
