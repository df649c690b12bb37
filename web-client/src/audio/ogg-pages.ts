/**
 * Ogg pages (RFC 3533 §6) in the browser: reading the pages the room relays (the session's
 * Ogg Opus stream, docs/protocol.md §Audio) and the pages opus-recorder streams. Pure and
 * small on purpose; the server's strict parser (server/archive/ogg.ts) checks CRCs and
 * refuses bad pages before anything is relayed, so this one only reads the framing.
 *
 * `patchPage` rewrites bytes of a page and recomputes its CRC (used to correct the
 * pre-skip opus-recorder writes into its OpusHead, see opus-info.ts); `onePacketPage`
 * builds a page around one packet (for opus-recorder's decoder, which takes pages).
 */

export interface OggPageView {
  continued: boolean;
  bos: boolean;
  eos: boolean;
  /** Granule position after the last packet that ends on this page; -1 when none ends here. */
  granule: number;
  serial: number;
  sequence: number;
  /** The page's packets cut at their lacing boundaries; the last one goes on on the next page when `open`. */
  pieces: Uint8Array[];
  open: boolean;
  /** Offset of the page's body in the bytes it was read from. */
  bodyOffset: number;
}

const HEADER = 27;

/** Reads back-to-back pages; throws on bytes that are not Ogg pages (the relay never sends those). */
export function readPages(bytes: Uint8Array): OggPageView[] {
  const pages: OggPageView[] = [];
  for (let at = 0; at < bytes.length; ) {
    if (bytes.length - at < HEADER || bytes[at] !== 0x4f || bytes[at + 1] !== 0x67 || bytes[at + 2] !== 0x67 || bytes[at + 3] !== 0x53) {
      throw new Error(`no Ogg page at byte ${at}`);
    }
    const view = new DataView(bytes.buffer, bytes.byteOffset + at);
    const flags = view.getUint8(5);
    const count = view.getUint8(26);
    const segments = bytes.subarray(at + HEADER, at + HEADER + count);
    const bodyOffset = at + HEADER + count;
    const pieces: Uint8Array[] = [];
    let start = bodyOffset;
    let end = bodyOffset;
    for (const v of segments) {
      end += v;
      if (v < 255) {
        pieces.push(bytes.subarray(start, end));
        start = end;
      }
    }
    const open = count > 0 && segments[count - 1] === 255;
    if (open) pieces.push(bytes.subarray(start, end));
    if (end > bytes.length) throw new Error(`truncated Ogg page at byte ${at}`);
    pages.push({
      continued: (flags & 1) !== 0,
      bos: (flags & 2) !== 0,
      eos: (flags & 4) !== 0,
      granule: Number(view.getBigInt64(6, true)),
      serial: view.getUint32(14, true),
      sequence: view.getUint32(18, true),
      pieces,
      open,
      bodyOffset,
    });
    at = end;
  }
  return pages;
}

/** True when the bytes start with the first page of a logical stream (a new recording). */
export function startsStream(bytes: Uint8Array): boolean {
  return bytes.length > 5 && (bytes[5]! & 2) !== 0;
}

/**
 * The header pages (OpusHead, OpusTags) at the start of `bytes` when they begin a stream
 * (the first relayed audio of a session starts with them); null otherwise.
 */
export function headerPages(bytes: Uint8Array): Uint8Array | null {
  if (!startsStream(bytes)) return null;
  const pages = readPages(bytes);
  if (pages.length < 2 || pages[0]!.granule !== 0 || pages[1]!.granule !== 0) return null;
  const second = pages[1]!;
  const end = second.bodyOffset + second.pieces.reduce((n, p) => n + p.length, 0);
  return bytes.slice(0, end);
}

const CRC_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let i = 0; i < 256; i++) {
    let r = i << 24;
    for (let k = 0; k < 8; k++) r = r & 0x80000000 ? (r << 1) ^ 0x04c11db7 : r << 1;
    table[i] = r >>> 0;
  }
  return table;
})();

/** Ogg's CRC-32 over a whole page whose CRC field is zero. */
function pageCrc(page: Uint8Array): number {
  let crc = 0;
  for (let i = 0; i < page.length; i++) crc = ((crc << 8) ^ CRC_TABLE[((crc >>> 24) ^ page[i]!) & 0xff]!) >>> 0;
  return crc;
}

/** A page holding exactly one packet (under 64 KiB), with a fresh CRC. */
export function onePacketPage(packet: Uint8Array, o: { serial: number; sequence: number; granule: number; bos?: boolean }): Uint8Array {
  const lacing = [...Array(Math.floor(packet.length / 255)).fill(255), packet.length % 255];
  const page = new Uint8Array(HEADER + lacing.length + packet.length);
  const view = new DataView(page.buffer);
  page.set([0x4f, 0x67, 0x67, 0x53], 0);
  view.setUint8(5, o.bos ? 2 : 0);
  view.setBigInt64(6, BigInt(o.granule), true);
  view.setUint32(14, o.serial >>> 0, true);
  view.setUint32(18, o.sequence >>> 0, true);
  view.setUint8(26, lacing.length);
  page.set(lacing, HEADER);
  page.set(packet, HEADER + lacing.length);
  view.setUint32(22, pageCrc(page), true);
  return page;
}

/** A copy of the single page `page` with `edit` applied to it, its CRC recomputed. */
export function patchPage(page: Uint8Array, edit: (copy: Uint8Array, view: DataView) => void): Uint8Array {
  const copy = page.slice();
  const view = new DataView(copy.buffer);
  edit(copy, view);
  view.setUint32(22, 0, true);
  view.setUint32(22, pageCrc(copy), true);
  return copy;
}
