/**
 * Reading a session archive from disk the way a replay would, to check what the suite
 * promises: every acknowledged bundle is in events.jsonl exactly once, audio.opus is one
 * valid Ogg stream whose pages all pass their CRC and tile the journal's audio ranges, and
 * the reducer over the journal's lines is the state followers hold.
 */
import { readFile } from "node:fs/promises";
import path from "node:path";
import { parsePage, parsePages } from "../../protocol/ogg.ts";
import { applyBundle, initialState } from "../../protocol/reducer.ts";
import type { DeckEvent, RoomState } from "../../protocol/types.ts";

/** One line of events.jsonl (server/archive/journal.ts), as far as these checks read it. */
export interface ArchivedLine {
  seq: number;
  ts: number;
  from: string;
  id: string;
  t: number;
  events: DeckEvent[];
  audio?: { t: number; offset: number; length: number };
}

export function archiveDir(componentDataDir: string, session: string): string {
  return path.join(componentDataDir, "archives", session);
}

/** Every line of events.jsonl, in file order; a line that does not parse fails the check. */
export async function readArchive(dir: string): Promise<ArchivedLine[]> {
  const text = await readFile(path.join(dir, "events.jsonl"), "utf8");
  const lines: ArchivedLine[] = [];
  for (const [i, raw] of text.split("\n").entries()) {
    if (raw === "") continue;
    try {
      lines.push(JSON.parse(raw) as ArchivedLine);
    } catch {
      throw new Error(`events.jsonl line ${i + 1} does not parse: ${raw.slice(0, 120)}`);
    }
  }
  return lines;
}

export async function readTitle(dir: string): Promise<string> {
  return (JSON.parse(await readFile(path.join(dir, "manifest.json"), "utf8")) as { title: string }).title;
}

/** The reducer over the archive's lines (audio counts for the clock only, as in replayJournal). */
export function reduceArchive(lines: ArchivedLine[], title = ""): RoomState {
  return lines.reduce(
    (s, l) => applyBundle(s, { id: l.id, t: l.t, seq: l.seq, events: l.events, ...(l.audio ? { audio: { t: l.audio.t, data: new Uint8Array(0) } } : {}) }),
    initialState(title),
  );
}

/** Acknowledged ids (with the seq each ack named) missing from the archive or in it more than once. */
export function acknowledgedProblems(lines: ArchivedLine[], acked: Map<string, number>): string[] {
  const count = new Map<string, ArchivedLine[]>();
  for (const l of lines) count.set(l.id, [...(count.get(l.id) ?? []), l]);
  const problems: string[] = [];
  for (const [id, seq] of acked) {
    const found = count.get(id) ?? [];
    if (found.length !== 1) problems.push(`bundle ${id} (ack seq ${seq}) is in the archive ${found.length} times`);
    else if (found[0]!.seq !== seq) problems.push(`bundle ${id} was acknowledged as seq ${seq} but archived as seq ${found[0]!.seq}`);
  }
  const seqs = lines.map((l) => l.seq);
  if (seqs.some((s, i) => s !== i + 1)) problems.push(`the archive's seqs are not 1..${lines.length} in order`);
  return problems;
}

/**
 * What is wrong with audio.opus (empty when nothing): every page parses with a valid CRC,
 * one logical stream (one serial, OpusHead first, page numbers without a gap), and the
 * journal's audio ranges lie back to back from byte 0 to the file's end, each whole pages.
 */
export async function audioProblems(dir: string, lines: ArchivedLine[]): Promise<string[]> {
  const bytes = new Uint8Array(await readFile(path.join(dir, "audio.opus")));
  const problems: string[] = [];
  const pages = parsePages(bytes);
  if (!pages.ok) return [`audio.opus (${bytes.length} bytes): ${pages.error.message}`];
  const list = pages.value;
  if (list.length > 0) {
    const head = new TextDecoder().decode(list[0]!.body.subarray(0, 8));
    if (!list[0]!.bos || head !== "OpusHead") problems.push("audio.opus does not start with an OpusHead page");
    const serials = new Set(list.map((p) => p.serial));
    if (serials.size !== 1) problems.push(`audio.opus holds ${serials.size} logical streams`);
    list.forEach((p, i) => {
      if (p.sequence !== i && problems.length < 5) problems.push(`page ${i} of audio.opus has sequence number ${p.sequence}`);
    });
  }
  let end = 0;
  for (const l of lines) {
    if (!l.audio) continue;
    const { offset, length } = l.audio;
    if (offset !== end) problems.push(`seq ${l.seq}: audio at byte ${offset}, expected ${end}`);
    for (let at = offset; at < offset + length; ) {
      const page = parsePage(bytes.subarray(0, offset + length), at);
      if (!page.ok) {
        problems.push(`seq ${l.seq}: audio bytes ${offset}..${offset + length} are not whole pages (${page.error.message})`);
        break;
      }
      at += page.value.length;
    }
    end = offset + length;
  }
  if (end !== bytes.length) problems.push(`the journal's audio ends at byte ${end}, audio.opus has ${bytes.length}`);
  return problems;
}
