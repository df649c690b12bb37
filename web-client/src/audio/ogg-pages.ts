/**
 * Ogg pages (RFC 3533 §6) in the browser: reading the pages the room relays (the session's
 * Ogg Opus stream, docs/protocol.md §Audio) and the pages opus-recorder streams, as views
 * the playback code wants, on top of the Ogg framing code the server uses too (protocol/ogg.ts).
 *
 * `patchPage` rewrites bytes of a page and recomputes its CRC (used to correct the
 * pre-skip opus-recorder writes into its OpusHead, see opus-info.ts); `onePacketPage`
 * builds a page around one packet (for opus-recorder's decoder, which takes pages).
 */

import { oggCrc, packPages, pagePieces, parsePage, type OggPage } from "../../../protocol/ogg.ts";

/** A page's header fields (see OggPage) with its body cut into packet pieces. */
export interface OggPageView extends Pick<OggPage, "continued" | "bos" | "eos" | "granule" | "serial" | "sequence"> {
  /** The page's packets cut at their lacing boundaries; the last one goes on on the next page when `open`. */
  pieces: Uint8Array[];
  open: boolean;
  /** Offset of the page's body in the bytes it was read from. */
  bodyOffset: number;
}

/** Reads back-to-back pages; throws on bytes that are not Ogg pages (the relay never sends those). */
export function readPages(bytes: Uint8Array): OggPageView[] {
  const pages: OggPageView[] = [];
  for (let at = 0; at < bytes.length; ) {
    const parsed = parsePage(bytes, at);
    if (!parsed.ok) throw new Error(parsed.error.message);
    const { page, length } = parsed.value;
    const { pieces, open } = pagePieces(page);
    pages.push({ continued: page.continued, bos: page.bos, eos: page.eos, granule: page.granule, serial: page.serial, sequence: page.sequence, pieces, open, bodyOffset: at + length - page.body.length });
    at += length;
  }
  return pages;
}

// The stream's start and header pages are read the same way by every client (protocol/ogg.ts).
export { headerPages, startsStream } from "../../../protocol/ogg.ts";

/** A page holding exactly one packet, with a fresh CRC. */
export function onePacketPage(packet: Uint8Array, o: { serial: number; sequence: number; granule: number; bos?: boolean }): Uint8Array {
  return packPages([{ data: packet, granule: o.granule }], { serial: o.serial, sequence: o.sequence, bos: !!o.bos })[0]!;
}

/** A copy of the single page `page` with `edit` applied to it, its CRC recomputed. */
export function patchPage(page: Uint8Array, edit: (copy: Uint8Array, view: DataView) => void): Uint8Array {
  const copy = page.slice();
  const view = new DataView(copy.buffer);
  edit(copy, view);
  view.setUint32(22, 0, true);
  view.setUint32(22, oggCrc(copy), true);
  return copy;
}
