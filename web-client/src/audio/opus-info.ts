/**
 * What the browser needs to know about Opus in Ogg (RFC 7845) and Opus packets (RFC 6716
 * §3.1): a packet's duration from its TOC byte, the OpusHead fields, and the correction of
 * the pre-skip opus-recorder declares.
 */
import { patchPage, readPages } from "./ogg-pages.ts";

export const SAMPLES_PER_MS = 48;

/**
 * The delay of libopus at 48 kHz (OPUS_GET_LOOKAHEAD for the VOIP and AUDIO applications:
 * 2.5 ms + 4 ms delay compensation). opus-recorder 8.0.5 writes a fixed pre-skip of 3840
 * (80 ms) into its OpusHead whatever the encoder's delay is; a decoder honouring it drops
 * the first 80 ms and plays everything after 73.5 ms early, so the presenter's client writes
 * the real delay instead (see `withPreSkip`).
 */
export const LIBOPUS_DELAY_SAMPLES = 312;

export interface OpusHeadInfo {
  channels: number;
  preSkip: number;
}

const isMagic = (p: Uint8Array, magic: string) => p.length >= 8 && [...magic].every((c, i) => p[i] === c.charCodeAt(0));
export const isOpusHead = (p: Uint8Array) => isMagic(p, "OpusHead");
export const isOpusTags = (p: Uint8Array) => isMagic(p, "OpusTags");

/** Channels and pre-skip of an OpusHead packet; null when it is not one deckcast can play. */
export function readOpusHead(p: Uint8Array): OpusHeadInfo | null {
  if (!isOpusHead(p) || p.length < 19) return null;
  const channels = p[9]!;
  const preSkip = p[10]! | (p[11]! << 8);
  if (p[18] !== 0 || channels < 1 || channels > 2) return null;
  return { channels, preSkip };
}

/** Samples (48 kHz) of one frame of TOC configuration 0..31 (RFC 6716 Table 2). */
function frameSamples(config: number): number {
  if (config < 12) return [480, 960, 1920, 2880][config & 3]!;
  if (config < 16) return config & 1 ? 960 : 480;
  return [120, 240, 480, 960][config & 3]!;
}

/** Duration of an Opus packet in 48 kHz samples (0 for an empty or malformed packet). */
export function packetSamples(packet: Uint8Array): number {
  if (packet.length === 0) return 0;
  const toc = packet[0]!;
  const code = toc & 3;
  const frames = code === 0 ? 1 : code === 3 ? (packet[1] ?? 0) & 0x3f : 2;
  return frames * frameSamples(toc >> 3);
}

/**
 * The recording's first page (BOS, OpusHead alone) with its pre-skip set to `preSkip`; any
 * other bytes come back unchanged.
 */
export function withPreSkip(page: Uint8Array, preSkip: number): Uint8Array {
  const [first] = readPages(page);
  if (!first?.bos || first.pieces.length !== 1 || !readOpusHead(first.pieces[0]!)) return page;
  const at = first.bodyOffset + 10;
  return patchPage(page, (_, view) => view.setUint16(at, preSkip, true));
}
