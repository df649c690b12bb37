/**
 * Repairing a session's journal when it is opened (docs/archive.md §Recovery): reads
 * events.jsonl and audio.opus as a crash, a full disk or a damaged disk left them and makes
 * them agree again, losing nothing that can have been acknowledged.
 *
 * Rules, in this order:
 * 1. A torn last line (no newline at its end: a crash mid-write) is cut off.
 * 2. Any other bad line — not JSON, not what the protocol's reader accepts as a stamped
 *    bundle, a seq not greater than the line before, or audio bytes before the previous
 *    line's — is set aside: its raw bytes are appended to events.rejected.jsonl (capped),
 *    one log line reports it, and events.jsonl is rewritten without it (temp file, fsync,
 *    rename, fsync of the folder). A line that fits after its predecessor but would make its
 *    successor not fit, while the successor fits after the predecessor, is the bad one (one
 *    damaged seq or offset never takes the lines after it along). The valid lines keep
 *    their seq numbers. A set-aside line at the end whose readable start still names seq
 *    last+1 is replaced by that seq's placeholder line (`lostLine`), so the number is never
 *    given to another bundle, now or after a later restart.
 * 3. Lines at the end whose audio is not all in audio.opus never reached the disk together
 *    (both files are flushed before an acknowledgement): they are dropped.
 * 4. When `wholeAudio` says the last line with audio holds a torn page (an OS crash before
 *    the flush), that line and every line after it are dropped: an acknowledgement waits for
 *    the flush of the line and of every earlier line (journal.ts), so none of them was
 *    acknowledged, and the presenter's resend of the same bundle id is taken again (keeping
 *    part of the line would answer that resend as a duplicate and lose the rest).
 * 5. audio.opus is cut at the end of the last kept line's audio.
 */
import { appendFile, open, readFile, stat, truncate } from "node:fs/promises";
import path from "node:path";
import type { Logger } from "pino";
import { describe, isRecord } from "../../protocol/check.ts";
import { LIMITS } from "../../protocol/namespaces.ts";
import type { DeckEvent } from "../../protocol/types.ts";
import { validateBundle } from "../../protocol/validate.ts";
import { replaceFile } from "./atomic-file.ts";

/** Who may do what, as decided when the line was written (bare JIDs). Server-only: never relayed. */
export interface Rights {
  owner?: string;
  presenter?: string;
}

/** One line of events.jsonl. Audio bytes live in audio.opus at [offset, offset+length). */
export interface JournalLine {
  seq: number;
  ts: number;
  from: string;
  id: string;
  t: number;
  events: DeckEvent[];
  audio?: { t: number; offset: number; length: number };
  rights?: Rights;
}

export const EVENTS_FILE = "events.jsonl";
export const AUDIO_FILE = "audio.opus";
export const REJECTED_FILE = "events.rejected.jsonl";
/** events.rejected.jsonl grows to at most this; a line set aside beyond it is only logged. */
export const REJECTED_MAX_BYTES = 1024 * 1024;

export interface Recovered {
  /** The kept lines, in order, with their byte length in events.jsonl (newline included). */
  lines: { line: JournalLine; length: number }[];
  /** The last kept line's seq (0 when none). */
  lastSeq: number;
  /** Size of audio.opus after the repair. */
  audioBytes: number;
}

export interface RecoverOptions {
  log?: Logger | undefined;
  /** Whether a line's audio bytes are whole units (whole Ogg pages for audio.opus). */
  wholeAudio?: ((bytes: Uint8Array) => boolean) | undefined;
}

interface Parsed {
  /** Byte offset in the file as found. */
  at: number;
  raw: Buffer;
  line: JournalLine | null;
  reason: string;
}

