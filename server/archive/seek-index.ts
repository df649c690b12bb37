/**
 * The seek index of one session (docs/archive.md §Seek index): `<archive>/index.jsonl`,
 * append-only, one JSON object a line —
 *
 *   {"kind":"key","seq":N,"t":T,"state":…,"ink":…}  the confirmed room after line N: `state`
 *                                                    without its ink, `ink` the pages whose
 *                                                    strokes changed since the key line before
 *   {"kind":"page","t":T,"seq":N,"deck":ID,"page":P} every page change and deck-open
 *   {"kind":"audio","t":T,"offset":B}                at most one a second: an Ogg page of audio.opus starting at T
 *
 * A key's `t` is the room's clock after line N (the latest session time of any line up to
 * N), so for every t ≥ key.t the reducer from the start has applied lines 1..N whole and
 * `applyUntil(key.state, lines after N, t)` is exactly `applyUntil(initial, every line, t)`.
 * A key is written when a line leaves the clock ≥ the last key's t + 10 s, or 2000 events
 * after it; a seek therefore reads one keyframe (in memory) plus the lines up to the next
 * key: at most ~10 s or 2000 events of journal.
 *
 * The index is built in memory as lines are appended (`note`, in seq order) and its lines
 * are appended to the file in the background (a serial queue, never in a commit's path; a
 * failed write is logged and ends the file's appends until the next open, which indexes the
 * journal after the file's last key again: the file is a cache). When an archive opens, the file is
 * read as far as it is whole (a torn last line, or a damaged one, ends it), cut back to the
 * last keyframe in that part, and the journal lines after that key are indexed again; a file
 * that is missing or has a keyframe ahead of the journal is rebuilt from the journal.
 */
import { open, readFile, truncate } from "node:fs/promises";
import path from "node:path";
import type { Logger } from "pino";
import { applyUntil, apply, initialState } from "../../protocol/reducer.ts";
import type { Bundle, DeckEvent, RoomState, Stroke } from "../../protocol/types.ts";
import { replaceFile } from "./atomic-file.ts";

export const INDEX_FILE = "index.jsonl";
export const KEY_EVERY_MS = 10_000;
export const KEY_EVERY_EVENTS = 2000;
export const AUDIO_EVERY_MS = 1000;

export interface KeyEntry {
  kind: "key";
  seq: number;
  t: number;
  state: RoomState;
}
export interface PageEntry {
  kind: "page";
  t: number;
  seq: number;
  deck: string;
  page: number;
}
export interface AudioEntry {
  kind: "audio";
  t: number;
  offset: number;
}
export type IndexEntry = KeyEntry | PageEntry | AudioEntry;

/** What the index needs of a journal line: its audio's place in audio.opus, not its bytes. */
export interface IndexedLine {
  seq: number;
  t: number;
  events: readonly DeckEvent[];
  audio?: { t: number; offset: number } | undefined;
}

/** The index without keyframe states (GET …/index.json). */
export interface IndexSummary {
  keys: { seq: number; t: number }[];
  pages: { t: number; seq: number; deck: string; page: number }[];
  audio: { t: number; offset: number }[];
  last: number;
  duration: number;
}

export interface SeekResult {
  t: number;
  state: RoomState;
  /** The last line applied whole. */
  seq: number;
  /** How many events of the next line were applied (those at or before t). */
  events: number;
  /** The journal's last seq now. */
  last: number;
}

/** Reads journal bundles from..to (inclusive), as Journal.read. */
export type ReadBundles = (from: number, to: number) => Promise<Bundle[]>;

export interface SeekIndex {
  readonly keys: readonly KeyEntry[];
  readonly pages: readonly PageEntry[];
  readonly audio: readonly AudioEntry[];
  /** The last line indexed. */
  readonly last: number;
  /** The room's clock after the last line indexed. */
  readonly duration: number;
  /** Indexes the next journal line (seq order; a line at or before `last` is ignored). */
  note(line: IndexedLine): void;
  summary(lastSeq?: number): IndexSummary;
  /** The room at session time t: the nearest key at or before t, then applyUntil over the lines to the next key. */
  seek(t: number, read: ReadBundles, lastSeq?: number): Promise<SeekResult>;
  /** Resolves once every line noted so far is in the file (or its write has failed and been logged). */
  flushed(): Promise<void>;
}

