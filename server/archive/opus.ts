/**
 * What deckcast needs to know about Opus inside Ogg (RFC 7845) and about Opus packets
 * (RFC 6716 §3.1): packet durations from the TOC byte, the OpusHead and OpusTags header
 * packets, and a silence packet to fill gaps in the session's stream.
 */
import type { Result } from "../../protocol/types.ts";

/** Samples per millisecond: Ogg Opus granule positions always count 48 kHz samples. */
export const SAMPLES_PER_MS = 48;
/** The longest Opus packet: 120 ms. */
export const MAX_PACKET_SAMPLES = 5760;

const ascii = (s: string) => Uint8Array.from(s, (c) => c.charCodeAt(0));
const OPUS_HEAD = ascii("OpusHead");
const OPUS_TAGS = ascii("OpusTags");
const startsWith = (p: Uint8Array, magic: Uint8Array) => p.length >= magic.length && magic.every((b, i) => p[i] === b);

/** Samples (at 48 kHz) of one frame of each TOC configuration 0..31 (RFC 6716 Table 2). */
function frameSamples(config: number): number {
  if (config < 12) return [480, 960, 1920, 2880][config & 3]!; // SILK: 10, 20, 40, 60 ms
  if (config < 16) return config & 1 ? 960 : 480; // Hybrid: 10, 20 ms
  return [120, 240, 480, 960][config & 3]!; // CELT: 2.5, 5, 10, 20 ms
}

/**
 * The duration of an Opus packet in 48 kHz samples, from its TOC byte (config → frame size)
 * and its frame count (code 0: one frame, 1 and 2: two, 3: the count in the second byte).
 */
export function opusPacketSamples(packet: Uint8Array): Result<number, string> {
  if (packet.length === 0) return { ok: false, error: "an Opus packet is empty (it needs at least its TOC byte)" };
  const toc = packet[0]!;
  const code = toc & 3;
  let frames = code === 0 ? 1 : code === 3 ? -1 : 2;
  if (code === 3) {
    if (packet.length < 2) return { ok: false, error: "an Opus code 3 packet has no frame count byte" };
    frames = packet[1]! & 0x3f;
    if (frames === 0) return { ok: false, error: "an Opus code 3 packet has 0 frames" };
  }
  const samples = frames * frameSamples(toc >> 3);
  if (samples > MAX_PACKET_SAMPLES) return { ok: false, error: `an Opus packet lasts ${samples / SAMPLES_PER_MS} ms, more than 120 ms` };
  return { ok: true, value: samples };
}

/** The fields of an OpusHead packet (RFC 7845 §5.1) deckcast uses. */
export interface OpusHead {
  channels: number;
  preSkip: number;
  inputSampleRate: number;
  outputGain: number;
  mappingFamily: number;
}

export const isOpusHead = (p: Uint8Array) => startsWith(p, OPUS_HEAD);
export const isOpusTags = (p: Uint8Array) => startsWith(p, OPUS_TAGS);

/** Reads an OpusHead packet; refuses versions other than 0.x and mapping families other than 0 (mono, stereo). */
export function parseOpusHead(p: Uint8Array): Result<OpusHead, string> {
  if (!isOpusHead(p) || p.length < 19) return { ok: false, error: `OpusHead is ${p.length} bytes, at least 19 expected` };
  const v = new DataView(p.buffer, p.byteOffset, p.length);
  const version = v.getUint8(8);
  if (version >> 4 !== 0) return { ok: false, error: `OpusHead version ${version} is not supported (only 0.x)` };
  const head: OpusHead = { channels: v.getUint8(9), preSkip: v.getUint16(10, true), inputSampleRate: v.getUint32(12, true), outputGain: v.getInt16(16, true), mappingFamily: v.getUint8(18) };
  if (head.mappingFamily !== 0) return { ok: false, error: `OpusHead channel mapping family ${head.mappingFamily} is not supported (only 0: mono or stereo)` };
  if (head.channels < 1 || head.channels > 2) return { ok: false, error: `OpusHead has ${head.channels} channels; mapping family 0 allows 1 or 2` };
  return { ok: true, value: head };
}

/** An OpusHead packet: version 1, 48 kHz input rate, mapping family 0. */
export function buildOpusHead(h: { channels: number; preSkip: number; outputGain?: number }): Uint8Array {
  const p = new Uint8Array(19);
  const v = new DataView(p.buffer);
  p.set(OPUS_HEAD);
  v.setUint8(8, 1);
  v.setUint8(9, h.channels);
  v.setUint16(10, h.preSkip, true);
  v.setUint32(12, 48000, true);
  v.setInt16(16, h.outputGain ?? 0, true);
  v.setUint8(18, 0);
  return p;
}

/** An OpusTags packet (RFC 7845 §5.2) with a vendor string and `NAME=value` comments. */
export function buildOpusTags(vendor: string, comments: string[]): Uint8Array {
  const enc = new TextEncoder();
  const strings = [enc.encode(vendor), ...comments.map((c) => enc.encode(c))];
  const p = new Uint8Array(8 + 4 + 4 + strings.reduce((n, s) => n + 4 + s.length, 0));
  const v = new DataView(p.buffer);
  p.set(OPUS_TAGS);
  let at = 8;
  const put = (s: Uint8Array) => {
    v.setUint32(at, s.length, true);
    p.set(s, at + 4);
    at += 4 + s.length;
  };
  put(strings[0]!);
  v.setUint32(at, comments.length, true);
  at += 4;
  for (const s of strings.slice(1)) put(s);
  return p;
}

/** A CELT frame whose range-coded silence flag is set: it decodes to digital silence. */
const SILENT_FRAME = [0xff, 0xfe];
/** TOC configs 28..31: CELT-only, fullband, 2.5 / 5 / 10 / 20 ms frames. */
const CELT_FB: Record<number, number> = { 120: 28, 240: 29, 480: 30, 960: 31 };

/**
 * A packet of `frames` (1..48, at most 120 ms) silent CELT frames of `frameSamples`
 * (120, 240, 480 or 960 samples): code 0 for one frame, otherwise code 3 with a constant
 * frame size.
 */
export function silencePacket(frames: number, frameSamples: 120 | 240 | 480 | 960, channels: number): Uint8Array {
  const toc = (CELT_FB[frameSamples]! << 3) | (channels === 2 ? 4 : 0);
  if (frames === 1) return Uint8Array.from([toc, ...SILENT_FRAME]);
  const body = Array.from({ length: frames }, () => SILENT_FRAME).flat();
  return Uint8Array.from([toc | 3, frames, ...body]);
}

/**
 * Silence packets lasting `samples` rounded down to 2.5 ms: 120 ms packets of 20 ms
 * frames, then one packet for what is left of 20 ms frames and one each of 10, 5 and 2.5 ms
 * as needed.
 */
export function silencePackets(samples: number, channels: number): { packet: Uint8Array; samples: number }[] {
  const out: { packet: Uint8Array; samples: number }[] = [];
  let left = Math.floor(samples / 120) * 120;
  while (left >= 960) {
    const frames = Math.min(6, Math.floor(left / 960));
    out.push({ packet: silencePacket(frames, 960, channels), samples: frames * 960 });
    left -= frames * 960;
  }
  for (const size of [480, 240, 120] as const) {
    if (left < size) continue;
    out.push({ packet: silencePacket(1, size, channels), samples: size });
    left -= size;
  }
  return out;
}
