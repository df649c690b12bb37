/**
 * The server's export jobs: one job per session at a time, at most `concurrency` running
 * (default one per core), the rest waiting in order, at most `maxQueued` waiting, and at most
 * `maxPerOwner` queued or running for one owner (so one account cannot fill the queue). A job can
 * be canceled queued or running (its AbortSignal kills ffmpeg; exportSession removes the temp
 * file). A job's state and progress are kept in memory; after it ended (or after a restart)
 * the state of a session is read from the files: `export.<format>` in the session's folder
 * is a finished export.
 */
import os from "node:os";
import { ExportError, type ExportErrorCode, type ExportFormat, type ExportJob } from "../../protocol/export.ts";

export interface ExportRunner {
  (job: { session: string; format: ExportFormat; width: number }, signal: AbortSignal, onProgress: (f: number) => void): Promise<{ bytes: number }>;
}

export interface ExportQueue {
  /** Queues an export of the session (the job under way, if there is one, is returned as it is). */
  start(session: string, format: ExportFormat, width: number, owner?: string): ExportJob;
  /** The session's job, if one is queued, running or ended since the start. */
  get(session: string): ExportJob | null;
  /** Cancels the session's job; true when there was one queued or running. */
  cancel(session: string): Promise<boolean>;
  /** Jobs running now. */
  running(): number;
  /** Cancels every job and waits for them to stop. */
  stop(): Promise<void>;
}

interface Entry {
  job: ExportJob;
  owner?: string;
  abort: AbortController;
  done?: Promise<void>;
}

/** Ended jobs the queue remembers (their state and error for export-status), at most. */
const KEEP_ENDED = 256;

/** Exports one owner may have queued or running at once. */
export const EXPORTS_PER_OWNER = 2;

/** Thrown by start() when the owner already has maxPerOwner exports under way (code busy, as the whole queue's). */
export class OwnerBusy extends ExportError {
  constructor(readonly limit: number) {
    super("busy", `At most ${limit} exports of one account run or wait at once.`);
  }
}

export function createExportQueue({ run, concurrency = Math.max(1, os.availableParallelism()), maxQueued = 32, maxPerOwner = EXPORTS_PER_OWNER, onEnd }: { run: ExportRunner; concurrency?: number; maxQueued?: number; maxPerOwner?: number; onEnd?: (job: ExportJob, err?: unknown) => void }): ExportQueue {
  const jobs = new Map<string, Entry>();
  const waiting: Entry[] = [];
  let active = 0;
  let stopped = false;

  const live = (e: Entry | undefined) => e !== undefined && (e.job.state === "queued" || e.job.state === "running");
  /** Ended jobs kept in memory (the oldest forgotten first; a finished export is read back from its file). */
  const ended: string[] = [];
  const forgetOld = (session: string) => {
    ended.push(session);
    while (ended.length > KEEP_ENDED) {
      const old = ended.shift()!;
      if (!live(jobs.get(old))) jobs.delete(old);
    }
  };

  function pump(): void {
    while (!stopped && active < concurrency && waiting.length > 0) {
      const e = waiting.shift()!;
      if (e.job.state !== "queued") continue;
      active++;
      e.job.state = "running";
      e.done = run({ session: e.job.session, format: e.job.format, width: e.job.width }, e.abort.signal, (f) => {
        e.job.progress = Math.max(e.job.progress, Math.min(1, f));
      }).then(
        ({ bytes }) => {
          e.job.state = "done";
          e.job.progress = 1;
          e.job.bytes = bytes;
          onEnd?.(e.job);
        },
        (err: unknown) => {
          const code: ExportErrorCode = err instanceof ExportError ? err.code : "encoder-failed";
          e.job.state = code === "canceled" ? "canceled" : "failed";
          if (code !== "canceled") e.job.error = code;
          onEnd?.(e.job, err);
        },
      ).finally(() => {
        active--;
        forgetOld(e.job.session);
        pump();
      });
    }
  }

  return {
    start(session, format, width, owner) {
      const have = jobs.get(session);
      if (live(have)) return { ...have!.job };
      if (owner !== undefined && [...jobs.values()].filter((x) => x.owner === owner && live(x)).length >= maxPerOwner) throw new OwnerBusy(maxPerOwner);
      if (waiting.length >= maxQueued) throw new ExportError("busy");
      const e: Entry = { job: { session, format, width, state: "queued", progress: 0 }, abort: new AbortController(), ...(owner === undefined ? {} : { owner }) };
      jobs.set(session, e);
      waiting.push(e);
      pump();
      return { ...e.job };
    },
    get(session) {
      const e = jobs.get(session);
      return e ? { ...e.job } : null;
    },
    async cancel(session) {
      const e = jobs.get(session);
      if (!live(e)) return false;
      if (e!.job.state === "queued") {
        e!.job.state = "canceled";
        const i = waiting.indexOf(e!);
        if (i >= 0) waiting.splice(i, 1);
        forgetOld(session);
        return true;
      }
      e!.abort.abort();
      await e!.done;
      return true;
    },
    running: () => active,
    async stop() {
      stopped = true;
      for (const e of waiting) e.job.state = "canceled";
      waiting.length = 0;
      const runningJobs = [...jobs.values()].filter((e) => e.job.state === "running");
      for (const e of runningJobs) e.abort.abort();
      await Promise.allSettled(runningJobs.map((e) => e.done));
    },
  };
}