export interface IndexOptions {
  log?: Logger | undefined;
  /** The title of the room's initial state (the manifest's). */
  title: string;
}

/** A fresh index for a new archive: index.jsonl is created empty. */
export async function createSeekIndex(dir: string, opts: IndexOptions): Promise<SeekIndex> {
  const writable = await replaceFile(path.join(dir, INDEX_FILE), "").then(
    () => true,
    (err: Error) => (opts.log?.warn({ dir, err: err.message }, `${INDEX_FILE} could not be created; the index is kept in memory and written when the archive is next opened`), false),
  );
  return makeIndex(dir, opts, [], writable);
}

/**
 * The index of an existing archive: index.jsonl as far as it is whole and agrees with the
 * journal (cut back to its last key), then `linesAfter(seq)` indexed again; else rebuilt.
 */
export async function openSeekIndex(dir: string, opts: IndexOptions & { lastSeq: number; linesAfter: (seq: number) => Promise<IndexedLine[]> }): Promise<SeekIndex> {
  const file = path.join(dir, INDEX_FILE);
  const kept = await readKept(file, opts.lastSeq, opts.log);
  let entries: IndexEntry[];
  let writable = true;
  // The index is a cache: a file that cannot be repaired now (a full disk) never stops the
  // archive from opening; the index is then kept in memory and the file left for the next open.
  const unwritable = (err: Error) => {
    opts.log?.warn({ dir, err: err.message }, `${INDEX_FILE} could not be repaired; the index is kept in memory and written when the archive is next opened`);
    writable = false;
  };
  if (kept.ok) {
    entries = kept.entries;
    if (kept.bytes !== kept.size) {
      // The lines after the last key are written again as the journal after it is indexed:
      // routine after every close; worth a warning only when a line was torn or damaged.
      await truncate(file, kept.bytes).catch(unwritable);
      if (kept.torn) opts.log?.warn({ dir, kept: kept.bytes, size: kept.size }, `${INDEX_FILE}: a torn or damaged line; cut back to its last whole keyframe and indexed again from the journal`);
    }
  } else {
    if (kept.reason !== "missing") opts.log?.warn({ dir, reason: kept.reason }, `${INDEX_FILE} rebuilt from the journal`);
    await replaceFile(file, "").catch(unwritable);
    entries = [];
  }
  const index = makeIndex(dir, opts, entries, writable);
  for (const line of await opts.linesAfter(index.last)) index.note(line);
  await index.flushed();
  return index;
}

type Kept = { ok: true; entries: IndexEntry[]; bytes: number; size: number; torn: boolean } | { ok: false; reason: string };

