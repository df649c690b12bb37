/**
 * The room's chat in a session's archive: `chat.jsonl`, one message a line
 * (`{seq, ts, nick, id?, text, phone?}`, protocol/chat.ts ChatEntry), numbered by a chat seq of the
 * meeting's own. docs/archive.md §Chat.
 *
 * Durability, as the journal's (journal.ts) without acknowledgements: appends are serialised
 * (file order is seq order) and write the whole line (short writes retried), after which it
 * is visible to readers and survives a crash of the process; the file is then flushed
 * (fdatasync), one flush at a time, later appends joining the next one. A failed write (a full
 * disk) is cut back to the size before it; if even that fails, the log refuses appends until
 * it is opened again. Nobody waits for chat to reach the disk: a chat message is never
 * acknowledged, so an OS crash may lose the last second of chat, never a line's middle.
 *
 * Recovery on open: a torn last line (no newline: a crash mid-write) is cut off. Any other
 * line that does not parse, that validateChatEntry refuses or whose seq is not greater than
 * the line before's is skipped (left in place, logged by line number and reason, never its
 * content); a skipped line after the last good one whose start still names the next seq
 * keeps that number used. The log is bounded (CHAT_LOG_LIMITS): past it, chat is not
 * recorded, and one warning says so.
 *
 * Open files: one FileHandle, opened on first use and closed after `idleCloseMs` without use
 * (after a pending flush), like the journal.
 */
import { open, readFile, truncate, type FileHandle } from "node:fs/promises";
import { readAllOf, undoTo, writeAll } from "./file-io.ts";
import { idleFiles } from "./idle-files.ts";
import path from "node:path";
import type { Logger } from "pino";
import { validateChatEntry, type ChatEntry } from "../../protocol/chat.ts";

export const CHAT_FILE = "chat.jsonl";

export const CHAT_LOG_LIMITS = {
  /** Messages one meeting's log records at most. */
  maxMessages: 100_000,
  /** Bytes chat.jsonl grows to at most. */
  maxBytes: 128 * 1024 * 1024,
} as const;

export interface ChatLog {
  /** The last recorded chat seq (0 when none). */
  readonly lastSeq: number;
  /** Lines in the log. */
  readonly count: number;
  /**
   * Numbers and records a message; resolves with the recorded entry once written (visible to
   * readers), or null when the log is full. Rejects when the write fails (nothing recorded).
   */
  append(m: Omit<ChatEntry, "seq">): Promise<ChatEntry | null>;
  /** Up to `max` messages with seq > `after`, in order. */
  after(after: number, max: number): Promise<ChatEntry[]>;
  /** The last `max` messages, in order. */
  latest(max: number): Promise<ChatEntry[]>;
  /** Closes the file now (after pending writes and the flush); the next use reopens it. */
  release(): Promise<void>;
  close(): Promise<void>;
}

export interface ChatLogOptions {
  log?: Logger | undefined;
  /** Close the file after this long without use (default 60 000 ms). */
  idleCloseMs?: number | undefined;
  limits?: { maxMessages: number; maxBytes: number } | undefined;
}

