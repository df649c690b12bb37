/**
 * Ogg pages (RFC 3533 §6): parsing with precise refusals, building with a fresh CRC, and
 * the lacing that splits a page's body into packets and packs packets into pages.
 *
 * A page is: "OggS", version 0, header type flags (1 continued, 2 first page, 4 last
 * page), granule position (64-bit little-endian, -1 = no packet ends here), serial number,
 * page sequence number, CRC-32 (polynomial 0x04c11db7, over the page with this field
 * zeroed), the number of segments and the segment table (lacing values), then the body.
 * A packet is the concatenation of segments up to one shorter than 255 bytes.
 *
 * Nothing here throws on bad input: parsing returns a Result. Pure: the server (archive)
 * and the browser (capture, playback) share it.
 */
import type { Result } from "./types.ts";

/** Why bytes are not Ogg pages; `offset` is the byte where the bad page starts. */
export interface OggError {
  message: string;
  offset: number;
}

export interface OggPage {
  /** The page starts with the rest of a packet begun on the previous page. */
  continued: boolean;
  /** First page of a logical stream (BOS). */
  bos: boolean;
  /** Last page of a logical stream (EOS). */
  eos: boolean;
  /** Granule position after the last packet that ends on this page; NO_GRANULE if none ends here. */
  granule: number;
  serial: number;
  sequence: number;
  /** Lacing values (0..255 each, at most 255 of them). */
  segments: Uint8Array;
  body: Uint8Array;
}

/** The granule position of a page on which no packet ends. */
export const NO_GRANULE = -1;
export const MAX_SEGMENTS = 255;
const HEADER = 27;
const CAPTURE = [0x4f, 0x67, 0x67, 0x53]; // "OggS"

const CRC_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let i = 0; i < 256; i++) {
    let r = i << 24;
    for (let k = 0; k < 8; k++) r = r & 0x80000000 ? (r << 1) ^ 0x04c11db7 : r << 1;
    table[i] = r >>> 0;
  }
  return table;
})();

/** Ogg's CRC-32: polynomial 0x04c11db7, initial value 0, no reflection, no final xor. */
export function oggCrc(bytes: Uint8Array, crc = 0): number {
  for (let i = 0; i < bytes.length; i++) crc = ((crc << 8) ^ CRC_TABLE[((crc >>> 24) ^ bytes[i]!) & 0xff]!) >>> 0;
  return crc;
}

const hex = (n: number) => `0x${n.toString(16).padStart(8, "0")}`;

/** Parses the page at `offset`; `length` is its size in bytes. */
export function parsePage(bytes: Uint8Array, offset = 0): Result<{ page: OggPage; length: number }, OggError> {
  const bad = (message: string) => ({ ok: false as const, error: { message, offset } });
  const left = bytes.length - offset;
  if (left < 4 || CAPTURE.some((c, i) => bytes[offset + i] !== c)) return bad(`no Ogg capture pattern "OggS" at byte ${offset}`);
  if (left < HEADER) return bad(`truncated page at byte ${offset}: ${left} bytes, a page header has ${HEADER}`);
  const view = new DataView(bytes.buffer, bytes.byteOffset + offset, left);
  if (view.getUint8(4) !== 0) return bad(`page at byte ${offset} has Ogg version ${view.getUint8(4)}, only 0 exists`);
  const flags = view.getUint8(5);
  if (flags > 7) return bad(`page at byte ${offset} has unknown header type flags ${hex(flags)}`);
  const rawGranule = view.getBigInt64(6, true);
  if (rawGranule < -1n || rawGranule > BigInt(Number.MAX_SAFE_INTEGER)) return bad(`page at byte ${offset} has granule position ${rawGranule}, out of range`);
  const count = view.getUint8(26);
  if (left < HEADER + count) return bad(`truncated page at byte ${offset}: its segment table needs ${count} bytes`);
  const segments = bytes.subarray(offset + HEADER, offset + HEADER + count);
  const bodyLength = segments.reduce((n, v) => n + v, 0);
  const length = HEADER + count + bodyLength;
  if (left < length) return bad(`truncated page at byte ${offset}: ${length} bytes announced, ${left} present`);
  const stored = view.getUint32(22, true);
  const computed = oggCrc(bytes.subarray(offset + 26, offset + length), oggCrc(new Uint8Array(4), oggCrc(bytes.subarray(offset, offset + 22))));
  if (stored !== computed) return bad(`page at byte ${offset} fails its CRC (stored ${hex(stored)}, computed ${hex(computed)})`);
  const page: OggPage = {
    continued: (flags & 1) !== 0,
    bos: (flags & 2) !== 0,
    eos: (flags & 4) !== 0,
    granule: Number(rawGranule),
    serial: view.getUint32(14, true),
    sequence: view.getUint32(18, true),
    segments,
    body: bytes.subarray(offset + HEADER + count, offset + length),
  };
  return { ok: true, value: { page, length } };
}