async function readKept(file: string, lastSeq: number, log: Logger | undefined): Promise<Kept> {
  let buf: Buffer;
  try {
    buf = await readFile(file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return { ok: false, reason: "missing" };
    log?.warn({ file, err: (err as Error).message }, `${INDEX_FILE} cannot be read`);
    return { ok: false, reason: "unreadable" };
  }
  // Entries as far as they are whole; everything after the last key among them is cut off
  // (and indexed again from the journal): a torn line, a damaged one and whatever follows it.
  const entries: IndexEntry[] = [];
  let pos = 0;
  let keptEntries = 0;
  let keptBytes = 0;
  let torn = false;
  /** The ink of the key line before: each key line's `ink` is the change from it. */
  let prevInk: RoomState["ink"] = {};
  while (pos < buf.length) {
    const nl = buf.indexOf(0x0a, pos);
    if (nl < 0) {
      torn = true; // a torn last line (a crash mid-write)
      break;
    }
    const entry = parseEntry(buf.subarray(pos, nl).toString("utf8"), prevInk);
    if (!entry) {
      torn = true;
      log?.warn({ file, line: entries.length + 1 }, `${INDEX_FILE}: a damaged line; the index is cut back to the keyframe before it`);
      break;
    }
    pos = nl + 1;
    entries.push(entry);
    if (entry.kind === "key") {
      if (entry.seq > lastSeq) return { ok: false, reason: "a keyframe ahead of the journal" };
      prevInk = entry.state.ink;
      keptEntries = entries.length;
      keptBytes = pos;
    }
  }
  return { ok: true, entries: entries.slice(0, keptEntries), bytes: keptBytes, size: buf.length, torn };
}

const isInt = (v: unknown): v is number => typeof v === "number" && Number.isSafeInteger(v) && v >= 0;

/** One page's ink in a key line: the whole stroke list, or the first `keep` strokes of the previous key's page and then `add`. */
type PageInk = Stroke[] | { keep: number; add: Stroke[] };
/** A key line's `ink`: the pages whose strokes changed since the previous key line (`[]`: none left). */
type InkDelta = Record<string, PageInk>;
/** A key as written: the state without its ink, and the ink as a change from the previous key line. */
interface KeyLine {
  kind: "key";
  seq: number;
  t: number;
  state: Omit<RoomState, "ink">;
  ink: InkDelta;
}

/** The change from `prev` to `cur`, by identity (the reducer shares every stroke and page it did not change). */
export function inkDelta(prev: RoomState["ink"], cur: RoomState["ink"]): InkDelta {
  const out: InkDelta = {};
  for (const p of Object.keys(prev)) if (!Object.hasOwn(cur, p)) out[p] = [];
  for (const [p, strokes] of Object.entries(cur)) {
    const before = Object.hasOwn(prev, p) ? prev[Number(p)] : undefined;
    if (before === strokes) continue;
    let keep = 0;
    if (before) while (keep < before.length && keep < strokes.length && before[keep] === strokes[keep]) keep++;
    out[p] = keep === 0 ? strokes : { keep, add: strokes.slice(keep) };
  }
  return out;
}

/** `prev` with a key line's ink change applied; null when the change does not fit `prev`. */
export function withInkDelta(prev: RoomState["ink"], delta: unknown): RoomState["ink"] | null {
  if (typeof delta !== "object" || delta === null || Array.isArray(delta)) return null;
  const ink: RoomState["ink"] = { ...prev };
  for (const [p, v] of Object.entries(delta as Record<string, unknown>)) {
    const page = Number(p);
    if (!Number.isSafeInteger(page) || page < 1) return null;
    let next: unknown[];
    if (Array.isArray(v)) next = v;
    else if (typeof v === "object" && v !== null && isInt((v as { keep: unknown }).keep) && Array.isArray((v as { add: unknown }).add)) {
      const before = Object.hasOwn(prev, page) ? prev[page]! : [];
      const { keep, add } = v as { keep: number; add: unknown[] };
      if (keep > before.length) return null;
      next = [...before.slice(0, keep), ...add];
    } else return null;
    if (!next.every((st) => typeof st === "object" && st !== null && typeof (st as Stroke).stroke === "string" && Array.isArray((st as Stroke).points))) return null;
    if (next.length === 0) delete ink[page];
    else ink[page] = next as Stroke[];
  }
  return ink;
}

function parseEntry(text: string, prevInk: RoomState["ink"]): IndexEntry | null {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    return null;
  }
  if (typeof v !== "object" || v === null) return null;
  const o = v as Record<string, unknown>;
  if (o.kind === "key" && isInt(o.seq) && isInt(o.t) && typeof o.state === "object" && o.state !== null && isInt((o.state as RoomState).seq)) {
    const ink = withInkDelta(prevInk, o.ink);
    return ink ? { kind: "key", seq: o.seq, t: o.t, state: { ...(o.state as Omit<RoomState, "ink">), ink } } : null;
  }
  if (o.kind === "page" && isInt(o.seq) && isInt(o.t) && typeof o.deck === "string" && isInt(o.page)) return o as unknown as PageEntry;
  if (o.kind === "audio" && isInt(o.t) && isInt(o.offset)) return o as unknown as AudioEntry;
  return null;
}