export async function openChatLog(dir: string, opts: ChatLogOptions = {}): Promise<ChatLog> {
  const file = path.join(dir, CHAT_FILE);
  const { log } = opts;
  const limits = opts.limits ?? CHAT_LOG_LIMITS;
  const idleCloseMs = opts.idleCloseMs ?? 60_000;

  // ---- recovery ----
  let text: Buffer;
  try {
    text = await readFile(file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
    text = Buffer.alloc(0);
  }
  const seqs: number[] = [];
  const offsets: number[] = [];
  const lengths: number[] = [];
  const skipped: { line: number; byte: number; reason: string }[] = [];
  let lastSeq = 0;
  let start = 0;
  let lineNo = 0;
  for (let nl = text.indexOf(0x0a, start); nl >= 0; nl = text.indexOf(0x0a, start)) {
    lineNo++;
    const raw = text.subarray(start, nl);
    const reason = lineProblem(raw, lastSeq);
    if (reason === null) {
      lastSeq = JSON.parse(raw.toString("utf8")).seq as number;
      seqs.push(lastSeq);
      offsets.push(start);
      lengths.push(nl + 1 - start);
    } else {
      skipped.push({ line: lineNo, byte: start, reason });
      // A damaged line that still names the next number held it: it stays used.
      const claimed = /^\{"seq":([1-9][0-9]{0,15}),/.exec(raw.subarray(0, 32).toString("latin1"));
      if (claimed && Number(claimed[1]) === lastSeq + 1) lastSeq += 1;
    }
    start = nl + 1;
  }
  let pos = start;
  if (text.length > start) {
    await truncate(file, start);
    log?.warn({ dir, file: CHAT_FILE, bytes: text.length - start }, "chat log: a torn last line was cut off (a crash mid-write)");
  }
  if (skipped.length > 0) log?.error({ dir, file: CHAT_FILE, skipped, kept: seqs.length, lastSeq }, "chat log: bad lines skipped; the lines around them are kept");

  // ---- the file, opened on use and closed when idle ----
  let ending = false;
  let broken: Error | null = null;
  let full = false;
  let queue: Promise<unknown> = Promise.resolve();
  let flushing: Promise<void> | null = null;
  let flushAgain = false;
  const handle = idleFiles<FileHandle>({
    what: "chat log",
    open: () => open(file, "a+"),
    close: (f) => f.close(),
    idleMs: idleCloseMs,
    async settled() {
      while (flushing) await flushing;
    },
  });
  const use = handle.use;

  /** One fdatasync at a time; appends meanwhile are flushed by one more after it. */
  function flush(f: FileHandle): void {
    if (flushing) {
      flushAgain = true;
      return;
    }
    flushing = (async () => {
      do {
        flushAgain = false;
        await f.datasync().catch((err: Error) => log?.warn({ dir, file: CHAT_FILE, err: err.message }, "chat log: flush failed"));
      } while (flushAgain);
    })().finally(() => (flushing = null));
  }

  async function appendNow(m: Omit<ChatEntry, "seq">): Promise<ChatEntry | null> {
    if (broken) throw broken;
    const entry: ChatEntry = { seq: lastSeq + 1, ts: m.ts, nick: m.nick, ...(m.id === undefined ? {} : { id: m.id }), text: m.text, ...(m.phone === undefined ? {} : { phone: m.phone }) };
    const checked = validateChatEntry(entry);
    if (!checked.ok) throw new Error(`chat log: ${checked.error.path}: ${checked.error.message}`);
    const buf = Buffer.from(JSON.stringify(entry) + "\n", "utf8");
    if (seqs.length >= limits.maxMessages || pos + buf.length > limits.maxBytes) {
      if (!full) log?.warn({ dir, file: CHAT_FILE, messages: seqs.length, bytes: pos }, "chat log is full: later chat of this meeting is not recorded");
      full = true;
      return null;
    }
    return use(async (f) => {
      try {
        await writeAll(f, buf, "chat log");
      } catch (err) {
        try {
          await undoTo(f, pos, "chat log");
        } catch (undo) {
          broken = new Error(`chat log: a failed write could not be undone (${(undo as Error).message}); restart to repair`);
        }
        throw err;
      }
      seqs.push(entry.seq);
      offsets.push(pos);
      lengths.push(buf.length);
      pos += buf.length;
      lastSeq = entry.seq;
      flush(f);
      return entry;
    });
  }

  /** Index of the first line with seq > `after`. */
  function indexAfter(after: number): number {
    let lo = 0;
    let hi = seqs.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (seqs[mid]! <= after) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** Lines [from, to) of the index, read in one go. */
  function readLines(from: number, to: number): Promise<ChatEntry[]> {
    if (from >= to) return Promise.resolve([]);
    return use(async (f) => {
      const at = offsets[from]!;
      const buf = Buffer.alloc(offsets[to - 1]! + lengths[to - 1]! - at);
      await readAllOf(f, buf, at, "chat log");
      const out: ChatEntry[] = [];
      for (let i = from; i < to; i++) {
        const o = offsets[i]! - at;
        out.push(JSON.parse(buf.toString("utf8", o, o + lengths[i]!)) as ChatEntry);
      }
      return out;
    });
  }

  return {
    get lastSeq() {
      return lastSeq;
    },
    get count() {
      return seqs.length;
    },
    append(m) {
      if (ending) return Promise.reject(new Error("chat log: closed"));
      const next = queue.then(() => appendNow(m));
      queue = next.catch(() => undefined);
      return next;
    },
    after(after, max) {
      const i = indexAfter(after);
      return readLines(i, Math.min(seqs.length, i + Math.max(0, max)));
    },
    latest(max) {
      return readLines(Math.max(0, seqs.length - Math.max(0, max)), seqs.length);
    },
    async release() {
      await queue;
      await handle.release();
    },
    async close() {
      if (ending) return handle.close();
      ending = true;
      await queue;
      await handle.close();
    },
  };
}

/** Why a line cannot be kept after `lastSeq`, or null. */
function lineProblem(raw: Buffer, lastSeq: number): string | null {
  let v: unknown;
  try {
    v = JSON.parse(raw.toString("utf8"));
  } catch {
    return "not JSON"; // the parser's message would quote the damaged bytes
  }
  const checked = validateChatEntry(v);
  if (!checked.ok) return `${checked.error.path}: ${checked.error.message}`;
  if (checked.value.seq <= lastSeq) return `seq ${checked.value.seq} is not greater than ${lastSeq}, the line before's`;
  return null;
}
