/**
 * The phone bridge's pure parts: a phone's bounded queue (audio dropped first and reported,
 * then a snapshot instead of the backlog, then slowReader), the resume ring, the token
 * bucket, the frame reader's account fields, and how a phone's chat name is shown.
 */
import xml from "@xmpp/xml";
import { describe, expect, it } from "vitest";
import { ResumeRing } from "../../android-bridge/gateway/resume-ring.ts";
import { SendQueue } from "../../android-bridge/gateway/send-queue.ts";
import { TokenBucket } from "../../android-bridge/gateway/token-bucket.ts";
import { NS } from "../../protocol/namespaces.ts";
import { phoneChatMessage, phoneNameOf, phoneSenderLabel } from "../../protocol/phone-chat.ts";
import { AUDIO_KIND, decodeAudioFrame, encodeAudioFrame, readPhoneFrame } from "../../protocol/phone.ts";
import { fakeClock } from "../support/fake-clock.ts";

/** A socket whose buffer the test drains by hand. */
function socket() {
  const written: (string | Uint8Array)[] = [];
  let buffered = 0;
  const waiting: { bytes: number; done: () => void }[] = [];
  return {
    written,
    sink: {
      buffered: () => buffered,
      write(data: string | Uint8Array, done: () => void) {
        const bytes = typeof data === "string" ? data.length : data.byteLength;
        written.push(data);
        buffered += bytes;
        waiting.push({ bytes, done });
      },
    },
    /** The peer reads everything. */
    drain() {
      for (let w = waiting.shift(); w; w = waiting.shift()) {
        buffered -= w.bytes;
        w.done();
      }
    },
  };
}

const limits = { audioDropBytes: 1000, snapshotBytes: 3000, slowReaderMs: 5000, highWater: 200 };
const ev = (seq: number) => JSON.stringify({ type: "events", seq, pad: "x".repeat(280) });
const au = (seq: number) => encodeAudioFrame({ kind: AUDIO_KIND.pages, seq, t: seq * 100, pages: new Uint8Array(100) });
const types = (w: (string | Uint8Array)[]) => w.map((d) => (typeof d === "string" ? (JSON.parse(d) as { type: string }).type : `audio ${decodeAudioFrame(d)!.seq}`));

describe("a phone's send queue", () => {
  it("writes at once to a socket that reads", () => {
    const s = socket();
    const clock = fakeClock();
    const q = new SendQueue(s.sink, limits, { set: clock.after, clear: clock.clear }, () => ({ json: "{}", seq: 0 }), () => undefined);
    for (let seq = 1; seq <= 20; seq++) {
      q.push(ev(seq), "events", seq);
      q.push(au(seq), "audio", seq);
      s.drain();
    }
    expect(types(s.written)).toEqual(Array.from({ length: 20 }, (_, i) => ["events", `audio ${i + 1}`]).flat());
    expect(q.stats).toEqual({ audioDropped: 0, snapshots: 0 });
  });

  it("drops audio first and says so before the next audio; events all arrive", () => {
    const s = socket();
    const clock = fakeClock();
    const q = new SendQueue(s.sink, limits, { set: clock.after, clear: clock.clear }, () => ({ json: "{}", seq: 0 }), () => undefined);
    for (let seq = 1; seq <= 5; seq++) {
      q.push(ev(seq), "events", seq);
      q.push(au(seq), "audio", seq);
    }
    expect(q.stats.audioDropped).toBeGreaterThan(0);
    s.drain();
    s.drain();
    q.push(ev(6), "events", 6);
    q.push(au(6), "audio", 6);
    s.drain();
    const t = types(s.written);
    expect(t.filter((x) => x === "events")).toHaveLength(6);
    const report = s.written.find((d) => typeof d === "string" && d.includes("audio-dropped")) as string;
    expect(JSON.parse(report)).toEqual({ type: "audio-dropped", from: 3, to: 5 });
    expect(t.indexOf("audio-dropped")).toBeLessThan(t.indexOf("audio 6"));
  });

  it("gives a snapshot instead of the backlog, reports the dropped audio before it, and goes on after it", () => {
    const s = socket();
    const clock = fakeClock();
    const q = new SendQueue(s.sink, limits, { set: clock.after, clear: clock.clear }, () => ({ json: JSON.stringify({ type: "snapshot", seq: 30 }), seq: 30 }), () => undefined);
    for (let seq = 1; seq <= 30; seq++) {
      q.push(ev(seq), "events", seq);
      q.push(au(seq), "audio", seq);
    }
    expect(q.waitingForSnapshot).toBe(true);
    s.drain();
    expect(q.waitingForSnapshot).toBe(false);
    q.push(ev(31), "events", 31);
    s.drain();
    const t = types(s.written);
    expect(t.slice(-3)).toEqual(["audio-dropped", "snapshot", "events"]);
    expect(JSON.parse(s.written.at(-3) as string)).toMatchObject({ from: 1, to: 30 }); // none of it was written: all of it is reported
    expect(q.stats.snapshots).toBe(1);
  });

  it("after a snapshot, frames of the seqs it covers are not sent (a resume's replay that overflowed)", () => {
    const s = socket();
    const clock = fakeClock();
    const q = new SendQueue(s.sink, limits, { set: clock.after, clear: clock.clear }, () => ({ json: JSON.stringify({ type: "snapshot", seq: 40 }), seq: 40 }), () => undefined);
    for (let seq = 1; seq <= 12; seq++) q.push(ev(seq), "events", seq); // over snapshotBytes at once
    s.drain();
    expect(q.stats.snapshots).toBe(1);
    for (let seq = 13; seq <= 41; seq++) q.push(ev(seq), "events", seq); // the rest of the replay, then live
    s.drain();
    const seqs = s.written.map((d) => JSON.parse(d as string) as { type: string; seq?: number }).filter((f) => f.type !== "audio-dropped");
    const after = seqs.slice(seqs.findIndex((f) => f.type === "snapshot"));
    expect(after.map((f) => `${f.type} ${f.seq}`)).toEqual(["snapshot 40", "events 41"]);
  });

  it("a phone that reads nothing while only control frames come (chat) is given up past twice snapshotBytes", () => {
    const s = socket();
    const clock = fakeClock();
    let slow = 0;
    const q = new SendQueue(s.sink, limits, { set: clock.after, clear: clock.clear }, () => ({ json: "{}", seq: 0 }), () => slow++);
    const chat = JSON.stringify({ type: "chat", nick: "a", text: "x".repeat(280), ts: 1 });
    let accepted = 0;
    for (let i = 0; i < 100; i++) if (q.push(chat, "control")) accepted++;
    expect(slow).toBe(1);
    expect(accepted).toBeLessThan(100);
    expect(q.size).toBeLessThanOrEqual(2 * limits.snapshotBytes);
    expect(q.push(chat, "control"), "nothing after it is given up").toBe(false);
  });

  it("a phone that cannot take even the snapshot in slowReaderMs is given up", () => {
    const s = socket();
    const clock = fakeClock();
    let slow = 0;
    const q = new SendQueue(s.sink, limits, { set: clock.after, clear: clock.clear }, () => ({ json: "{}", seq: 0 }), () => slow++);
    for (let seq = 1; seq <= 30; seq++) q.push(ev(seq), "events", seq);
    clock.advance(4999);
    expect(slow).toBe(0);
    clock.advance(1);
    expect(slow).toBe(1);
  });
});

