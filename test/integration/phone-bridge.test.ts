/**
 * The phone bridge end to end (docs/phone-protocol.md): a real Prosody and component, the
 * gateway on an HTTP server's upgrade router, a presenter sending through client-core's
 * PresenterSender, phones as the TypeScript reference client, and web-like XMPP followers.
 * Limits that take long by default (hello timeout, queue sizes, heartbeats, the linger) are
 * made small through the gateway's options so the tests are quick; nothing asserts a time.
 */
import { execFile } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import xml from "@xmpp/xml";
import { WebSocket } from "ws";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PhoneClient, PhoneRefused } from "../../android-bridge/client/phone-client.ts";
import type { PhoneGateway } from "../../android-bridge/gateway/gateway.ts";
import type { BridgeLimits } from "../../android-bridge/gateway/limits.ts";
import { mountPhoneGateway } from "../../android-bridge/gateway/mount.ts";
import { xmppConnector } from "../../android-bridge/gateway/xmpp-connect.ts";
import { Follower } from "../../client-core/follower.ts";
import { PresenterSender } from "../../client-core/presenter-sender.ts";
import type { XmppLike } from "../../client-core/xmpp-like.ts";
import { loginTokenRequest, readLoginToken } from "../../protocol/login-token.ts";
import { occupantNick } from "../../protocol/muc.ts";
import { NS } from "../../protocol/namespaces.ts";
import { headerPages } from "../../protocol/ogg.ts";
import { PHONE_CLOSE, phoneState, type BridgeFrame } from "../../protocol/phone.ts";
import type { DeckEvent } from "../../protocol/types.ts";
import { createHttpServer, type HttpServer } from "../../server/http/app.ts";
import { RoomChat } from "../../web-client/src/app/chat.ts";
import { waitFor } from "../support/deckcast.ts";
import { beepRecording, chunksOf, concat } from "../support/opus.ts";
import { withDeckcast } from "../support/with-deckcast.ts";
import { createMeeting, type MeetingRef, type TestClient } from "../support/xmpp.ts";

const env = withDeckcast();
const log = pino({ level: process.env.DECKCAST_TEST_LOG ?? "silent" });

interface Bridge {
  http: HttpServer;
  gateway: PhoneGateway;
  url: string;
}
const bridges: Bridge[] = [];
const phones: PhoneClient[] = [];

async function startBridge(limits: Partial<BridgeLimits>): Promise<Bridge> {
  const http = createHttpServer({ log });
  const { prosody } = env.dc;
  const gateway = mountPhoneGateway(http, { connector: xmppConnector({ websocketUrl: prosody.websocketUrl, domains: prosody.domains }), log, limits });
  const port = await http.listen(0);
  const b = { http, gateway, url: `ws://127.0.0.1:${port}` };
  bridges.push(b);
  return b;
}

let bridge: Bridge;
/** A bridge with quick heartbeats (its tests stall phones on purpose). */
let quick: Bridge;
beforeAll(async () => {
  bridge = await startBridge({ helloTimeoutMs: 1000, lingerMs: 300, participantsMs: 50, audioDropBytes: 48 * 1024, snapshotBytes: 160 * 1024, highWater: 16 * 1024, maxSocketsPerAddress: 40 });
  quick = await startBridge({ pingMs: 100, deadMs: 600 });
});
afterAll(async () => {
  for (const p of phones) p.cut();
  for (const b of bridges) {
    await b.gateway.stop();
    await b.http.close();
  }
});

const phone = (o: Partial<ConstructorParameters<typeof PhoneClient>[0]> & { meeting: string }, on = bridge) => {
  const p = new PhoneClient({ url: on.url, name: "Fern", ...o });
  phones.push(p);
  return p;
};

const page = (n: number, t = n * 10): DeckEvent => ({ type: "page", t, page: n });

