/**
 * PresenterSender against a scripted component: one bundle in flight, coalescing, resends
 * with the same id on transient errors, final refusals reported, and bundles kept under the
 * size a stanza may have even after a long outage.
 */
import { afterEach, describe, expect, it, vi } from "vitest";
import xml, { type Element } from "@xmpp/xml";
import { NS } from "../../protocol/namespaces.ts";
import { encodeError } from "../../protocol/stanza-error.ts";
import { decodeBundle } from "../../protocol/codec.ts";
import type { DeckEvent } from "../../protocol/types.ts";
import { MAX_BUNDLE_CHARS, MAX_QUEUED_AUDIO_BYTES, PresenterSender } from "../../client-core/presenter-sender.ts";
import type { XmppLike } from "../../client-core/xmpp-like.ts";

/** A stand-in for the XMPP connection whose IQ answers a test scripts; it records every request. */
function scriptedXmpp(answer: (iq: Element, n: number) => Element | Error): XmppLike & { sent: Element[] } {
  const sent: Element[] = [];
  return {
    sent,
    async send() {},
    iqCaller: {
      async request(iq: Element) {
        sent.push(iq);
        const a = answer(iq, sent.length);
        if (a instanceof Error) throw a;
        return a;
      },
    },
    on() {},
    off() {},
  };
}
const ack = (seq: number) => xml("iq", { type: "result" }, xml("ack", { xmlns: NS.deckcast, seq: String(seq), ts: "1" }));
const stanzaError = (code: Parameters<typeof encodeError>[0]) => Object.assign(new Error(code), { element: encodeError(code) });
const page = (n: number): DeckEvent => ({ type: "page", t: n, page: n });
const ids = (x: { sent: Element[] }) => x.sent.map((iq) => String(iq.getChild("bundle")!.attrs.id));

/** A connection whose answers wait for `release()`: the first request's only, or every one's. */
function gatedXmpp(held: "first" | "all"): { x: XmppLike & { sent: Element[] }; release: () => void } {
  let release: () => void = () => undefined;
  const gate = new Promise<void>((r) => (release = r));
  const x: XmppLike & { sent: Element[] } = {
    sent: [],
    async send() {},
    iqCaller: {
      async request(iq: Element) {
        x.sent.push(iq);
        if (held === "all" || x.sent.length === 1) await gate;
        return ack(x.sent.length);
      },
    },
    on() {},
    off() {},
  };
  return { x, release };
}

describe("PresenterSender", () => {
  it("sends one bundle at a time and coalesces what queues meanwhile", async () => {
    const x = scriptedXmpp((_, n) => ack(n));
    const s = new PresenterSender(x, { meeting: "m@c", clock: () => 0 });
    s.send([page(1)]);
    s.send([page(2)]);
    s.send([page(3)]);
    await s.flush();
    expect(x.sent.length).toBe(2);
    const second = decodeBundle(x.sent[1]!.getChild("bundle")!);
    expect(second.ok && second.value.events.map((e) => e.t)).toEqual([2, 3]);
  });

  it("resends the same id after a transient error and reports a final refusal", async () => {
    const x = scriptedXmpp((iq, n) => (n === 1 ? stanzaError("archive-failed") : n === 3 ? stanzaError("not-presenter") : ack(n)));
    const s = new PresenterSender(x, { meeting: "m@c", clock: () => 0 });
    const refused: string[] = [];
    s.on("refused", (_b, e) => refused.push(String(e.code)));
    s.send([page(1)]);
    await s.flush();
    s.send([page(2)]);
    await s.flush();
    expect(ids(x)[0]).toBe(ids(x)[1]); // the resend kept its id
    expect(refused).toEqual(["not-presenter"]);
  });

  it("splits a long backlog so no bundle exceeds the stanza budget", async () => {
    const x = scriptedXmpp((_, n) => ack(n));
    const s = new PresenterSender(x, { meeting: "m@c", clock: () => 0 });
    const points = Array.from({ length: 2000 }, (_, i) => i % 10000);
    const strokes: DeckEvent[] = Array.from({ length: 60 }, (_, i) => ({ type: "ink-stroke", t: i, page: 1, stroke: `s${i}`, tool: "pen", color: "#000000", width: 10, points }));
    s.send(strokes);
    await s.flush();
    const sizes = x.sent.map((iq) => iq.getChild("bundle")!.toString().length);
    expect(sizes.filter((n) => n > MAX_BUNDLE_CHARS), `bundles over ${MAX_BUNDLE_CHARS} chars`).toEqual([]);
    const all = x.sent.flatMap((iq) => { const d = decodeBundle(iq.getChild("bundle")!); return d.ok ? d.value.events : []; });
    expect(all.map((e) => e.t)).toEqual(strokes.map((e) => e.t)); // nothing lost, order kept
  });
});

