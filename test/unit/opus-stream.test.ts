/**
 * The session's one Ogg Opus stream (server/archive/opus-stream.ts, opus-input.ts,
 * opus-recover.ts, opus.ts): recordings from real encoders in, one valid stream out,
 * checked with opusinfo, ffprobe and ffmpeg's decoder.
 */
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AudioChunk } from "../../protocol/types.ts";
import { packPages, pagePieces, parsePages } from "../../protocol/ogg.ts";
import { buildOpusHead, buildOpusTags, isOpusHead, isOpusTags, opusPacketSamples, silencePackets } from "../../server/archive/opus.ts";
import { recoverOpusSessionStream } from "../../server/archive/opus-recover.ts";
import { createOpusSessionStream, type OpusSessionStream } from "../../server/archive/opus-stream.ts";
import { beepRecording, chunksOf, concat, decodePcm, findBeeps, pagesOf, tool } from "../support/opus.ts";

let dir: string;
let a: Uint8Array; // ffmpeg, 2 s, beeps at 0.5 s and 1.5 s
let b: Uint8Array; // opusenc, 2 s, beeps at 0.3 s and 1.3 s
beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), "deckcast-opus-stream-"));
  [a, b] = await Promise.all([
    beepRecording({ durationMs: 2000, beepsMs: [500, 1500], encoder: "ffmpeg" }),
    beepRecording({ durationMs: 2000, beepsMs: [300, 1300], encoder: "opusenc" }),
  ]);
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Appends and commits every chunk; returns the bytes written. */
function feed(s: OpusSessionStream, chunks: AudioChunk[]): Uint8Array {
  const out: Uint8Array[] = [];
  for (const c of chunks) {
    const plan = s.append(c);
    if (!plan.ok) throw new Error(plan.error);
    out.push(...plan.value.parts.map((p) => p.data));
    plan.value.commit();
  }
  return concat(out);
}

/** Every packet of a stream, with the pages' serials, sequences and granules. */
function inspect(bytes: Uint8Array) {
  const r = parsePages(bytes);
  if (!r.ok) throw new Error(r.error.message);
  const packets = r.value.flatMap((p) => pagePieces(p).pieces);
  const audio = packets.filter((p) => !isOpusHead(p) && !isOpusTags(p));
  const samples = audio.reduce((n, p) => n + (opusPacketSamples(p) as { value: number }).value, 0);
  return { pages: r.value, heads: packets.filter(isOpusHead).length, tags: packets.filter(isOpusTags).length, samples };
}

async function save(name: string, bytes: Uint8Array): Promise<string> {
  const file = path.join(dir, name);
  await writeFile(file, bytes);
  return file;
}

describe("Opus packets", () => {
  it("reads a packet's duration from its TOC byte and frame count", () => {
    const samples = (...bytes: number[]) => opusPacketSamples(Uint8Array.from(bytes));
    expect(samples(0x18)).toEqual({ ok: true, value: 2880 }); // SILK NB 60 ms, one frame
    expect(samples(0x09, 0, 0)).toEqual({ ok: true, value: 1920 }); // SILK NB 20 ms, two frames
    expect(samples(0x78)).toEqual({ ok: true, value: 960 }); // Hybrid FB 20 ms
    expect(samples(0xe0)).toEqual({ ok: true, value: 120 }); // CELT FB 2.5 ms
    expect(samples(0xfb, 6)).toEqual({ ok: true, value: 5760 }); // CELT 20 ms × 6 = 120 ms
    expect(samples()).toEqual({ ok: false, error: "an Opus packet is empty (it needs at least its TOC byte)" });
    expect(samples(0xfb)).toEqual({ ok: false, error: "an Opus code 3 packet has no frame count byte" });
    expect(samples(0xfb, 0)).toEqual({ ok: false, error: "an Opus code 3 packet has 0 frames" });
    expect(samples(0xfb, 7)).toEqual({ ok: false, error: "an Opus packet lasts 140 ms, more than 120 ms" });
  });

  for (const channels of [1, 2]) {
    it(`silence packets (${channels} channel${channels > 1 ? "s" : ""}) decode to digital silence of the right length`, async () => {
      let granule = 0;
      const packets = silencePackets(48 * 1337, channels).map((s) => ({ data: s.packet, granule: (granule += s.samples) }));
      expect(granule).toBe(48 * 1337 - ((48 * 1337) % 120));
      const head = packPages([{ data: buildOpusHead({ channels, preSkip: 0 }), granule: 0 }], { serial: 1, sequence: 0, bos: true });
      const tags = packPages([{ data: buildOpusTags("deckcast", []), granule: 0 }], { serial: 1, sequence: 1 });
      const file = await save(`silence${channels}.opus`, concat([...head, ...tags, ...packPages(packets, { serial: 1, sequence: 2, eos: true })]));
      const pcm = await decodePcm(file);
      expect(pcm.length).toBe(granule);
      expect(pcm.findIndex((x) => x !== 0), "the first sample that is not silent").toBe(-1);
    });
  }
});