function makeIndex(dir: string, opts: IndexOptions, entries: IndexEntry[], writable: boolean): SeekIndex {
  const file = path.join(dir, INDEX_FILE);
  const keys: KeyEntry[] = [];
  const pages: PageEntry[] = [];
  const audio: AudioEntry[] = [];
  for (const e of entries) {
    if (e.kind === "key") keys.push(e);
    else if (e.kind === "page") pages.push(e);
    else audio.push(e);
  }
  const lastKey = keys.at(-1);
  let state: RoomState = lastKey ? lastKey.state : initialState(opts.title);
  let last = lastKey ? lastKey.seq : 0;
  let eventsSinceKey = 0;
  let lastAudioT = audio.length > 0 ? audio.at(-1)!.t : -Infinity;

  // ---- the file: appended in the background, one write at a time ----
  // Entries are serialised in the writer, not in `note`: a keyframe's state can be large,
  // and `note` runs inside the meeting's commit.
  // After a failed write nothing more is appended (the file would lack entries in its middle):
  // the file's whole prefix is still right, and the next open indexes the journal after its
  // last key again.
  let pending: (IndexEntry | KeyLine)[] = [];
  let writing: Promise<void> = Promise.resolve();
  let failed = !writable;
  function write(e: IndexEntry | KeyLine): void {
    if (failed) return;
    pending.push(e);
    if (pending.length > 1) return; // a write is scheduled
    writing = writing.then(async () => {
      const text = pending.map((p) => JSON.stringify(p) + "\n").join("");
      pending = [];
      if (failed) return;
      try {
        const fh = await open(file, "a");
        try {
          await fh.writeFile(text);
        } finally {
          await fh.close();
        }
      } catch (err) {
        opts.log?.warn({ dir, err: (err as Error).message }, `${INDEX_FILE} could not be written; the index is kept in memory and written again when the archive is next opened`);
        failed = true;
      }
    });
  }

  /** The ink of the last key written (or loaded): the next key line's ink is the change from it. */
  let writtenInk: RoomState["ink"] = lastKey ? lastKey.state.ink : {};
  function add(e: IndexEntry): void {
    if (e.kind === "key") {
      keys.push(e);
      const { ink, ...rest } = e.state;
      write({ kind: "key", seq: e.seq, t: e.t, state: rest, ink: inkDelta(writtenInk, ink) });
      writtenInk = ink;
      return;
    }
    if (e.kind === "page") pages.push(e);
    else audio.push(e);
    write(e);
  }

  return {
    keys,
    pages,
    audio,
    get last() {
      return last;
    },
    get duration() {
      return state.clock;
    },
    note(line) {
      if (line.seq <= last) return;
      if (line.audio && line.audio.t >= lastAudioT + AUDIO_EVERY_MS) {
        lastAudioT = line.audio.t;
        add({ kind: "audio", t: line.audio.t, offset: line.audio.offset });
      }
      for (const e of line.events) {
        const before = state;
        state = apply(state, e);
        if ((e.type === "page" || e.type === "deck-open") && state.deck && (e.type === "deck-open" || state.page !== before.page || state.deck !== before.deck)) {
          add({ kind: "page", t: e.t, seq: line.seq, deck: state.deck.id, page: state.page });
        }
      }
      // As applyBundle: the clock takes the line's and its audio's times, seq the line's.
      const clock = Math.max(state.clock, line.t, line.audio?.t ?? 0);
      state = { ...state, clock, seq: line.seq };
      last = line.seq;
      eventsSinceKey += line.events.length;
      const keyT = keys.at(-1)?.t ?? 0;
      if (state.clock >= keyT + KEY_EVERY_MS || eventsSinceKey >= KEY_EVERY_EVENTS) {
        add({ kind: "key", seq: line.seq, t: state.clock, state });
        eventsSinceKey = 0;
      }
    },
    summary(lastSeq = last) {
      return {
        keys: keys.map((k) => ({ seq: k.seq, t: k.t })),
        pages: pages.map(({ t, seq, deck, page }) => ({ t, seq, deck, page })),
        audio: audio.map(({ t, offset }) => ({ t, offset })),
        last: Math.max(lastSeq, last),
        duration: state.clock,
      };
    },
    async seek(t, read, lastSeq = last) {
      // The last key with key.t ≤ t (keys' t only grow).
      let lo = 0;
      let hi = keys.length;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (keys[mid]!.t <= t) lo = mid + 1;
        else hi = mid;
      }
      const key = lo > 0 ? keys[lo - 1]! : null;
      const next = keys[lo];
      const base = key ? key.state : initialState(opts.title);
      const from = key ? key.seq + 1 : 1;
      const to = next ? next.seq : Math.max(lastSeq, last);
      const bundles = from <= to ? await read(from, to) : [];
      const r = applyUntil(base, bundles, t);
      return { t, state: r.state, seq: r.seq, events: r.events, last: Math.max(lastSeq, last) };
    },
    async flushed() {
      await writing;
    },
  };
}
