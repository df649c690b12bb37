/**
 * The browser's side of the audio framing (web-client/src/audio/): reading the pages the
 * room relays into timed Opus packets, and turning opus-recorder's pages into chunks on the
 * session clock. Checked against the server's own Ogg code (protocol/ogg.ts,
 * opus-stream.ts) and files real encoders made.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { parsePages } from "../../protocol/ogg.ts";
import { parseOpusHead } from "../../server/archive/opus.ts";
import { createOpusSessionStream } from "../../server/archive/opus-stream.ts";
import { ChunkTimes } from "../../web-client/src/audio/chunk-times.ts";
import { ContextClock } from "../../web-client/src/audio/context-clock.ts";
import { headerPages, onePacketPage, readPages, startsStream } from "../../web-client/src/audio/ogg-pages.ts";
import { LIBOPUS_DELAY_SAMPLES, packetSamples } from "../../web-client/src/audio/opus-info.ts";
import { OpusStreamReader } from "../../web-client/src/audio/stream-reader.ts";
import { beepRecording, chunksOf, pagesOf, syntheticRecording } from "../support/opus.ts";

let recording: Uint8Array;
beforeAll(async () => {
  recording = await beepRecording({ durationMs: 2000, beepsMs: [500], encoder: "ffmpeg" });
});

describe("reading relayed audio", () => {
  it("reads every page as the server's parser does", () => {
    const mine = readPages(recording);
    const theirs = parsePages(recording);
    if (!theirs.ok) throw new Error(theirs.error.message);
    expect(mine.map((p) => [p.granule, p.serial, p.sequence, p.bos, p.eos])).toEqual(theirs.value.map((p) => [p.granule, p.serial, p.sequence, p.bos, p.eos]));
  });

  it("times every packet of the session stream on the session clock, for a follower from the start and a late joiner", () => {
    const stream = createOpusSessionStream({ serial: 7, title: "t" });
    const relayed: Uint8Array[] = [];
    for (const chunk of chunksOf(recording, 1000)) {
      const plan = stream.append(chunk);
      if (!plan.ok) throw new Error(plan.error);
      plan.value.commit();
      relayed.push(...plan.value.parts.map((p) => p.data));
    }
    expect(startsStream(relayed[0]!)).toBe(true);

    const fromStart = new OpusStreamReader();
    const packets = relayed.flatMap((r) => fromStart.read(r));
    expect(fromStart.head).toEqual({ channels: 1, preSkip: 312 });
    // Silence from the stream's first sample (the pre-skip before 0), then the recording, back to back.
    expect(packets[0]!.at).toBeCloseTo(-312 / 48, 6);
    for (let i = 1; i < packets.length; i++) expect(packets[i]!.at).toBeCloseTo(packets[i - 1]!.at + packets[i - 1]!.samples / 48, 6);
    const voice = packets.filter((p) => p.at >= 1000 - 7);
    expect(voice[0]!.at).toBeCloseTo(1000 - 312 / 48, 6); // the encoder's delay sits before t, so its first sample lands at t
    expect(Math.abs(packets.at(-1)!.at + packets.at(-1)!.samples / 48 - stream.position)).toBeLessThanOrEqual(0.5); // position is whole ms

    // A late joiner: the header from the state, then the stream from its 5th chunk on.
    const late = new OpusStreamReader();
    late.read(headerPages(relayed[0]!)!);
    const later = relayed.slice(5).flatMap((r) => late.read(r));
    expect(later.map((p) => p.at)).toEqual(packets.slice(packets.length - later.length).map((p) => p.at));
  });

  it("builds one-packet pages (for opus-recorder's decoder) that the server's parser accepts", () => {
    for (const size of [1, 254, 255, 600]) {
      const packet = new Uint8Array(size).map((_, i) => i & 255);
      const parsed = parsePages(onePacketPage(packet, { serial: 9, sequence: 3, granule: 960, bos: size === 1 }));
      if (!parsed.ok) throw new Error(parsed.error.message);
      const [page] = parsed.value;
      expect([page!.serial, page!.sequence, page!.granule, page!.bos, [...page!.body]]).toEqual([9, 3, 960, size === 1, [...packet]]);
    }
  });

  it("reads a packet's duration from its TOC byte", () => {
    expect(packetSamples(Uint8Array.of(0xf8, 1, 2))).toBe(960); // CELT FB 20 ms
    expect(packetSamples(Uint8Array.of(0xfb, 6, 0xff, 0xfe))).toBe(5760); // 6 × 20 ms, code 3
    expect(packetSamples(Uint8Array.of(0x08))).toBe(960); // SILK NB 20 ms
    expect(packetSamples(Uint8Array.of(0x09, 1, 2))).toBe(1920); // two of them (code 1)
  });
});

describe("a presenter's chunks", () => {
  it("carry the header pages with the first audio, each at the session time of its first sample, across a mute", () => {
    const pages = pagesOf(syntheticRecording({ serial: 42, pages: 6, framesPerPage: 5 }).reduce((a, b) => new Uint8Array([...a, ...b])));
    const times = new ChunkTimes();
    times.start(1000);
    const chunks = pages.slice(0, 5).map((p) => times.page(p));
    expect(chunks.slice(0, 2)).toEqual([null, null]); // OpusHead, OpusTags wait for audio
    expect(chunks.slice(2).map((c) => c!.t)).toEqual([1000, 1100, 1200]);
    times.resume(5000); // unmuted at 5.0 s: the recording goes on, its time jumps
    expect(times.page(pages[5]!)!.t).toBe(5000);
    expect(times.page(pages[6]!)!.t).toBe(5100);

    const first = parsePages(chunks[2]!.data);
    if (!first.ok) throw new Error(first.error.message); // CRCs hold after the pre-skip was rewritten
    expect(first.value.map((p) => p.sequence)).toEqual([0, 1, 2]);
    const head = parseOpusHead(first.value[0]!.body);
    expect(head.ok && head.value.preSkip).toBe(LIBOPUS_DELAY_SAMPLES);
  });

  it("read their start when the first audio page is stamped, not when the recording started", () => {
    const pages = pagesOf(syntheticRecording({ serial: 7, pages: 3, framesPerPage: 5 }).reduce((a, b) => new Uint8Array([...a, ...b])));
    const times = new ChunkTimes();
    let settled = 2016; // what the clock said as the recording started
    let reads = 0;
    times.start(() => (reads++, settled));
    settled = 2000; // ...and once it had caught up
    expect([times.page(pages[0]!), times.page(pages[1]!)]).toEqual([null, null]);
    expect(reads).toBe(0); // header pages need no time
    expect([times.page(pages[2]!)!.t, times.page(pages[3]!)!.t]).toEqual([2000, 2100]);
    expect(reads).toBe(1);
  });
});

describe("the microphone's clock", () => {
  /** A context whose currentTime the test sets, on a session clock it sets too. */
  const fake = () => {
    const t = { session: 0, context: 0 };
    const clock = new ContextClock({ get currentTime() { return t.context; } } as BaseAudioContext, () => t.session, 4);
    return { t, clock };
  };

  it("takes the least of its recent readings: a reading while the audio thread is behind does not count", () => {
    const { t, clock } = fake();
    Object.assign(t, { session: 5000, context: 1 }); // offset 4000
    clock.read();
    Object.assign(t, { session: 5266, context: 1.25 }); // the audio thread 16 ms behind: 4016
    expect(clock.sessionTimeOf(1.25)).toBe(5250);
    Object.assign(t, { session: 5503, context: 1.5 }); // jitter: 4003
    expect(clock.sessionTimeOf(1.5)).toBe(5500);
  });

  it("follows a drift between the two clocks: only the last readings count", () => {
    const { t, clock } = fake();
    for (let i = 0; i < 4; i++) {
      Object.assign(t, { session: 1000 + i * 250, context: i * 0.25 }); // offset 1000
      clock.read();
    }
    for (let i = 4; i < 8; i++) {
      Object.assign(t, { session: 1005 + i * 250, context: i * 0.25 }); // the context clock now 5 ms slower
      clock.read();
    }
    expect(clock.sessionTimeOf(2)).toBe(3005);
  });
});