describe("one session stream from many recordings", () => {
  // Alice's mic from 1.0 s to 3.0 s, muted, then her second recording (new serial) at 5.0 s.
  const chunks = () => [...chunksOf(a, 1000), ...chunksOf(b, 5000)];

  it("has one serial, one OpusHead and OpusTags, continuous pages and granules, and opusinfo and ffprobe accept it", async () => {
    const s = createOpusSessionStream({ serial: 0x1234, title: "Q3 review" });
    const audio = feed(s, chunks());
    const end = s.finish(7000);
    const out = concat([audio, ...end.parts.map((p) => p.data)]);
    const { pages, heads, tags, samples } = inspect(out);
    expect(new Set(pages.map((p) => p.serial))).toEqual(new Set([0x1234]));
    expect(pages.map((p) => p.sequence)).toEqual(pages.map((_, i) => i));
    expect(pages.map((p) => p.bos)).toEqual(pages.map((_, i) => i === 0));
    expect(pages.map((p) => p.eos)).toEqual(pages.map((_, i) => i === pages.length - 1));
    expect([heads, tags]).toEqual([1, 1]);
    expect(pages.flatMap((p, i) => (i > 0 && p.granule < pages[i - 1]!.granule ? [`page ${i}: ${pages[i - 1]!.granule} → ${p.granule}`] : [])), "granules going back").toEqual([]);
    expect(pages.at(-1)!.granule).toBe(samples);
    const file = await save("two.opus", out);
    const info = await tool("opusinfo", [file]);
    expect(info.stdout).toContain("Encoded with deckcast");
    expect(info.stdout).toContain("TITLE=Q3 review");
    expect(`${info.stdout}${info.stderr}`).not.toMatch(/warning|error/i);
    const probe = await tool("ffprobe", ["-v", "error", "-show_entries", "format=duration", "-of", "csv=p=0", file]);
    expect(Math.abs(Number(probe.stdout) * 1000 - 7000)).toBeLessThan(100); // 5.0 s + 2.0 s
    // opusenc trims its last packet with the granule of its last page; the stream keeps whole packets.
    expect(Math.abs(s.position - 7000)).toBeLessThanOrEqual(20);
  });

  it("plays each beep at its session time, with silence where the mic was off", async () => {
    const pcm = await decodePcm(await save("beeps.opus", feed(createOpusSessionStream(), chunks())));
    const beeps = findBeeps(pcm);
    const expected = [1500, 2500, 5300, 6300];
    expect(beeps).toHaveLength(expected.length);
    beeps.forEach((ms, i) => expect(Math.abs(ms - expected[i]!)).toBeLessThanOrEqual(40));
    expect(pcm.subarray(48 * 3100, 48 * 4900).findIndex((x) => x !== 0), "the first sound in the mute (samples after 3100 ms)").toBe(-1);
    expect(pcm.subarray(0, 48 * 900).findIndex((x) => x !== 0), "the first sound before the mic went on (samples)").toBe(-1);
  });

  it("goes on after a restart from the file alone, writing exactly what it would have written", () => {
    const all = chunks();
    const straight = feed(createOpusSessionStream({ serial: 7 }), all);
    const before = feed(createOpusSessionStream({ serial: 7 }), all.slice(0, 13));
    // Only the file's two ends are read after a restart.
    const recovered = recoverOpusSessionStream({ head: before.subarray(0, 400), tail: before.subarray(before.length - 900) });
    if (!recovered.ok) throw new Error(recovered.error);
    expect(recovered.value.state.sequence).toBe(inspect(before).pages.length);
    const after = feed(recovered.value, all.slice(13));
    expect(concat([before, after])).toEqual(straight);
  });

  it("refuses to continue a file that is not a stream it wrote, saying why", () => {
    const out = feed(createOpusSessionStream({ serial: 7 }), chunksOf(a, 1000));
    const recover = (bytes: Uint8Array) => {
      const r = recoverOpusSessionStream(bytes);
      return r.ok ? "ok" : r.error;
    };
    expect(recover(new Uint8Array())).toBe("ok"); // no audio yet: a fresh stream
    expect(recover(out.subarray(1))).toBe('audio.opus: no Ogg capture pattern "OggS" at byte 0');
    expect(recover(out.subarray(0, out.length - 5))).toBe("audio.opus does not end with a whole Ogg page");
    expect(recover(concat([out, pagesOf(b)[2]!]))).toMatch(/^audio.opus ends with a page of serial \d+, its stream is 7$/);
    expect(recover(pagesOf(b)[2]!)).toBe("audio.opus does not begin with an OpusHead page");
  });

  it("drops header pages sent again and audio sent twice", () => {
    const all = chunksOf(a, 1000);
    const s = createOpusSessionStream();
    const once = feed(s, all);
    const position = s.position;
    const headerPages = concat(pagesOf(a).slice(0, 2));
    expect(feed(s, [{ t: position, data: headerPages }])).toEqual(new Uint8Array());
    expect(feed(s, all.slice(3, 6))).toEqual(new Uint8Array()); // a resend: time already covered
    expect(s.position).toBe(position);
    expect(inspect(once).heads).toBe(1);
  });

  it("absorbs clock jitter within 60 ms on continuing audio, and fills a pause in the same recording", () => {
    const exact = chunksOf(a, 1000);
    const jittered = exact.map((c, i) => (i === 0 ? c : { ...c, t: c.t + [45, -50, 30, -20][i % 4]! }));
    expect(feed(createOpusSessionStream({ serial: 1 }), jittered)).toEqual(feed(createOpusSessionStream({ serial: 1 }), exact));
    const paused = exact.map((c, i) => (i < 5 ? c : { ...c, t: c.t + 2000 }));
    const s = createOpusSessionStream();
    feed(s, paused);
    expect(Math.abs(s.position - 5000)).toBeLessThanOrEqual(20); // 1.0 s + 2.0 s of audio + 2.0 s of pause
  });
});