describe("PresenterSender with audio", () => {
  // The hold is a timer: these tests run it on vitest's fake timers, so "nothing was sent
  // during the hold" and "the hold ran out" are moments the test chooses, not sleeps.
  afterEach(() => {
    vi.useRealTimers();
  });
  const audioOf = (iq: Element) => {
    const d = decodeBundle(iq.getChild("bundle")!);
    if (!d.ok) throw new Error(d.error.message);
    return d.value;
  };
  /** A fake Ogg page: only its header type byte (BOS or not) matters to the sender. */
  const pageBytes = (bos: boolean, fill: number) => {
    const b = new Uint8Array(40).fill(fill);
    b.set([0x4f, 0x67, 0x67, 0x53, 0, bos ? 2 : 0]);
    return b;
  };

  it("while the microphone is live, events wait for the next audio chunk and ride with it", async () => {
    vi.useFakeTimers();
    const x = scriptedXmpp((_, n) => ack(n));
    const s = new PresenterSender(x, { meeting: "m@c", clock: () => 0 });
    s.holdForAudioMs = 1000;
    s.send([page(5)]);
    await vi.advanceTimersByTimeAsync(999); // all but the last moment of the hold
    expect(x.sent.length).toBe(0);
    s.send([], { t: 0, data: pageBytes(true, 1) });
    await s.flush();
    expect(x.sent.length).toBe(1);
    const b = audioOf(x.sent[0]!);
    expect(b.events.map((e) => e.t)).toEqual([5]);
    expect(b.audio?.t).toBe(0);
    expect(b.t).toBe(0); // the interval starts with its audio
  });

  it("sends held events on their own when no audio comes in time, and at once when the microphone goes off", async () => {
    vi.useFakeTimers();
    const x = scriptedXmpp((_, n) => ack(n));
    const s = new PresenterSender(x, { meeting: "m@c", clock: () => 0 });
    s.holdForAudioMs = 40;
    s.send([page(1)]);
    await vi.advanceTimersByTimeAsync(39);
    expect(x.sent.length, "sent before the hold ran out").toBe(0);
    await vi.advanceTimersByTimeAsync(1); // the hold runs out, no audio came
    await s.flush();
    expect(x.sent.length).toBe(1);
    s.holdForAudioMs = 5000;
    s.send([page(2)]);
    s.holdForAudioMs = 0;
    await s.flush();
    expect(x.sent.length).toBe(2);
  });

  it("puts chunks of one recording that queued during a round trip into one <audio>, but never a new recording's", async () => {
    const { x, release } = gatedXmpp("first");
    const s = new PresenterSender(x, { meeting: "m@c", clock: () => 0 });
    s.send([], { t: 0, data: pageBytes(true, 1) });
    s.send([], { t: 100, data: pageBytes(false, 2) });
    s.send([], { t: 200, data: pageBytes(false, 3) });
    s.send([], { t: 900, data: pageBytes(true, 4) });
    release();
    await s.flush();
    const audio = x.sent.map((iq) => audioOf(iq).audio!);
    expect(audio.map((a) => [a.t, a.data.length])).toEqual([[0, 40], [100, 80], [900, 40]]);
    expect(audio[1]!.data[10]).toBe(2);
    expect(audio[1]!.data[50]).toBe(3);
  });

  it("keeps at most MAX_QUEUED_AUDIO_BYTES of unsent audio in an outage: the oldest goes, never a header or an event", async () => {
    const { x, release } = gatedXmpp("all"); // the component is away until the test says
    const s = new PresenterSender(x, { meeting: "m@c", clock: () => 0 });
    const dropped: { chunks: number; from: number; to: number }[] = [];
    s.on("audio-dropped", (d) => dropped.push(d));
    const chunk = (bos: boolean, t: number) => {
      const b = new Uint8Array(16 * 1024).fill(t % 251);
      b.set([0x4f, 0x67, 0x67, 0x53, 0, bos ? 2 : 0]);
      return { t, data: b };
    };
    s.send([page(1)], chunk(true, 0)); // in flight at once, held by the gate
    const n = Math.ceil(MAX_QUEUED_AUDIO_BYTES / (16 * 1024)) + 40;
    s.send([], chunk(true, 1)); // a new recording's header, queued first
    for (let k = 2; k < n; k++) s.send(k % 50 === 0 ? [page(k)] : [], chunk(false, k * 100));
    // n − 1 chunks queued behind the one in flight; the bound holds MAX / 16 KiB of them.
    expect(dropped.reduce((a, d) => a + d.chunks, 0)).toBe(n - 1 - MAX_QUEUED_AUDIO_BYTES / (16 * 1024));
    expect(dropped[0]!.from).toBe(200); // the oldest body chunk first
    release();
    await s.flush();
    const bundles = x.sent.slice(1).map((iq) => audioOf(iq));
    const audio = bundles.flatMap((b) => (b.audio ? [b.audio] : []));
    const bytes = audio.reduce((a, c) => a + c.data.length, 0);
    expect(bytes).toBeLessThanOrEqual(MAX_QUEUED_AUDIO_BYTES);
    expect(audio[0]!.t).toBe(1); // the header was kept
    // Every event still went out.
    const pages = bundles.flatMap((b) => b.events.filter((e) => e.type === "page").map((e) => e.t));
    expect(pages).toEqual(Array.from({ length: n }, (_, k) => k).filter((k) => k >= 2 && k % 50 === 0));
  });
});