/** Alice's meeting, a presenter sending into it, and a web-like follower watching it. */
async function meetingWithPresenter(): Promise<{ alice: TestClient; meeting: MeetingRef; presenter: PresenterSender; watcher: Follower; watcherXmpp: TestClient; heard: Uint8Array[] }> {
  const alice = await env.user("alice");
  const meeting = await createMeeting(alice, env.dc.prosody.domains.component, "Phones");
  await new Follower(alice.xmpp as unknown as XmppLike, { room: meeting.room, meeting: meeting.jid, nick: "alice" }).join();
  const watcherXmpp = await env.guest();
  const watcher = new Follower(watcherXmpp.xmpp as unknown as XmppLike, { room: meeting.room, meeting: meeting.jid, nick: `web-${Math.random().toString(36).slice(2, 6)}` });
  const heard: Uint8Array[] = [];
  watcher.on("audio", (a) => heard.push(a.data));
  await watcher.join();
  const presenter = new PresenterSender(alice.xmpp as unknown as XmppLike, { meeting: meeting.jid, clock: () => 0 });
  return { alice, meeting, presenter, watcher, watcherXmpp, heard };
}

/** Sends `n` bundles one after the other (each acknowledged before the next). */
async function sendBundles(presenter: PresenterSender, n: number, from = 1, audio?: (i: number) => { t: number; data: Uint8Array } | undefined) {
  for (let i = 0; i < n; i++) {
    presenter.send([page(1 + ((from + i) % 5), (from + i) * 10)], audio?.(i));
    await presenter.flush();
  }
}

const closeCode = (p: PhoneClient) => new Promise<number>((resolve) => p.on("close", (code) => resolve(code)));