export async function recoverJournal(dir: string, { log, wholeAudio }: RecoverOptions = {}): Promise<Recovered> {
  const eventsPath = path.join(dir, EVENTS_FILE);
  const audioPath = path.join(dir, AUDIO_FILE);
  const text = await readOrEmpty(eventsPath);
  const audioFound = await sizeOrZero(audioPath);

  // Complete lines, and a torn tail (rule 1). Bytes, not characters: a damaged line need not be UTF-8.
  const parsed: Parsed[] = [];
  let start = 0;
  for (let nl = text.indexOf(0x0a, start); nl >= 0; nl = text.indexOf(0x0a, start)) {
    const raw = text.subarray(start, nl);
    const r = parseLine(raw);
    parsed.push({ at: start, raw, line: r.line, reason: r.reason });
    start = nl + 1;
  }
  const tornBytes = text.length - start;

  // Rule 2: keep the lines that fit in order; set the others aside.
  const kept: { line: JournalLine; raw: Buffer; index: number }[] = [];
  const aside: { index: number; at: number; raw: Buffer; reason: string }[] = [];
  // Audio is appended in line order, so audio past the file's end is legitimate only after the
  // last line whose audio is inside the file (rule 3); before such a line it is damage.
  const insideLater: boolean[] = [];
  for (let i = parsed.length - 1, seen = false; i >= 0; i--) {
    insideLater[i] = seen;
    const l = parsed[i]!.line;
    if (l?.audio && audioEnd(l) <= audioFound) seen = true;
  }
  let after: Place = { seq: 0, audioEnd: 0 };
  for (const [i, p] of parsed.entries()) {
    const beyond = p.line && insideLater[i] && audioEnd(p.line) > audioFound ? `its audio ends at byte ${audioEnd(p.line)}, past the end of ${AUDIO_FILE} (${audioFound}), before lines whose audio is inside it` : null;
    const reason = p.line ? (beyond ?? misfit(after, p.line) ?? outlier(after, p.line, parsed[i + 1]?.line ?? null)) : p.reason;
    if (reason === null && p.line) {
      kept.push({ line: p.line, raw: p.raw, index: i });
      after = placeAfter(after, p.line);
    } else aside.push({ index: i, at: p.at, raw: p.raw, reason: reason ?? p.reason });
  }

  // Rules 3 and 4: lines at the end whose audio did not (wholly) reach the disk.
  const dropped: { seq: number; index: number; reason: string }[] = [];
  const drop = (from: number, reason: string) => {
    for (const k of kept.splice(from)) dropped.push({ seq: k.line.seq, index: k.index, reason });
  };
  const unflushed = kept.findIndex((k) => audioEnd(k.line) > audioFound);
  if (unflushed >= 0) drop(unflushed, `line ${kept[unflushed]!.line.seq}'s audio is not all in ${AUDIO_FILE}`);
  if (wholeAudio) {
    for (let i = lastAudioIndex(kept); i >= 0; i = lastAudioIndex(kept)) {
      const a = kept[i]!.line.audio!;
      if (wholeAudio(await readRange(audioPath, a.offset, a.length))) break;
      drop(i, `line ${kept[i]!.line.seq}'s audio ends in a torn page`);
    }
  }

  // A set-aside line after the last kept one (and before anything dropped) that names the
  // next seq held that number: its placeholder line takes its place, so the number stays in
  // use (followers may have seen it) across this and every later restart.
  const lastKept = kept.at(-1)?.index ?? -1;
  const firstDropped = dropped.reduce((n, d) => Math.min(n, d.index), Infinity);
  for (const a of aside) {
    const prev = kept.at(-1)?.line;
    if (a.index <= lastKept || a.index >= firstDropped || claimedSeq(a.raw) !== (prev?.seq ?? 0) + 1) continue;
    const line = lostLine((prev?.seq ?? 0) + 1, prev ?? null, null);
    kept.push({ line, raw: Buffer.from(JSON.stringify(line), "utf8"), index: a.index });
  }
  const lastSeq = kept.at(-1)?.line.seq ?? 0;

  const keptBytes = kept.reduce((n, k) => n + k.raw.length + 1, 0);
  if (aside.length > 0) {
    const stored = await setAside(dir, aside.map((a) => a.raw));
    log?.error(
      { dir, file: EVENTS_FILE, setAside: aside.map((a) => ({ line: a.index + 1, byte: a.at, bytes: a.raw.length, reason: a.reason })), storedIn: REJECTED_FILE, storedBytes: stored, keptLines: kept.length, lastSeq },
      "journal: bad lines set aside; the valid lines around them are kept",
    );
    await replaceFile(eventsPath, Buffer.concat(kept.flatMap((k) => [k.raw, NEWLINE])));
  } else if (keptBytes < text.length) {
    await truncate(eventsPath, keptBytes);
  }
  if (tornBytes > 0) log?.warn({ dir, file: EVENTS_FILE, bytes: tornBytes }, "journal: a torn last line was cut off (a crash mid-write)");
  if (dropped.length > 0) log?.warn({ dir, dropped }, "journal: lines that were never flushed to disk were dropped");

  const audioBytes = kept.reduce((end, k) => Math.max(end, audioEnd(k.line)), 0);
  if (audioFound > audioBytes) {
    await truncate(audioPath, audioBytes);
    log?.warn({ dir, file: AUDIO_FILE, bytes: audioFound - audioBytes }, "journal: audio past the last line was cut off");
  }
  return { lines: kept.map((k) => ({ line: k.line, length: k.raw.length + 1 })), lastSeq, audioBytes };
}

const NEWLINE = Buffer.from("\n");

/** `from` of the component's own bundles, and of a lost line's placeholder. */
export const LOST_FROM = "deckcast";

/**
 * The empty server bundle read in place of a seq the journal lacks: the t and ts of the line
 * before it (t 0 and the next line's ts when there is none).
 */
export function lostLine(seq: number, before: Pick<JournalLine, "t" | "ts"> | null, after: Pick<JournalLine, "ts"> | null): JournalLine {
  return { seq, ts: before?.ts ?? after?.ts ?? 0, from: LOST_FROM, id: `srv-lost-${seq}`, t: before?.t ?? 0, events: [] };
}

