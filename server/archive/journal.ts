/**
 * The append-only journal of one session: `events.jsonl` (one accepted bundle a line, in
 * sequence order) and `audio.opus` (the bundles' Ogg Opus pages, concatenated). The format
 * and its rules are docs/archive.md.
 *
 * Durability contract: `append` resolves once the bundle is written to both files, every
 * byte (short writes are retried; in the OS's cache: readers see it and it survives a crash
 * of this process), and its `durable` promise once both are flushed to disk (fdatasync) and
 * every earlier line's flush has settled, which also survives an OS crash. The component
 * relays after the first and acknowledges after the second, so a flush's latency never
 * delays followers, nothing acknowledged is ever lost, and an acknowledged line's
 * predecessors are on disk too. A failed write (a full disk) is undone to each file's size
 * before it, so the files never keep any part of a failed append; if even the undo
 * fails, every later append is refused until the journal is opened again (a restart). The
 * counters (`lastSeq`, `audioBytes`) always match the files.
 *
 * Recovery rules (journal-recover.ts) run in `openJournal`: a torn last line is cut off,
 * other bad lines are set aside in events.rejected.jsonl and the valid lines after them kept,
 * lines whose audio did not (wholly) reach the disk are dropped, audio past the last line is
 * cut off. A seq number the journal lacks (a set-aside line's) reads back as an empty server
 * bundle `srv-lost-<seq>`, so followers asking for a range never stall on it.
 *
 * Open files: the two FileHandles are opened on first use and closed after `idleCloseMs`
 * without appends or reads (and by `release`), after any pending flush; the next use
 * reopens them. An idle meeting therefore holds no file descriptors.
 */
import { open, type FileHandle } from "node:fs/promises";
import path from "node:path";
import type { Logger } from "pino";
import type { StampedBundle } from "../../protocol/types.ts";
import { readAllOf, undoTo, writeAll } from "./file-io.ts";
import { idleFiles } from "./idle-files.ts";
import { AUDIO_FILE, EVENTS_FILE, lostLine, recoverJournal, type JournalLine, type Recovered, type Rights } from "./journal-recover.ts";

export { AUDIO_FILE, EVENTS_FILE, LOST_FROM, REJECTED_FILE, type JournalLine, type Rights } from "./journal-recover.ts";

export interface Written {
  /** Resolves once the bundle (and every line before it) is flushed to disk; rejects if its flush fails. */
  durable: Promise<void>;
}

export interface AppendOptions {
  /** Stored in the line for rebuilding the manifest; never part of a bundle read back. */
  rights?: Rights;
}

export interface Journal {
  /** Sequence number of the last bundle (0 when empty). */
  readonly lastSeq: number;
  /** Size of audio.opus. */
  readonly audioBytes: number;
  /** Lines in events.jsonl (fewer than lastSeq when lines were set aside). */
  readonly lines: number;
  append(bundle: StampedBundle, opts?: AppendOptions): Promise<Written>;
  /**
   * Bundles with from ≤ seq ≤ min(to, lastSeq), in order, with their audio bytes. A seq the
   * journal lacks gives `{ id: "srv-lost-<seq>", seq, t, ts, from: "deckcast", events: [] }`
   * with the previous line's t and ts.
   */
  read(from: number, to: number): Promise<StampedBundle[]>;
  /** Every line, in order (for recovery and late-join state). */
  readAll(): Promise<JournalLine[]>;
  /** Closes the files now (after pending appends and flushes); the next use reopens them. */
  release(): Promise<void>;
  close(): Promise<void>;
}

export interface JournalOptions {
  log?: Logger | undefined;
  /** Close the files after this long without use (default 60 000 ms). */
  idleCloseMs?: number | undefined;
  /** At open: whether the last line's audio is whole (whole Ogg pages); see journal-recover.ts. */
  wholeAudio?: ((bytes: Uint8Array) => boolean) | undefined;
}

export const IDLE_CLOSE_MS = 60_000;

export async function openJournal(dir: string, opts: JournalOptions = {}): Promise<Journal> {
  const r = await recoverJournal(dir, opts);
  return makeJournal(dir, r, opts.idleCloseMs ?? IDLE_CLOSE_MS);
}

interface Files {
  events: FileHandle;
  audio: FileHandle;
}

