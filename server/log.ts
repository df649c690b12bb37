/**
 * The server's logger: pino writing JSON lines to `<data>/deckcast.log` through a destination
 * that never stops the server.
 *
 * Why not pino.destination (sonic-boom 4): on a full disk its async write emits 'error' with
 * nobody listening, which throws out of the fs callback, and pino's exit hook then calls
 * flushSync(), which retries a failed ENOSPC write every 100 ms forever: the process hangs
 * with its event loop blocked (no HTTP answer, SIGTERM ignored). Its buffer also grows
 * without bound while writes fail.
 *
 * The contract of {@link LogFile}:
 * - Lines are queued and written in order, one write in flight at a time; a short write is
 *   continued from where it stopped. EAGAIN/EBUSY/EINTR are retried after 100 ms.
 * - Any other write error (ENOSPC, EDQUOT, EFBIG, EIO, …) drops the lines in hand and every
 *   line logged while it lasts (counted), and says once on stderr
 *   "deckcast: cannot write the log (ENOSPC); dropping log lines until there is room".
 *   Every second a probe writes the line that reports the dropped count; the first one that
 *   succeeds ends the episode (one more stderr line), and logging goes on. The part of a
 *   chunk that reached the file before the failure is truncated away again (its lines count
 *   as dropped), so the file stays one JSON object per line; if that truncation fails, the
 *   torn line is ended with a newline before the next write.
 * - At most `maxQueueBytes` (8 MiB) wait in memory; lines beyond that are dropped and counted too.
 * - `flush(ms)` resolves when the queue is written, when writing is failing, or after `ms`,
 *   whichever is first: shutdown never waits on a full disk. `flushSync()` (for process
 *   'exit') tries each queued chunk once and ignores errors.
 */
import fs from "node:fs";
import pino, { type Logger } from "pino";

/** Errors that mean "try the same write again shortly", not "the disk refuses". */
const RETRY_CODES = new Set(["EAGAIN", "EBUSY", "EINTR"]);
const RETRY_MS = 100;
const PROBE_MS = 1000;
/** One write hands the kernel at most this much. */
const MAX_WRITE = 64 * 1024;

export interface LogFileOptions {
  /** Most bytes waiting in memory; more is dropped and counted. Default 8 MiB. */
  maxQueueBytes?: number;
  /** The line (without newline) that reports `dropped` lines once writing works again. */
  droppedLine?: (dropped: number, code: string) => string;
  /** Where the two console lines of an episode go. Default process.stderr (errors ignored). */
  warn?: (text: string) => void;
}

export interface LogFileStats {
  /** Lines dropped since the file was opened. */
  dropped: number;
  /** The error code of the failure in progress, or null while lines are written. */
  failing: string | null;
  /** Bytes waiting to be written. */
  queuedBytes: number;
}

/** A pino destination (`write(line)`) appending to one file. */
export interface LogFile {
  write(line: string): boolean;
  /** pino's logger.flush(cb) calls this; same as flush() with the default bound. */
  flush(cb?: (err?: Error) => void): void;
  /** Resolves when everything queued is written, writing is failing, or after `timeoutMs`. */
  drain(timeoutMs: number): Promise<void>;
  /** One synchronous attempt per queued chunk; never throws, never retries. For process 'exit'. */
  flushSync(): void;
  stats(): LogFileStats;
  /** Stops probing and closes the file (after a bounded drain). */
  close(timeoutMs?: number): Promise<void>;
}

function defaultWarn(text: string): void {
  try {
    process.stderr.write(text + "\n");
  } catch {
    // stderr closed: nothing else to tell
  }
}

function countLines(s: string): number {
  let n = 0;
  for (let i = s.indexOf("\n"); i !== -1; i = s.indexOf("\n", i + 1)) n++;
  return n;
}