describe("joining", () => {
  it("a guest joins with a name: the welcome's state equals the reducer's, and events keep it equal", async () => {
    const { meeting, presenter, watcher } = await meetingWithPresenter();
    await sendBundles(presenter, 5);
    await waitFor(() => watcher.seq >= 5);
    const p = phone({ meeting: meeting.code });
    const welcome = await p.connect();
    expect(welcome).toMatchObject({ type: "welcome", v: 1, nick: "Fern", resumed: false, decks: "" });
    expect(welcome.state).toEqual(phoneState(watcher.state!));
    await sendBundles(presenter, 7, 6);
    await waitFor(() => p.seq === watcher.seq && watcher.seq >= 12);
    expect(p.state).toEqual(phoneState(watcher.state!));
    expect(p.problems).toEqual([]);
    await p.close();
  });

  it("an account joins with its login token and is named by its account", async () => {
    const { meeting } = await meetingWithPresenter();
    const bob = await env.user("bob");
    const issued = readLoginToken(await bob.xmpp.iqCaller.request(xml("iq", { type: "set", to: env.dc.prosody.domains.accounts }, loginTokenRequest(600))));
    const p = phone({ meeting: meeting.code, name: undefined, user: "bob", token: issued!.token });
    expect((await p.connect()).nick).toBe("bob");
    await p.close();
  });

  it("200 bundles arrive in order, with the session's audio (header first) that opusinfo accepts", async () => {
    const { meeting, presenter, watcher, heard } = await meetingWithPresenter();
    const recording = await beepRecording({ durationMs: 4000, beepsMs: [500, 2500], encoder: "opusenc" });
    const chunks = chunksOf(recording, 100);
    const p = phone({ meeting: meeting.code });
    await p.connect();
    await sendBundles(presenter, 200, 1, (i) => chunks[i]);
    await waitFor(() => p.seq === watcher.seq && watcher.seq >= 200, 60_000);
    expect(p.problems).toEqual([]);
    expect(p.applied).toEqual(Array.from({ length: p.applied.length }, (_, i) => p.applied[0]! + i));
    expect(p.applied.length).toBeGreaterThanOrEqual(200);
    // What the phone heard is what the web follower heard: the header, then every page in seq order.
    expect(p.header).toEqual(headerPages(heard[0]!));
    expect(p.audio.length).toBe(Math.min(200, chunks.length));
    expect(p.audio.map((f) => f.seq)).toEqual([...p.audio.map((f) => f.seq)].sort((a, b) => a - b));
    const file = concat([p.header!, ...p.audio.map((f) => f.pages)]);
    expect(file).toEqual(concat(heard));
    const dir = await mkdtemp(path.join(os.tmpdir(), "phone-audio-"));
    try {
      await writeFile(path.join(dir, "heard.opus"), file);
      // A live stream has no EOS page yet: that is the one warning opusinfo may give.
      const out = await promisify(execFile)("opusinfo", [path.join(dir, "heard.opus")]).catch((e: { stdout: string; stderr: string }) => e);
      expect(`${out.stdout}${out.stderr}`.split("\n").filter((l) => /warning|error/i.test(l))).toEqual(["WARNING: EOS not set on stream 1 (normal for live streams)"]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
    await p.close();
  }, 120_000);

  it("events-only: no audio frames until the phone asks for audio again, then the header comes first", async () => {
    const { meeting, presenter, watcher } = await meetingWithPresenter();
    const chunks = chunksOf(await beepRecording({ durationMs: 2000, beepsMs: [500], encoder: "opusenc" }), 0);
    const p = phone({ meeting: meeting.code, audio: false });
    let binaryBeforeMode = 0;
    p.on("audio", () => binaryBeforeMode++);
    await p.connect();
    await sendBundles(presenter, 3, 1, (i) => chunks[i]);
    await waitFor(() => p.seq === watcher.seq && watcher.seq >= 3);
    expect(binaryBeforeMode).toBe(0);
    p.mode(true);
    await new Promise((r) => setTimeout(r, 100));
    await sendBundles(presenter, 2, 4, (i) => chunks[3 + i]);
    await waitFor(() => p.audio.length === 2);
    expect(p.header).toEqual(watcher.audioHeader);
    expect(p.audio.map((f) => f.seq)).toEqual([watcher.seq - 1, watcher.seq]);
    await p.close();
  });
});

describe("one occupant", () => {
  it("the bridge joins the room once whatever the number of phones, and leaves after the last", async () => {
    const { meeting, watcherXmpp } = await meetingWithPresenter();
    const bridgeNicks = new Map<string, string>();
    watcherXmpp.xmpp.on("stanza", (el) => {
      const nick = el.name === "presence" ? occupantNick(el, meeting.room) : null;
      if (nick?.startsWith("phones-")) bridgeNicks.set(nick, String(el.attrs.type ?? "available"));
    });
    const many = Array.from({ length: 12 }, (_, i) => phone({ meeting: meeting.code, name: `Phone ${i}` }));
    await Promise.all(many.map((p) => p.connect()));
    await waitFor(() => bridgeNicks.size > 0);
    expect(bridge.gateway.stats().perMeeting[meeting.code]).toBe(12);
    expect([...bridgeNicks.values()]).toEqual(["available"]);
    // Participants: the room's people (alice, the watcher) plus the phones.
    await waitFor(() => many[0]!.frames.some((f) => f.type === "participants" && f.count === 14));
    await Promise.all(many.map((p) => p.close()));
    await waitFor(() => [...bridgeNicks.values()][0] === "unavailable");
    expect(bridgeNicks.size).toBe(1);
    expect(bridge.gateway.hub(meeting.code)).toBeUndefined();
  });
});

describe("chat", () => {
  it("goes both ways: web followers see the phone user's name with the bridge's, phones see the web user's", async () => {
    const { meeting, watcherXmpp } = await meetingWithPresenter();
    const webNick = "webby";
    const web = new RoomChat(watcherXmpp.xmpp as unknown as XmppLike, meeting.room, webNick);
    watcherXmpp.xmpp.on("stanza", (el) => web.onStanza(el, () => false));
    await watcherXmpp.xmpp.send(xml("presence", { to: `${meeting.room}/${webNick}` }, xml("x", { xmlns: NS.muc })));
    const fern = phone({ meeting: meeting.code, name: "Fern" });
    const other = phone({ meeting: meeting.code, name: "Ash" });
    await fern.connect();
    await other.connect();
    fern.chat("hello from the bus", "m1");
    await waitFor(() => web.messages.some((m) => m.text === "hello from the bus"));
    const seen = web.messages.find((m) => m.text === "hello from the bus")!;
    expect(seen.nick).toMatch(/^Fern \(phone, via phones-[a-z0-9]+\)$/);
    // The sender gets its echo with its id; the other phone gets it as a phone's message.
    await waitFor(() => fern.frames.some((f) => f.type === "chat" && f.id === "m1"));
    expect(fern.frames.find((f) => f.type === "chat" && f.id === "m1")).toMatchObject({ nick: "Fern", text: "hello from the bus", phone: true });
    await waitFor(() => other.frames.some((f) => f.type === "chat" && f.text === "hello from the bus"));
    expect(other.frames.find((f) => f.type === "chat" && f.text === "hello from the bus")).not.toHaveProperty("id");
    await web.send("hi phones");
    await waitFor(() => fern.frames.some((f) => f.type === "chat" && f.text === "hi phones"));
    expect(fern.frames.find((f) => f.type === "chat" && f.text === "hi phones")).toMatchObject({ nick: webNick });
    expect(fern.frames.find((f) => f.type === "chat" && f.text === "hi phones")).not.toHaveProperty("phone");
    // A name on someone else's message is shown with who really sent it.
    await watcherXmpp.xmpp.send(xml("message", { type: "groupchat", to: meeting.room, id: "fake-1" }, xml("body", {}, "I am alice"), xml("phone", { xmlns: NS.deckcast, name: "alice" })));
    await waitFor(() => fern.frames.some((f) => f.type === "chat" && f.text === "I am alice"));
    expect(fern.frames.find((f) => f.type === "chat" && f.text === "I am alice")).toMatchObject({ nick: "alice", phone: true, via: webNick });
    await waitFor(() => web.messages.some((m) => m.text === "I am alice"));
    expect(web.messages.find((m) => m.text === "I am alice")!.nick).toBe(`alice (phone, via ${webNick})`);
    // Too fast: refused with chat-rate, nothing sent.
    for (let i = 0; i < 7; i++) other.chat(`fast ${i}`, `f${i}`);
    await waitFor(() => other.frames.some((f) => f.type === "error" && f.code === "chat-rate"));
    await fern.close();
    await other.close();
  });
});

describe("flaky networks", () => {
  it("cut and resumed at 5 random points, a phone loses and duplicates nothing", async () => {
    const { meeting, presenter, watcher, heard } = await meetingWithPresenter();
    const chunks = chunksOf(await beepRecording({ durationMs: 25_000, beepsMs: [500], encoder: "opusenc" }), 0);
    const p = phone({ meeting: meeting.code });
    await p.connect();
    const start = p.seq;
    const total = 120;
    const cuts = new Set<number>();
    while (cuts.size < 5) cuts.add(5 + Math.floor(Math.random() * (total - 10)));
    const sending = sendBundles(presenter, total, 1, (i) => chunks[i]);
    let resumes = 0;
    for (const at of [...cuts].sort((a, b) => a - b)) {
      await waitFor(() => p.seq >= start + at, 60_000);
      p.cut();
      await new Promise((r) => setTimeout(r, Math.random() * 100));
      const w = await p.connect();
      expect(w.resumed).toBe(true);
      expect(w).not.toHaveProperty("state");
      resumes++;
    }
    await sending;
    await waitFor(() => p.seq === watcher.seq && watcher.seq >= start + total, 60_000);
    expect(resumes).toBe(5);
    expect(p.problems).toEqual([]);
    // Every bundle of the room (the presenter's and any the server made) once, in order.
    expect(p.applied).toEqual(Array.from({ length: watcher.seq - start }, (_, i) => start + 1 + i));
    expect(p.state).toEqual(phoneState(watcher.state!));
    // Audio too: one pages frame per bundle, each once, in order.
    const seqs = p.audio.map((f) => f.seq);
    expect(new Set(seqs).size).toBe(seqs.length);
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
    expect(seqs.length).toBe(heard.length);
    expect(concat(p.audio.map((f) => f.pages))).toEqual(concat(heard).subarray(p.header!.length));
    await p.close();
  }, 120_000);

  it("a resume from too long ago gets a fresh state", async () => {
    const { meeting, presenter, watcher } = await meetingWithPresenter();
    await sendBundles(presenter, 3);
    await waitFor(() => watcher.seq >= 3);
    const p = phone({ meeting: meeting.code });
    await p.connect();
    p.cut();
    // A resume id from a socket of another session, at a seq before what the bridge holds.
    p.seq = 0;
    const w = await p.connect();
    expect(w.resumed).toBe(false);
    expect(w.state).toEqual(phoneState(watcher.state!));
    await p.close();
  });

  it("a resume id this meeting never gave out gets a fresh state, even at a seq it holds", async () => {
    const { meeting, presenter, watcher } = await meetingWithPresenter();
    await sendBundles(presenter, 3);
    await waitFor(() => watcher.seq >= 3);
    const p = phone({ meeting: meeting.code });
    const first = await p.connect();
    p.cut();
    const madeUp = "x".repeat(first.resume.length); // the shape of a real one
    p.resumeId = madeUp;
    const w = await p.connect();
    expect(w.resumed).toBe(false);
    expect(w.resume).not.toBe(madeUp);
    expect(w.state).toEqual(phoneState(watcher.state!));
    await p.close();
  });

  it("a stalled phone makes the others miss nothing, and gets audio-dropped then a snapshot", async () => {
    const { meeting, presenter, watcher } = await meetingWithPresenter();
    const chunks = chunksOf(await beepRecording({ durationMs: 4000, beepsMs: [500], encoder: "opusenc" }), 0);
    const stalled = phone({ meeting: meeting.code, name: "Slow" });
    const fine = phone({ meeting: meeting.code, name: "Fine" });
    await stalled.connect();
    await fine.connect();
    stalled.stall();
    const hub = bridge.gateway.hub(meeting.code)!;
    const atBridge = () => [...hub.phones].find((s) => s.nick === "Slow")!;
    // Big bundles (500 pointer moves each) until the stalled phone's backlog is dropped for a
    // snapshot; the voice starts once the bridge's socket to it is full (the kernel's buffers
    // take megabytes first), so its audio is dropped before its events.
    // Each bundle waits until the fine phone has it: a phone that keeps up never holds more than
    // one (~20 KB, under audioDropBytes), however slowly a loaded machine runs its reads.
    let n = 0;
    let talked = 0;
    let acked = 0;
    const onAck = (a: { seq: number }) => (acked = Math.max(acked, a.seq));
    const offAck = presenter.on("ack", onAck);
    while (!atBridge().queue.waitingForSnapshot) {
      if (n > 2000 || talked >= chunks.length - 3) throw new Error("the stalled phone's queue never filled");
      const moves: DeckEvent[] = Array.from({ length: 500 }, (_, i) => ({ type: "pointer", t: n * 10, page: 1, x: (i * 7) % 1000, y: (n * 13) % 1000 }));
      presenter.send(moves, atBridge().ws.bufferedAmount > 0 || talked > 0 ? chunks[talked++] : undefined);
      await presenter.flush();
      await waitFor(() => fine.seq >= acked, 30_000);
      n++;
    }
    offAck();
    expect(atBridge().queue.stats.audioDropped).toBeGreaterThan(0);
    await sendBundles(presenter, 3, 1, (i) => chunks[talked + i]);
    await waitFor(() => fine.seq === watcher.seq, 60_000);
    expect(fine.problems).toEqual([]);
    expect(fine.audio.length).toBe(talked + 3);
    stalled.unstall();
    await waitFor(() => stalled.seq === watcher.seq, 60_000);
    const kinds = stalled.frames.map((f) => f.type);
    const dropped = kinds.indexOf("audio-dropped");
    const snapshot = kinds.indexOf("snapshot");
    expect(dropped).toBeGreaterThan(0);
    expect(snapshot).toBeGreaterThan(dropped);
    expect(stalled.frames[snapshot]).toMatchObject({ reason: "slow-reader" });
    expect(stalled.problems).toEqual([]);
    expect(stalled.state).toEqual(phoneState(watcher.state!));
    await stalled.close();
    await fine.close();
  }, 180_000);

  it("heartbeats end a socket that answers no pings (4010)", async () => {
    const { meeting } = await meetingWithPresenter();
    const p = phone({ meeting: meeting.code }, quick);
    await p.connect();
    const closed = closeCode(p);
    p.stall();
    await waitFor(() => quick.gateway.phones().length === 0);
    p.unstall();
    expect(await closed).toBe(PHONE_CLOSE.dead);
  });
});

describe("bad input gets its code and changes nothing", () => {
  let meeting: MeetingRef;
  let watcher: Follower;
  beforeAll(async () => {
    ({ meeting, watcher } = await meetingWithPresenter());
  });

  async function refused(first: string | Buffer | null, then?: (p: PhoneClient) => void): Promise<number> {
    const p = phone({ meeting: meeting.code });
    const closed = closeCode(p);
    if (then) {
      await p.connect();
      then(p);
    } else {
      await p.open(first).catch((err) => {
        if (!(err instanceof PhoneRefused)) throw err;
      });
    }
    return closed;
  }
  const hello = (o: Record<string, unknown> = {}) => JSON.stringify({ type: "hello", v: 1, meeting: meeting.code, name: "Fern", ...o });

  it.each([
    ["not JSON", "{nope", PHONE_CLOSE.badFrame],
    ["not an object", "[1,2]", PHONE_CLOSE.badFrame],
    ["an unknown type", JSON.stringify({ type: "dance" }), PHONE_CLOSE.badFrame],
    ["a bad name", JSON.stringify({ type: "hello", v: 1, meeting: "abcd1234", name: "\u0007" }), PHONE_CLOSE.badFrame],
    ["a token without its user", JSON.stringify({ type: "hello", v: 1, meeting: "abcd1234", token: `dct1-${"a".repeat(16)}-${"b".repeat(64)}` }), PHONE_CLOSE.badFrame],
    ["an oversized frame", JSON.stringify({ type: "hello", v: 1, meeting: "abcd1234", name: "x".repeat(9000) }), PHONE_CLOSE.tooLarge],
    ["a binary frame", Buffer.from([1, 2, 3]), PHONE_CLOSE.tooLarge],
    ["another version", JSON.stringify({ type: "hello", v: 2, meeting: "abcd1234", name: "Fern" }), PHONE_CLOSE.badHello],
    ["chat before hello", JSON.stringify({ type: "chat", text: "hi" }), PHONE_CLOSE.badHello],
    ["no hello at all", null, PHONE_CLOSE.badHello],
    ["an unknown meeting", JSON.stringify({ type: "hello", v: 1, meeting: "zzzz9999", name: "Fern" }), PHONE_CLOSE.unknownMeeting],
    ["a refused token", JSON.stringify({ type: "hello", v: 1, meeting: "abcd1234", name: "x", user: "alice", token: `dct1-${"a".repeat(16)}-${"b".repeat(64)}` }), PHONE_CLOSE.badToken],
  ])("%s", async (_what, first, code) => {
    const seq = watcher.seq;
    expect(await refused(first)).toBe(code);
    expect(watcher.seq).toBe(seq);
    expect(env.dc.component.meetings.get("zzzz9999")).toBeUndefined();
  });

  it("presenting (4004), a second hello (4006), a flood (4002)", async () => {
    const seq = watcher.seq;
    expect(await refused(null, (p) => p.sendRaw(JSON.stringify({ type: "bundle", events: [page(3)] })))).toBe(PHONE_CLOSE.notAllowed);
    expect(await refused(null, (p) => p.sendRaw(JSON.stringify({ type: "audio" })))).toBe(PHONE_CLOSE.notAllowed);
    expect(await refused(null, (p) => p.sendRaw(hello()))).toBe(PHONE_CLOSE.badHello);
    expect(await refused(null, (p) => {
      for (let i = 0; i < 40; i++) p.mode(true);
    })).toBe(PHONE_CLOSE.rateLimited);
    expect(watcher.seq).toBe(seq);
    expect(watcher.state!.page).toBe(1);
  });

  it("token checks past maxTokenChecks at once are closed 4011; the one under way is answered", async () => {
    // Each check is a login at Prosody: a burst of hellos with tokens must not become a burst of logins.
    const narrow = await startBridge({ maxTokenChecks: 1 });
    const hello = JSON.stringify({ type: "hello", v: 1, meeting: meeting.code, name: "x", user: "alice", token: `dct1-${"c".repeat(16)}-${"d".repeat(64)}` });
    // From an address of their own, so their failed logins count against no other test's.
    const sockets = await Promise.all([1, 2].map(async () => {
      const ws = new WebSocket(`${narrow.url}/phone`, { localAddress: "127.0.0.7" });
      await new Promise((r, j) => ws.once("open", r).once("error", j));
      return ws;
    }));
    const closed = sockets.map((ws) => new Promise<number>((r) => ws.once("close", (code) => r(code))));
    for (const ws of sockets) ws.send(hello);
    expect(await Promise.all(closed)).toEqual([PHONE_CLOSE.badToken, PHONE_CLOSE.unavailable]);
  });

  it("too many sockets from one address (4005); the others stay", async () => {
    const open = bridge.gateway.phones().length;
    const max = 40 - open;
    const held = Array.from({ length: max }, () => phone({ meeting: meeting.code }));
    await Promise.all(held.map((p) => p.connect()));
    expect(await refused(hello())).toBe(PHONE_CLOSE.tooManySockets);
    expect(held.every((p) => p.ws !== null)).toBe(true);
    await Promise.all(held.map((p) => p.close()));
  });

  it("a frame in the middle of a session that is bad closes only that socket", async () => {
    const ok = phone({ meeting: meeting.code, name: "Good" });
    await ok.connect();
    expect(await refused(null, (p) => p.sendRaw("{]"))).toBe(PHONE_CLOSE.badFrame);
    // Chat XML cannot carry never reaches the room (it would cost the bridge its XMPP stream).
    expect(await refused(null, (p) => p.sendRaw(JSON.stringify({ type: "chat", text: "bad \ud800 text" })))).toBe(PHONE_CLOSE.badFrame);
    expect(await refused(null, (p) => p.sendRaw(JSON.stringify({ type: "chat", text: "bad \u0001 text" })))).toBe(PHONE_CLOSE.badFrame);
    expect(await refused(null, (p) => p.sendRaw(JSON.stringify({ type: "chat", text: "bad \ufffe text" })))).toBe(PHONE_CLOSE.badFrame);
    expect(await refused(null, (p) => p.sendRaw(JSON.stringify({ type: "chat", text: "x".repeat(5000) })))).toBe(PHONE_CLOSE.badFrame);
    ok.chat("still here", "s1");
    await waitFor(() => ok.frames.some((f) => f.type === "chat" && f.id === "s1"));
    expect(ok.ws).not.toBeNull();
    ok.sendRaw(JSON.stringify({ type: "mode", audio: false }));
    await ok.close();
  });
});

describe("the end", () => {
  it("phones get ended and the socket closes with 4008", async () => {
    const { alice, meeting } = await meetingWithPresenter();
    const p = phone({ meeting: meeting.code });
    await p.connect();
    const closed = closeCode(p);
    await alice.xmpp.iqCaller.request(xml("iq", { type: "set", to: meeting.jid }, xml("end", { xmlns: NS.deckcast })));
    expect(await closed).toBe(PHONE_CLOSE.meetingEnded);
    expect(p.frames.some((f: BridgeFrame) => f.type === "ended")).toBe(true);
    expect(p.state?.ended).toBe(true);
  });
});
