/**
 * The append-only journal of one session: `events.jsonl` (one accepted bundle a line, in
 * sequence order) and `audio.opus` (the bundles' Ogg Opus pages, concatenated).
 *
 * Durability contract: `append` resolves once the bundle is written to both files (in the
 * OS's cache: readers see it and it survives a crash of this process), and its `durable`
 * promise once both are flushed to disk (fdatasync), which also survives an OS crash.
 * The component relays after the first and acknowledges after the second, so a flush's
 * latency never delays followers and nothing acknowledged is ever lost. After a crash,
 * `openJournal` drops a torn last line and any audio bytes past the last line.
 */
import { open, type FileHandle } from "node:fs/promises";
import path from "node:path";
import type { StampedBundle, DeckEvent } from "../../protocol/types.ts";

/** One line of events.jsonl. Audio bytes live in audio.opus at [offset, offset+length). */
export interface JournalLine {
  seq: number;
  ts: number;
  from: string;
  id: string;
  t: number;
  events: DeckEvent[];
  audio?: { t: number; offset: number; length: number };
}

export interface Written {
  /** Resolves once the bundle is flushed to disk; rejects if the flush fails. */
  durable: Promise<void>;
}

export interface Journal {
  /** Sequence number of the last line (0 when empty). */
  readonly lastSeq: number;
  readonly audioBytes: number;
  readonly lines: number;
  append(bundle: StampedBundle): Promise<Written>;
  /** Lines with from ≤ seq ≤ to, in order, with their audio bytes. */
  read(from: number, to: number): Promise<StampedBundle[]>;
  /** Every line, in order (for recovery and late-join state). */
  readAll(): Promise<JournalLine[]>;
  close(): Promise<void>;
}

export const EVENTS_FILE = "events.jsonl";
export const AUDIO_FILE = "audio.opus";

export async function openJournal(dir: string): Promise<Journal> {
  const events = await open(path.join(dir, EVENTS_FILE), "a+");
  const audio = await open(path.join(dir, AUDIO_FILE), "a+");
  try {
    const { lines, lengths } = await recover(events);
    // Both files are flushed together, so a crash can leave a line whose audio did not
    // reach the disk: such lines were never acknowledged; drop them.
    const audioSize = (await audio.stat()).size;
    while (lines.length > 0) {
      const a = lines.at(-1)!.audio;
      if (!a || a.offset + a.length <= audioSize) break;
      lines.pop();
      lengths.pop();
    }
    await events.truncate(lengths.reduce((n, l) => n + l, 0));
    let audioEnd = 0;
    for (const l of lines) if (l.audio) audioEnd = l.audio.offset + l.audio.length;
    await audio.truncate(audioEnd);
    return makeJournal(events, audio, lines, lengths, audioEnd);
  } catch (err) {
    await events.close();
    await audio.close();
    throw err;
  }
}

/** Parses events.jsonl, truncating a torn or unparsable tail (a crash mid-write). */
async function recover(fh: FileHandle): Promise<{ lines: JournalLine[]; goodBytes: number; lengths: number[] }> {
  const text = (await fh.readFile()).toString("utf8");
  const lines: JournalLine[] = [];
  const lengths: number[] = [];
  let goodBytes = 0;
  let start = 0;
  for (;;) {
    const nl = text.indexOf("\n", start);
    if (nl < 0) break;
    const raw = text.slice(start, nl);
    let line: JournalLine;
    try {
      line = JSON.parse(raw) as JournalLine;
    } catch {
      break;
    }
    if (line.seq !== (lines.at(-1)?.seq ?? 0) + 1) break;
    lines.push(line);
    start = nl + 1;
    const len = Buffer.byteLength(raw, "utf8") + 1;
    lengths.push(len);
    goodBytes += len;
  }
  if (goodBytes !== Buffer.byteLength(text, "utf8")) await fh.truncate(goodBytes);
  return { lines, goodBytes, lengths };
}

function makeJournal(events: FileHandle, audio: FileHandle, initial: JournalLine[], lengths: number[], audioEnd: number): Journal {
  // Byte offset of each line in events.jsonl, so range reads need no scan.
  const offsets: number[] = [];
  let pos = 0;
  for (const len of lengths) {
    offsets.push(pos);
    pos += len;
  }
  let lastSeq = initial.at(-1)?.seq ?? 0;
  let audioBytes = audioEnd;
  let queue: Promise<unknown> = Promise.resolve();
  /** The latest flush: it covers every earlier write. */
  let flushing: Promise<void> = Promise.resolve();

  /** Set when a failed write could not be undone: appending after a half line would corrupt the journal. */
  let broken: Error | null = null;

  async function appendNow(b: StampedBundle): Promise<Written> {
    if (broken) throw broken;
    if (b.seq !== lastSeq + 1) throw new Error(`journal: seq ${b.seq} after ${lastSeq}`);
    const line: JournalLine = { seq: b.seq, ts: b.ts, from: b.from, id: b.id, t: b.t, events: b.events };
    const buf = Buffer.from(JSON.stringify(b.audio ? { ...line, audio: { t: b.audio.t, offset: audioBytes, length: b.audio.data.length } } : line) + "\n", "utf8");
    try {
      if (b.audio) await audio.write(b.audio.data, 0, b.audio.data.length, null);
      await events.write(buf, 0, buf.length, null);
    } catch (err) {
      // Leave no half line behind (a full disk may have taken part of it). If even that
      // fails, refuse every later append: reopening (a restart) repairs the tail.
      try {
        await events.truncate(pos);
        if (b.audio) await audio.truncate(audioBytes);
      } catch (undo) {
        broken = new Error(`journal: a failed write could not be undone (${(undo as Error).message}); restart to repair`);
      }
      throw err;
    }
    offsets.push(pos);
    lengths.push(buf.length);
    pos += buf.length;
    if (b.audio) audioBytes += b.audio.data.length;
    lastSeq = b.seq;
    // One flush of each file, in parallel, started now and not waited for here: the next
    // bundle's write need not queue behind this flush (a flush covers all earlier writes).
    const durable = Promise.all([events.datasync(), b.audio ? audio.datasync() : undefined]).then(() => undefined);
    durable.catch(() => undefined); // observed by the caller; never an unhandled rejection
    flushing = durable;
    return { durable };
  }

  async function readLine(seq: number): Promise<JournalLine> {
    const i = seq - 1;
    const buf = Buffer.alloc(lengths[i]!);
    await events.read(buf, 0, buf.length, offsets[i]!);
    return JSON.parse(buf.toString("utf8")) as JournalLine;
  }

  async function toBundle(l: JournalLine): Promise<StampedBundle> {
    const b: StampedBundle = { id: l.id, t: l.t, seq: l.seq, ts: l.ts, from: l.from, events: l.events };
    if (l.audio) {
      const data = new Uint8Array(l.audio.length);
      await audio.read(data, 0, data.length, l.audio.offset);
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
      return offsets.length;
    },
    append(b) {
      // Serialise appends: sequence order on disk is the order they were stamped.
      const next = queue.then(() => appendNow(b));
      queue = next.catch(() => undefined);
      return next;
    },
    async read(from, to) {
      const out: StampedBundle[] = [];
      for (let s = Math.max(1, from); s <= Math.min(to, lastSeq); s++) out.push(await toBundle(await readLine(s)));
      return out;
    },
    async readAll() {
      const out: JournalLine[] = [];
      for (let s = 1; s <= lastSeq; s++) out.push(await readLine(s));
      return out;
    },
    async close() {
      await queue;
      await flushing.catch(() => undefined); // a failed flush was reported to its appender

      await events.close();
      await audio.close();
    },
  };
}
