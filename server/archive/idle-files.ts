/**
 * File handles opened on first use and closed after `idleMs` without use, so an idle archive
 * holds no file descriptors (500 meetings once needed 1000 of them just to restore). A close
 * first waits for `settled()` (a pending flush must finish on the handles it flushes) and is
 * skipped when the handles are in use again by then; the next use reopens them. Shared by the
 * journal (events.jsonl + audio.opus) and the chat log (chat.jsonl).
 */
export interface IdleFiles<F> {
  /** Runs `fn` with the handles open (opening them if needed); they stay open while it runs. */
  use<T>(fn: (files: F) => Promise<T>): Promise<T>;
  /** Closes the handles now (after uses under way and `settled()`); the next use reopens them. */
  release(): Promise<void>;
  /** Closes them for good, after uses under way and `settled()`; later uses throw. */
  close(): Promise<void>;
}

export function idleFiles<F>(o: {
  /** For error messages: "journal", "chat log". */
  what: string;
  open: () => Promise<F>;
  close: (files: F) => Promise<void>;
  idleMs: number;
  /** What must finish before the handles close (a pending flush). */
  settled: () => Promise<void>;
}): IdleFiles<F> {
  let files: F | null = null;
  let opening: Promise<F> | null = null;
  let closing: Promise<void> | null = null;
  let busy = 0;
  let timer: NodeJS.Timeout | null = null;
  let ending = false;
  let closed = false;
  const drained: (() => void)[] = [];

  const stopTimer = () => {
    if (timer) clearTimeout(timer);
    timer = null;
  };

  function closeNow(): Promise<void> {
    closing ??= (async () => {
      await o.settled().catch(() => undefined); // a failed flush was reported to its appender
      if (busy > 0 || !files) return;
      const f = files;
      files = null;
      await o.close(f).catch(() => undefined);
    })().finally(() => (closing = null));
    return closing;
  }

  return {
    async use(fn) {
      if (closed || ending) throw new Error(`${o.what}: closed`);
      busy++;
      stopTimer();
      try {
        while (closing) await closing;
        if (!files) {
          opening ??= o.open().finally(() => (opening = null));
          files = await opening;
        }
        return await fn(files);
      } finally {
        busy--;
        if (busy === 0) {
          for (const d of drained.splice(0)) d();
          if (!ending && Number.isFinite(o.idleMs)) {
            timer = setTimeout(() => void closeNow(), o.idleMs);
            timer.unref();
          }
        }
      }
    },
    async release() {
      stopTimer();
      await closeNow();
    },
    async close() {
      if (closed) return;
      ending = true;
      while (busy > 0) await new Promise<void>((r) => drained.push(r));
      stopTimer();
      while (closing) await closing;
      await closeNow();
      closed = true;
    },
  };
}