describe("the resume ring", () => {
  it("gives exactly the bundles after a seq while it holds them all", () => {
    const ring = new ResumeRing(4);
    ring.reset(10);
    for (let seq = 11; seq <= 16; seq++) ring.push({ seq, events: `e${seq}`, audio: null });
    expect(ring.after(16)).toEqual([]);
    expect(ring.after(12)!.map((e) => e.seq)).toEqual([13, 14, 15, 16]);
    expect(ring.after(11)).toBeNull(); // 12 is gone
    expect(ring.after(17)).toBeNull(); // the future
    ring.reset(40);
    expect(ring.after(16)).toBeNull();
    expect(ring.after(40)).toEqual([]);
  });
});

describe("the token bucket", () => {
  it("allows a burst, then the rate", () => {
    const clock = fakeClock();
    const b = new TokenBucket(3, 2, clock.now);
    expect([b.take(), b.take(), b.take(), b.take()]).toEqual([true, true, true, false]);
    clock.advance(500);
    expect([b.take(), b.take()]).toEqual([true, false]);
  });
});

describe("hello with an account", () => {
  const token = `dct1-${"a".repeat(16)}-${"b".repeat(64)}`;
  const read = (o: object) => readPhoneFrame(JSON.stringify({ type: "hello", v: 1, meeting: "abcd1234", ...o }), 100);
  it("needs user and token together", () => {
    expect(read({ user: "alice", token })).toEqual({ ok: true, frame: { type: "hello", v: 1, meeting: "abcd1234", user: "alice", token } });
    expect(read({ token })).toMatchObject({ ok: false, close: "badFrame" });
    expect(read({ user: "alice", name: "A" })).toMatchObject({ ok: false, close: "badFrame" });
    expect(read({ user: "Alice!", token })).toMatchObject({ ok: false, close: "badFrame" });
  });
});

describe("a phone's name in room chat", () => {
  it("is read from the <phone/> child and shown with the occupant that sent it", () => {
    const m = phoneChatMessage("abcd1234@rooms.x", "id1", "hello", "Fern");
    expect(m.getChild("phone", NS.deckcast)?.attrs.name).toBe("Fern");
    expect(phoneNameOf(m)).toBe("Fern");
    expect(phoneSenderLabel("Fern", "phones-ab12")).toBe("Fern (phone, via phones-ab12)");
    expect(phoneNameOf(xml("message", {}, xml("body", {}, "x")))).toBeNull();
    expect(phoneNameOf(xml("message", {}, xml("phone", { xmlns: NS.deckcast, name: "  " })))).toBeNull();
    expect(phoneNameOf(xml("message", {}, xml("phone", { xmlns: "other", name: "Fern" })))).toBeNull();
  });
});