/** Parses bytes that must be one or more whole pages, back to back. */
export function parsePages(bytes: Uint8Array): Result<OggPage[], OggError> {
  const pages: OggPage[] = [];
  for (let offset = 0; offset < bytes.length; ) {
    const r = parsePage(bytes, offset);
    if (!r.ok) return r;
    pages.push(r.value.page);
    offset += r.value.length;
  }
  return { ok: true, value: pages };
}

/** Serialises a page, computing its CRC. */
export function buildPage(p: OggPage): Uint8Array {
  const out = new Uint8Array(HEADER + p.segments.length + p.body.length);
  const view = new DataView(out.buffer);
  out.set(CAPTURE, 0);
  view.setUint8(5, (p.continued ? 1 : 0) | (p.bos ? 2 : 0) | (p.eos ? 4 : 0));
  view.setBigInt64(6, BigInt(p.granule), true);
  view.setUint32(14, p.serial >>> 0, true);
  view.setUint32(18, p.sequence >>> 0, true);
  view.setUint8(26, p.segments.length);
  out.set(p.segments, HEADER);
  out.set(p.body, HEADER + p.segments.length);
  view.setUint32(22, oggCrc(out), true);
  return out;
}

/**
 * The page's body cut at its packet boundaries. The first piece continues a packet from the
 * previous page when `page.continued`; the last piece goes on on the next page when
 * `open` (the segment table ends with 255).
 */
export function pagePieces(page: OggPage): { pieces: Uint8Array[]; open: boolean } {
  const pieces: Uint8Array[] = [];
  let start = 0;
  let end = 0;
  for (const v of page.segments) {
    end += v;
    if (v < 255) {
      pieces.push(page.body.subarray(start, end));
      start = end;
    }
  }
  const open = page.segments.length > 0 && page.segments[page.segments.length - 1] === 255;
  if (open) pieces.push(page.body.subarray(start, end));
  return { pieces, open };
}

/** A packet to pack, with the granule position at its end. */
export interface OggPacket {
  data: Uint8Array;
  granule: number;
}

/**
 * Packs packets, in order, into as few pages as the 255-segment limit allows (a packet that
 * does not fit is continued on the next page). Returns the serialised pages.
 */
export function packPages(packets: OggPacket[], o: { serial: number; sequence: number; bos?: boolean; eos?: boolean }): Uint8Array[] {
  const pages: Uint8Array[] = [];
  let segs: number[] = [];
  let parts: Uint8Array[] = [];
  let granule = NO_GRANULE;
  let continued = false;
  const flush = (last: boolean) => {
    const body = new Uint8Array(parts.reduce((n, b) => n + b.length, 0));
    parts.reduce((at, b) => (body.set(b, at), at + b.length), 0);
    const bos = pages.length === 0 && !!o.bos;
    pages.push(buildPage({ continued, bos, eos: last && !!o.eos, granule, serial: o.serial, sequence: o.sequence + pages.length, segments: Uint8Array.from(segs), body }));
    segs = [];
    parts = [];
    granule = NO_GRANULE;
    continued = false;
  };
  for (const { data, granule: g } of packets) {
    let at = 0;
    for (;;) {
      if (segs.length === MAX_SEGMENTS) {
        flush(false);
        continued = at > 0;
      }
      const take = Math.min(255, data.length - at);
      segs.push(take);
      parts.push(data.subarray(at, at + take));
      at += take;
      if (take < 255) break;
    }
    granule = g;
  }
  if (segs.length > 0) flush(true);
  return pages;
}

/** True when the bytes start with the first page of a logical stream (a new recording). */
export function startsStream(bytes: Uint8Array): boolean {
  return bytes.length > 5 && (bytes[5]! & 2) !== 0;
}

/**
 * The header pages (OpusHead, OpusTags: two pages with granule 0) at the start of `bytes`
 * when they begin a stream (the first relayed audio of a session starts with them); null
 * otherwise, also for bytes that are not Ogg pages.
 */
export function headerPages(bytes: Uint8Array): Uint8Array | null {
  if (!startsStream(bytes)) return null;
  let end = 0;
  for (let i = 0; i < 2; i++) {
    const r = parsePage(bytes, end);
    if (!r.ok || r.value.page.granule !== 0) return null;
    end += r.value.length;
  }
  return bytes.slice(0, end);
}