function makeJournal(dir: string, recovered: Recovered, idleCloseMs: number): Journal {
  // Per line: seq, byte offset and length in events.jsonl, so range reads need no scan.
  const seqs: number[] = [];
  const offsets: number[] = [];
  const lengths: number[] = [];
  let pos = 0;
  for (const { line, length } of recovered.lines) {
    seqs.push(line.seq);
    offsets.push(pos);
    lengths.push(length);
    pos += length;
  }
  let lastSeq = recovered.lastSeq;
  let audioBytes = recovered.audioBytes;
  let queue: Promise<unknown> = Promise.resolve();
  /** The latest flush: it settles after every earlier one. */
  let flushing: Promise<void> = Promise.resolve();
  /** Set when a failed write could not be undone: appending after a half line would corrupt the journal. */
  let broken: Error | null = null;

  // ---- the files, opened on use and closed when idle ----
  let ending = false;
  const files = idleFiles<Files>({
    what: "journal",
    async open() {
      const events = await open(path.join(dir, EVENTS_FILE), "a+");
      try {
        return { events, audio: await open(path.join(dir, AUDIO_FILE), "a+") };
      } catch (err) {
        await events.close();
        throw err;
      }
    },
    close: async (f) => void (await Promise.allSettled([f.events.close(), f.audio.close()])),
    idleMs: idleCloseMs,
    settled: () => flushing,
  });
  const use = files.use;

  // ---- appending ----
  async function appendNow(b: StampedBundle, opts: AppendOptions | undefined): Promise<Written> {
    if (broken) throw broken;
    if (b.seq !== lastSeq + 1) throw new Error(`journal: seq ${b.seq} after ${lastSeq}`);
    const line: JournalLine = { seq: b.seq, ts: b.ts, from: b.from, id: b.id, t: b.t, events: b.events };
    if (b.audio) line.audio = { t: b.audio.t, offset: audioBytes, length: b.audio.data.length };
    const rights = opts?.rights && pickRights(opts.rights);
    if (rights) line.rights = rights;
    const buf = Buffer.from(JSON.stringify(line) + "\n", "utf8");
    return use(async (f) => {
      try {
        if (b.audio) await writeAll(f.audio, b.audio.data, "journal");
        await writeAll(f.events, buf, "journal");
      } catch (err) {
        // Leave no part of this line behind (a full disk may have taken some of it). If even
        // that fails, refuse every later append: reopening (a restart) repairs the tail.
        try {
          await undoTo(f.events, pos, "journal");
          if (b.audio) await undoTo(f.audio, audioBytes, "journal");
        } catch (undo) {
          broken = new Error(`journal: a failed write could not be undone (${(undo as Error).message}); restart to repair`);
        }
        throw err;
      }
      seqs.push(b.seq);
      offsets.push(pos);
      lengths.push(buf.length);
      pos += buf.length;
      if (b.audio) audioBytes += b.audio.data.length;
      lastSeq = b.seq;
      // One flush of each file, in parallel, started now and not waited for here: the next
      // bundle's write need not queue behind this flush. It also waits for the flush before
      // it, so an acknowledged line never follows one that is not on disk.
      const before = flushing.catch(() => undefined);
      const durable = Promise.all([f.events.datasync(), b.audio ? f.audio.datasync() : undefined, before]).then(() => undefined);
      durable.catch(() => undefined); // observed by the caller; never an unhandled rejection
      flushing = durable;
      return { durable };
    });
  }

  // ---- reading ----
  /** Index of the first line with seq ≥ `seq`. */
  function indexOf(seq: number): number {
    let lo = 0;
    let hi = seqs.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (seqs[mid]! < seq) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  async function readLine(f: Files, i: number): Promise<JournalLine> {
    const buf = Buffer.alloc(lengths[i]!);
    await readAllOf(f.events, buf, offsets[i]!, "journal");
    return JSON.parse(buf.toString("utf8")) as JournalLine;
  }

  async function toBundle(f: Files, l: JournalLine): Promise<StampedBundle> {
    // Field by field: `rights` (and anything else a line holds) never reaches a reader.
    const b: StampedBundle = { id: l.id, t: l.t, seq: l.seq, ts: l.ts, from: l.from, events: l.events };
    if (l.audio) {
      const data = new Uint8Array(l.audio.length);
      await readAllOf(f.audio, data, l.audio.offset, "journal");
      b.audio = { t: l.audio.t, data };
    }
    return b;
  }

  return {
    get lastSeq() {
      return lastSeq;
    },
    get audioBytes() {
      return audioBytes;
    },
    get lines() {
      return seqs.length;
    },
    append(b, opts) {
      if (ending) return Promise.reject(new Error("journal: closed"));
      // Serialise appends: sequence order on disk is the order they were stamped.
      const next = queue.then(() => appendNow(b, opts));
      queue = next.catch(() => undefined);
      return next;
    },
    read(from, to) {
      const first = Math.max(1, from);
      const last = Math.min(to, lastSeq);
      if (first > last) return Promise.resolve([]);
      return use(async (f) => {
        const out: StampedBundle[] = [];
        let i = indexOf(first);
        let prev: { t: number; ts: number } | null = null;
        for (let s = first; s <= last; s++) {
          if (i < seqs.length && seqs[i] === s) {
            const b = await toBundle(f, await readLine(f, i++));
            out.push(b);
            prev = b;
            continue;
          }
          // A seq the journal lacks: an empty bundle keeps the sequence continuous.
          prev ??= i > 0 ? await readLine(f, i - 1) : lostLine(s, null, i < seqs.length ? await readLine(f, i) : null);
          const { id, t, seq, ts, from, events } = lostLine(s, prev, null);
          out.push({ id, t, seq, ts, from, events });
        }
        return out;
      });
    },
    readAll() {
      return use(async (f) => {
        const out: JournalLine[] = [];
        for (let i = 0; i < seqs.length; i++) out.push(await readLine(f, i));
        return out;
      });
    },
    async release() {
      await queue;
      await files.release();
    },
    async close() {
      if (ending) return files.close();
      ending = true;
      await queue;
      await flushing.catch(() => undefined); // a failed flush was reported to its appender
      await files.close();
    },
  };
}

function pickRights(r: Rights): Rights | undefined {
  const out: Rights = {};
  if (typeof r.owner === "string") out.owner = r.owner;
  if (typeof r.presenter === "string") out.presenter = r.presenter;
  return out.owner !== undefined || out.presenter !== undefined ? out : undefined;
}