/** Opens (creates, mode 0640) `path` for appending; never throws (see the module comment). */
export function openLogFile(path: string, opts: LogFileOptions = {}): LogFile {
  const maxQueue = opts.maxQueueBytes ?? 8 * 1024 * 1024;
  const warn = opts.warn ?? defaultWarn;
  const droppedLine = opts.droppedLine ?? ((n, code) => JSON.stringify({ level: 40, time: Date.now(), part: "log", dropped: n, code, msg: "log lines were dropped while the log could not be written" }));

  let fd = -1;
  let queue: string[] = [];
  let queuedBytes = 0;
  /** The chunk being written and how much of it is already on disk. */
  let inFlight: { buf: Buffer; done: number; lines: number; probe: boolean; prefixed: boolean } | null = null;
  let failing: string | null = null;
  /** Dropped in the current episode (reported by the probe) and in total. */
  let droppedNow = 0;
  let droppedTotal = 0;
  /** The last write stopped inside a line: end it before the next one. */
  let torn = false;
  let closed = false;
  let probeTimer: NodeJS.Timeout | null = null;
  const waiters = new Set<() => void>();

  const settleWaiters = () => {
    if (inFlight || (queue.length > 0 && !failing)) return;
    for (const w of waiters) w();
    waiters.clear();
  };

  const drop = (lines: number) => {
    droppedNow += lines;
    droppedTotal += lines;
  };

  const tryOpen = (): boolean => {
    if (fd >= 0) return true;
    try {
      fd = fs.openSync(path, "a", 0o640);
      return true;
    } catch (err) {
      startFailing((err as NodeJS.ErrnoException).code ?? "EIO");
      return false;
    }
  };

  const startFailing = (code: string) => {
    if (!failing) warn(`deckcast: cannot write the log (${code}); dropping log lines until there is room`);
    failing = code;
    // Everything in hand is dropped: a full disk may last, and memory must not grow meanwhile.
    drop(queue.reduce((n, s) => n + countLines(s), 0));
    queue = [];
    queuedBytes = 0;
    scheduleProbe();
  };

  const scheduleProbe = () => {
    if (probeTimer || closed) return;
    probeTimer = setTimeout(() => {
      probeTimer = null;
      if (!failing || inFlight || closed) return;
      if (!tryOpen()) return scheduleProbe();
      start(droppedLine(droppedNow, failing) + "\n", 0, true);
    }, PROBE_MS);
    probeTimer.unref();
  };

  /** Writes `text` (whole lines), ending a torn line first. */
  const start = (text: string, lines: number, probe = false) => {
    const prefixed = torn;
    inFlight = { buf: Buffer.from((prefixed ? "\n" : "") + text), done: 0, lines, probe, prefixed };
    writeMore();
  };

  const writeMore = () => {
    const f = inFlight!;
    fs.write(fd, f.buf, f.done, f.buf.length - f.done, null, (err, n) => {
      if (err) return onError(err);
      f.done += n;
      if (f.done < f.buf.length) return writeMore(); // a short write: go on from where it stopped
      torn = false;
      inFlight = null;
      if (f.probe) {
        warn(`deckcast: the log is written again; ${droppedNow} log lines were dropped`);
        failing = null;
        droppedNow = 0;
      }
      next();
    });
  };

  const onError = (err: NodeJS.ErrnoException) => {
    const f = inFlight!;
    const code = err.code ?? "EIO";
    if (RETRY_CODES.has(code)) {
      setTimeout(writeMore, RETRY_MS).unref();
      return;
    }
    inFlight = null;
    if (f.done > 0) {
      // Part of the chunk reached the file: take it back (the lines count as dropped), so the
      // file never holds half a line. It can only shrink: a file someone else truncated
      // (logrotate's copytruncate) is never padded.
      try {
        const size = fs.fstatSync(fd).size;
        fs.ftruncateSync(fd, Math.max(0, size - f.done));
        torn = f.prefixed;
      } catch {
        torn = f.buf[f.done - 1] !== 0x0a;
      }
    }
    if (!f.probe) drop(f.lines);
    startFailing(code);
    settleWaiters();
  };

  const next = () => {
    if (inFlight || failing || queue.length === 0) return settleWaiters();
    if (!tryOpen()) return settleWaiters();
    // Up to MAX_WRITE bytes of whole lines per write.
    let take = 0;
    let bytes = 0;
    while (take < queue.length && (take === 0 || bytes + queue[take]!.length <= MAX_WRITE)) bytes += queue[take++]!.length;
    const chunk = queue.splice(0, take).join("");
    queuedBytes -= chunk.length;
    start(chunk, countLines(chunk));
  };

  const file: LogFile = {
    write(line) {
      if (closed) return false;
      const lines = countLines(line) || 1;
      if (failing || queuedBytes + line.length > maxQueue) {
        drop(lines);
        if (!failing) scheduleOverflowReport();
        return false;
      }
      queue.push(line.endsWith("\n") ? line : line + "\n");
      queuedBytes += line.length;
      next();
      return true;
    },
    flush(cb) {
      file.drain(5000).then(() => cb?.(), (err: Error) => cb?.(err));
    },
    drain(timeoutMs) {
      return new Promise<void>((resolve) => {
        if (!inFlight && (queue.length === 0 || failing)) return resolve();
        const timer = setTimeout(done, timeoutMs);
        function done() {
          clearTimeout(timer);
          waiters.delete(done);
          resolve();
        }
        waiters.add(done);
      });
    },
    flushSync() {
      if (failing || fd < 0) return;
      const chunks = queue.splice(0);
      queuedBytes = 0;
      for (let i = 0; i < chunks.length; i++) {
        try {
          fs.writeSync(fd, (torn ? "\n" : "") + chunks[i]!);
          torn = false;
        } catch {
          drop(chunks.slice(i).reduce((n, c) => n + countLines(c), 0));
          return;
        }
      }
    },
    stats: () => ({ dropped: droppedTotal, failing, queuedBytes }),
    async close(timeoutMs = 2000) {
      await file.drain(timeoutMs);
      closed = true;
      if (probeTimer) clearTimeout(probeTimer);
      probeTimer = null;
      if (fd >= 0 && !inFlight) {
        try {
          fs.closeSync(fd);
        } catch {
          // already closed
        }
        fd = -1;
      }
    },
  };

  /** Lines dropped because the queue was full (a slow disk, not a failing one) are reported once it drains. */
  let overflowReport = false;
  function scheduleOverflowReport() {
    if (overflowReport) return;
    overflowReport = true;
    const report = () => {
      if (failing || closed) return void (overflowReport = false);
      if (queuedBytes > maxQueue / 2) return void setTimeout(report, PROBE_MS).unref();
      overflowReport = false;
      const n = droppedNow;
      droppedNow = 0;
      file.write(droppedLine(n, "EQUEUEFULL"));
    };
    setTimeout(report, PROBE_MS).unref();
  }

  tryOpen();
  return file;
}

export interface ServerLogging {
  log: Logger;
  file: LogFile;
  /** Writes what is queued, at most `timeoutMs` (shutdown never hangs on a full disk). */
  shutdown(timeoutMs?: number): Promise<void>;
}

/**
 * The server's pino logger on `<file>`, with the destination above and an exit hook; with
 * `echo` (a container's stdout: DECKCAST_LOG_STDOUT), every line is written there too.
 */
export function createServerLogging({ path, level, base, echo }: { path: string; level: string; base: Record<string, unknown>; echo?: NodeJS.WritableStream }): ServerLogging {
  const file = openLogFile(path, {
    droppedLine: (dropped, code) => JSON.stringify({ level: 40, time: Date.now(), ...base, part: "log", dropped, code, msg: "log lines were dropped while the log could not be written" }),
  });
  const log = echo ? pino({ level, base }, pino.multistream([{ stream: file, level: level as pino.Level }, { stream: echo, level: level as pino.Level }])) : pino({ level, base }, file);
  const onExit = () => file.flushSync();
  process.once("exit", onExit);
  return {
    log,
    file,
    async shutdown(timeoutMs = 2000) {
      await file.close(timeoutMs);
      process.off("exit", onExit);
    },
  };
}