/** A line as written by journal.ts, checked with the protocol's own reader. */
function parseLine(raw: Buffer): { line: JournalLine | null; reason: string } {
  let v: unknown;
  try {
    v = JSON.parse(raw.toString("utf8"));
  } catch {
    return { line: null, reason: "not JSON" }; // the parser's message would quote the damaged bytes
  }
  if (!isRecord(v)) return { line: null, reason: `not an object but ${describe(v)}` };
  const { seq, ts, from, id, t, events, audio, rights } = v;
  const checked = validateBundle({ id, t, seq, ts, from, events });
  if (!checked.ok) return { line: null, reason: `${checked.error.path}: ${checked.error.message}` };
  if (seq === undefined) return { line: null, reason: "seq is missing" };
  const line: JournalLine = { seq: seq as number, ts: ts as number, from: from as string, id: id as string, t: t as number, events: events as DeckEvent[] };
  if (audio !== undefined) {
    const a = isRecord(audio) ? audio : {};
    const int = (x: unknown, min: number, max = Number.MAX_SAFE_INTEGER) => typeof x === "number" && Number.isInteger(x) && x >= min && x <= max;
    if (!int(a.t, 0) || !int(a.offset, 0) || !int(a.length, 1, LIMITS.maxAudioBytes)) return { line: null, reason: `audio ${describe(audio)} is not {t, offset, length}` };
    line.audio = { t: a.t as number, offset: a.offset as number, length: a.length as number };
  }
  if (rights !== undefined) {
    if (!isRecord(rights) || [rights.owner, rights.presenter].some((x) => x !== undefined && typeof x !== "string")) return { line: null, reason: "rights is not {owner?, presenter?}" };
    line.rights = { ...(typeof rights.owner === "string" ? { owner: rights.owner } : {}), ...(typeof rights.presenter === "string" ? { presenter: rights.presenter } : {}) };
  }
  return { line, reason: "" };
}

const audioEnd = (l: JournalLine): number => (l.audio ? l.audio.offset + l.audio.length : 0);

/** Where the kept lines so far end: the last seq and the end of the last audio. */
interface Place {
  seq: number;
  audioEnd: number;
}
const placeAfter = (p: Place, l: JournalLine): Place => ({ seq: l.seq, audioEnd: Math.max(p.audioEnd, audioEnd(l)) });

/** Why `l` cannot follow `p`, or null. Audio past the file's end is judged later (rule 3). */
function misfit(p: Place, l: JournalLine): string | null {
  if (l.seq <= p.seq) return `seq ${l.seq} is not greater than ${p.seq}, the line before's`;
  if (l.audio && l.audio.offset < p.audioEnd) return `its audio starts at byte ${l.audio.offset}, inside the audio before it (which ends at ${p.audioEnd})`;
  return null;
}

/** `l` fits after `p`, but `next` fits after `p` and not after `l`: `l` is the damaged one. */
function outlier(p: Place, l: JournalLine, next: JournalLine | null): string | null {
  // Two lines with one seq: the first one stays, the repeat is set aside when its turn comes.
  if (!next || next.seq === l.seq || misfit(p, next) !== null || misfit(placeAfter(p, l), next) === null) return null;
  return `its seq ${l.seq} or audio range does not fit before the next line (seq ${next.seq})`;
}

function lastAudioIndex(kept: { line: JournalLine }[]): number {
  for (let i = kept.length - 1; i >= 0; i--) if (kept[i]!.line.audio) return i;
  return -1;
}

/** The seq a damaged line of ours names, if its start is still readable ({"seq":N,…). */
function claimedSeq(raw: Buffer): number | null {
  const m = /^\{"seq":([1-9][0-9]{0,15}),/.exec(raw.subarray(0, 32).toString("latin1"));
  return m ? Number(m[1]) : null;
}

/** Appends the raw lines to events.rejected.jsonl, within REJECTED_MAX_BYTES; returns the bytes stored. */
async function setAside(dir: string, raws: Buffer[]): Promise<number> {
  const file = path.join(dir, REJECTED_FILE);
  let room = REJECTED_MAX_BYTES - (await sizeOrZero(file));
  const parts: Buffer[] = [];
  for (const raw of raws) {
    if (room <= 1) break;
    const piece = raw.subarray(0, room - 1);
    parts.push(piece, NEWLINE);
    room -= piece.length + 1;
  }
  if (parts.length === 0) return 0;
  const bytes = Buffer.concat(parts);
  await appendFile(file, bytes);
  const fh = await open(file, "r");
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
  return bytes.length;
}

async function readRange(file: string, offset: number, length: number): Promise<Uint8Array> {
  const fh = await open(file, "r");
  try {
    const buf = new Uint8Array(length);
    const { bytesRead } = await fh.read(buf, 0, length, offset);
    return buf.subarray(0, bytesRead);
  } finally {
    await fh.close();
  }
}

async function readOrEmpty(file: string): Promise<Buffer> {
  try {
    return await readFile(file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return Buffer.alloc(0);
    throw err;
  }
}

async function sizeOrZero(file: string): Promise<number> {
  try {
    return (await stat(file)).size;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return 0;
    throw err;
  }
}
