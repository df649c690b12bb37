/**
 * Continuing the session's audio stream after a component restart, from audio.opus itself:
 * its first pages give the serial, channel count, pre-skip and header bytes; its last page
 * gives the next page sequence number, the granule position and whether it has ended.
 *
 * The file always ends at a whole page when it gets here: the journal cuts audio past its
 * last line, and when the last line's audio ends in a torn page (short, or failing its CRC:
 * an OS crash before the flush, a disk that filled) `wholeOggPages` makes it drop that
 * line, which was never acknowledged, so the stream goes on from the last whole page
 * instead of being switched off (journal-recover.ts, rule 4).
 */
import { open } from "node:fs/promises";
import type { Result } from "../../protocol/types.ts";
import { NO_GRANULE, pagePieces, parsePage, parsePages, type OggPage } from "../../protocol/ogg.ts";
import { isOpusHead, parseOpusHead } from "./opus.ts";
import { concat, createOpusSessionStream, type OpusSessionStream, type OpusStreamOptions } from "./opus-stream.ts";

/** Whether `bytes` (one journal line's audio) are whole Ogg pages, each passing its CRC. */
export function wholeOggPages(bytes: Uint8Array): boolean {
  return bytes.length > 0 && parsePages(bytes).ok;
}

/** Our pages are far smaller than this; the header pages too. */
export const END_BYTES = 64 * 1024;

/** The first and last END_BYTES of a file (the same bytes when it is smaller); empty when it does not exist. */
export async function readFileEnds(file: string, n = END_BYTES): Promise<{ head: Uint8Array; tail: Uint8Array }> {
  let fh;
  try {
    fh = await open(file, "r");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return { head: new Uint8Array(), tail: new Uint8Array() };
    throw err;
  }
  try {
    const size = (await fh.stat()).size;
    const head = new Uint8Array(Math.min(n, size));
    await fh.read(head, 0, head.length, 0);
    if (size <= n) return { head, tail: head };
    const tail = new Uint8Array(n);
    await fh.read(tail, 0, n, size - n);
    return { head, tail };
  } finally {
    await fh.close();
  }
}

/**
 * The stream as audio.opus left it. `file` is the whole file or its two ends (readFileEnds).
 * An empty file gives a fresh stream (with `o.serial` / `o.title`).
 */
export function recoverOpusSessionStream(file: Uint8Array | { head: Uint8Array; tail: Uint8Array }, o: Omit<OpusStreamOptions, "state"> = {}): Result<OpusSessionStream, string> {
  const { head, tail } = file instanceof Uint8Array ? { head: file, tail: file } : file;
  if (head.length === 0) return { ok: true, value: createOpusSessionStream(o) };
  const first = parsePage(head, 0);
  if (!first.ok) return { ok: false, error: `audio.opus: ${first.error.message}` };
  const packet = pagePieces(first.value.page).pieces[0];
  if (!first.value.page.bos || !packet || !isOpusHead(packet)) return { ok: false, error: "audio.opus does not begin with an OpusHead page" };
  const opusHead = parseOpusHead(packet);
  if (!opusHead.ok) return { ok: false, error: `audio.opus: ${opusHead.error}` };
  // OpusTags follows on its own page(s); the first audio page starts a new page (RFC 7845 §3).
  let end = first.value.length;
  for (let page: OggPage | null = null; !page || page.segments.at(-1) === 255; ) {
    const next = parsePage(head, end);
    if (!next.ok) return { ok: false, error: `audio.opus: its OpusTags page is unreadable: ${next.error.message}` };
    page = next.value.page;
    end += next.value.length;
  }
  const last = lastPage(tail);
  if (!last) return { ok: false, error: "audio.opus does not end with a whole Ogg page" };
  const serial = first.value.page.serial;
  if (last.serial !== serial) return { ok: false, error: `audio.opus ends with a page of serial ${last.serial}, its stream is ${serial}` };
  if (last.granule === NO_GRANULE) return { ok: false, error: "audio.opus ends in the middle of a packet" };
  return {
    ok: true,
    value: createOpusSessionStream({
      ...o,
      state: {
        serial,
        sequence: last.sequence + 1,
        granule: last.granule,
        channels: opusHead.value.channels,
        preSkip: opusHead.value.preSkip,
        headers: concat([head.subarray(0, end)]),
        ended: last.eos,
        inputs: new Map(),
      },
    }),
  };
}

/** The page that ends exactly at the end of `bytes` (found by scanning back for "OggS"). */
function lastPage(bytes: Uint8Array): OggPage | null {
  for (let i = bytes.length - 27; i >= 0; i--) {
    if (bytes[i] !== 0x4f || bytes[i + 1] !== 0x67 || bytes[i + 2] !== 0x67 || bytes[i + 3] !== 0x53) continue;
    const r = parsePage(bytes, i);
    if (r.ok && i + r.value.length === bytes.length) return r.value.page;
  }
  return null;
}