describe("refusals change nothing", () => {
  it("refuses a recording whose channel count differs from the session's", () => {
    const stereo = packPages([{ data: buildOpusHead({ channels: 2, preSkip: 312 }), granule: 0 }], { serial: 99, sequence: 0, bos: true })[0]!;
    const s = createOpusSessionStream();
    feed(s, chunksOf(a, 0).slice(0, 3));
    const state = s.state;
    const r = s.append({ t: 900, data: stereo });
    expect(r).toEqual({ ok: false, error: "page 1 (serial 0x00000063, sequence 0): the recording has 2 channel(s), the session's audio has 1" });
    expect(s.state).toBe(state);
  });

  it("refuses damaged pages and audio before any OpusHead, precisely", () => {
    const s = createOpusSessionStream();
    const first = chunksOf(a, 0)[0]!.data.slice();
    first[first.length - 3]! ^= 0xff;
    const damaged = s.append({ t: 0, data: first });
    expect(damaged.ok ? "" : damaged.error).toMatch(/^page at byte \d+ fails its CRC \(stored 0x[0-9a-f]{8}, computed 0x[0-9a-f]{8}\)$/);
    expect(s.append({ t: 0, data: chunksOf(a, 0)[3]!.data })).toEqual({ ok: false, error: "audio before any OpusHead: a recording must begin with its OpusHead page" });
    expect(s.append({ t: 0, data: new Uint8Array(0) })).toEqual({ ok: false, error: "the audio holds no Ogg page" });
    expect(s.state.headers).toBeNull();
  });

  it("changes nothing until a plan is committed", () => {
    const s = createOpusSessionStream();
    const plan = s.append(chunksOf(a, 500)[0]!);
    expect(plan.ok && plan.value.parts.length).toBe(1);
    expect(s.state.granule).toBe(0);
    expect(s.state.headers).toBeNull();
  });
});

describe("long silences and the end", () => {
  it("splits what does not fit into parts of at most maxBytes, each of whole pages", () => {
    const s = createOpusSessionStream({ maxBytes: 1500 });
    const plan = s.append(chunksOf(a, 120_000)[0]!); // two minutes before the mic went on
    if (!plan.ok) throw new Error(plan.error);
    const { parts } = plan.value;
    expect(parts.length).toBeGreaterThan(5);
    expect(parts.filter((p) => !(p.data.length <= 1500 && parsePages(p.data).ok)).map((p) => ({ t: p.t, bytes: p.data.length, pages: parsePages(p.data).ok })), "parts over 1500 bytes or not whole pages").toEqual([]);
    expect(parts.map((p) => p.t)).toEqual([...parts.map((p) => p.t)].sort((x, y) => x - y));
    plan.value.commit(2);
    expect(s.state.sequence).toBe(inspect(concat(parts.slice(0, 3).map((p) => p.data))).pages.length);
    plan.value.commit();
    expect(s.position).toBeGreaterThan(120_000);
  });

  it("finish pads with silence to the session's end and closes the stream", () => {
    const s = createOpusSessionStream();
    const out = [feed(s, chunksOf(a, 1000))];
    const end = s.finish(10_000);
    out.push(...end.parts.map((p) => p.data));
    end.commit();
    const { pages } = inspect(concat(out));
    expect(pages.at(-1)!.eos).toBe(true);
    expect(pages.filter((p) => p.eos)).toHaveLength(1);
    expect(Math.abs(s.position - 10_000)).toBeLessThanOrEqual(3);
    expect(s.append(chunksOf(b, 11_000)[0]!)).toEqual({ ok: false, error: "the session's audio stream has ended" });
  });
});
