/**
 * A pool of warm LibreOffice workers (see office-worker.ts). Jobs queue in order; each
 * worker converts one at a time. A job over its time limit kills its worker, which is
 * replaced by a fresh one; a worker is also recycled after `maxJobsPerWorker` jobs or once
 * its memory passes `maxRssBytes` (a warm soffice grows with every deck it loads).
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Logger } from "pino";
import { OfficeWorker, type OfficeJob, type OfficeOutcome } from "./office-worker.ts";

export interface PoolOptions {
  /** Parallel conversions. Default 2. */
  workers?: number;
  /** Per-conversion time limit. Default 120 s. */
  timeoutMs?: number;
  /** Recycle a worker after this many jobs. Default 50. */
  maxJobsPerWorker?: number;
  /** Recycle a worker whose process group uses more resident memory (read every 5 jobs). Default 1 GiB. */
  maxRssBytes?: number;
  /** Start LibreOffice on the first conversion instead of at once (the CLI: a refused file never needs it). */
  lazy?: boolean;
  log: Logger;
}

interface Queued { job: OfficeJob; timeoutMs: number; resolve: (o: OfficeOutcome) => void }
interface Slot { index: number; worker: OfficeWorker | null; starting: OfficeWorker | null; busy: boolean; starts: number; failures: number }

/**
 * Memory is read (all of /proc, ~8 ms) after every this many jobs, not after each: a warm
 * soffice grows ~20 MB a deck (FACTS), so the ceiling is overshot by ~100 MB at most.
 */
const RSS_CHECK_EVERY = 5;
/** After this many failed starts in a row on every slot, queued jobs fail instead of waiting. */
const MAX_START_FAILURES = 3;

export class ConverterPool {
  private readonly timeoutMs: number;
  private readonly maxJobs: number;
  private readonly maxRss: number;
  private readonly log: Logger;
  private readonly slots: Slot[];
  private readonly queue: Queued[] = [];
  private readonly profileRoot: Promise<string>;
  private stopped = false;
  private launched = false;
  /** Idle workers promised to jobs not yet submitted (see reserveIdle). */
  private reserved = 0;
  /** Workers being retired (recycled or killed): stop() waits for them too. */
  private readonly retiring = new Set<Promise<void>>();
  /** Last-resort cleanup if Node exits without stop(): no soffice may outlive the server. */
  private readonly onExit = () => {
    for (const s of this.slots) for (const w of [s.worker, s.starting]) w?.kill();
  };

  constructor(opts: PoolOptions) {
    this.timeoutMs = opts.timeoutMs ?? 120_000;
    this.maxJobs = opts.maxJobsPerWorker ?? 50;
    this.maxRss = opts.maxRssBytes ?? 1024 ** 3;
    this.log = opts.log.child({ part: "office-pool" });
    const n = Math.max(1, opts.workers ?? 2);
    this.slots = Array.from({ length: n }, (_, index) => ({ index, worker: null, starting: null, busy: false, starts: 0, failures: 0 }));
    // Profiles live in a private temp dir: never shared between workers (FACTS: a shared
    // profile loses conversions) and removed on stop.
    this.profileRoot = mkdtemp(join(tmpdir(), "deckcast-office-"));
    if (!opts.lazy) this.launch();
  }

  private launch(): void {
    if (this.launched) return;
    this.launched = true;
    process.once("exit", this.onExit);
    for (const slot of this.slots) void this.startSlot(slot);
  }

  /** Converts one file with LibreOffice; never rejects. `timeoutMs` overrides the pool's limit. */
  convert(job: OfficeJob, opts: { timeoutMs?: number } = {}): Promise<OfficeOutcome> {
    if (this.stopped) return Promise.resolve({ ok: false, code: "conversion-failed", message: "The converter is shutting down." });
    this.launch();
    return new Promise((resolve) => {
      this.queue.push({ job, timeoutMs: opts.timeoutMs ?? this.timeoutMs, resolve });
      this.dispatch();
    });
  }

  /**
   * How the pool stands, for /healthz: ok while at least one worker is running or starting
   * after fewer than MAX_START_FAILURES failed starts in a row.
   */
  health(): { ok: boolean; workers: number; running: number; busy: number; queued: number } {
    const running = this.slots.filter((s) => s.worker).length;
    const busy = this.slots.filter((s) => s.busy).length;
    const failing = this.slots.every((s) => !s.worker && s.failures >= MAX_START_FAILURES);
    return { ok: !this.stopped && !failing && (running > 0 || !this.launched || this.slots.some((s) => s.starting)), workers: this.slots.length, running, busy, queued: this.queue.length };
  }

  /** Workers that would start a job at once: started, not busy, not reserved, nothing queued ahead. */
  private idleWorkers(): number {
    if (this.stopped || this.queue.length > 0) return 0;
    return Math.max(0, this.slots.filter((s) => s.worker && !s.busy).length - this.reserved);
  }

  /**
   * Reserves the idle workers for jobs about to be submitted (a deck being split into one
   * part per worker), so a second deck arriving meanwhile does not plan on them too.
   * `release()` once the jobs are submitted (or given up); it is idempotent.
   */
  reserveIdle(): { count: number; release: () => void } {
    const count = this.idleWorkers();
    this.reserved += count;
    let held = true;
    return {
      count,
      release: () => {
        if (held) this.reserved -= count;
        held = false;
      },
    };
  }

  /** A PDF a running worker made while warming up, for warming up the PDF reader; null if none. */
  samplePdf(): string | null {
    return this.slots.find((s) => s.worker?.samplePdf)?.worker?.samplePdf ?? null;
  }

  /** Resolves once every worker has started (or failed to); conversions do not need to wait for it. */
  async ready(): Promise<void> {
    this.launch();
    while (!this.stopped && this.slots.some((s) => !s.worker && s.failures < MAX_START_FAILURES)) {
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const q of this.queue.splice(0)) q.resolve({ ok: false, code: "conversion-failed", message: "The converter is shutting down." });
    await Promise.all(this.slots.map(async (s) => {
      const w = s.worker;
      s.worker = null;
      s.starting?.kill(); // its start() then fails and startSlot stops
      await w?.stop();
    }));
    await Promise.allSettled([...this.retiring]);
    process.off("exit", this.onExit);
    await rm(await this.profileRoot, { recursive: true, force: true });
  }

  private async startSlot(slot: Slot): Promise<void> {
    if (this.stopped) return;
    const generation = ++slot.starts;
    const name = `w${slot.index}.${generation}`;
    const root = await this.profileRoot;
    if (this.stopped) return;
    // A fresh profile per worker generation: a killed soffice can never share one with its successor.
    const worker = new OfficeWorker(name, join(root, name), this.log);
    const t0 = Date.now();
    slot.starting = worker;
    try {
      await worker.start();
    } catch (err) {
      slot.starting = null;
      if (this.stopped) return;
      slot.failures++;
      this.log.error({ worker: name, err: (err as Error).message, failures: slot.failures }, "LibreOffice worker failed to start");
      if (this.slots.every((s) => s.failures >= MAX_START_FAILURES)) {
        for (const q of this.queue.splice(0)) {
          q.resolve({ ok: false, code: "conversion-failed", message: `LibreOffice could not be started: ${(err as Error).message}` });
        }
      }
      setTimeout(() => void this.startSlot(slot), Math.min(30_000, 1000 * 2 ** slot.failures)).unref();
      return;
    }
    slot.starting = null;
    if (this.stopped) {
      await worker.stop();
      return;
    }
    slot.failures = 0;
    slot.worker = worker;
    this.log.info({ worker: name, pgid: worker.pid, ms: Date.now() - t0 }, "LibreOffice worker ready");
    this.dispatch();
  }

  private dispatch(): void {
    for (const slot of this.slots) {
      if (this.queue.length === 0) return;
      if (slot.busy || !slot.worker) continue;
      const q = this.queue.shift()!;
      void this.runOn(slot, slot.worker, q);
    }
  }

  private async runOn(slot: Slot, worker: OfficeWorker, q: Queued): Promise<void> {
    slot.busy = true;
    const outcome = await worker.run(q.job, q.timeoutMs);
    if (!worker.alive) {
      // Timed out (killed) or crashed: replace it before anyone hears the outcome.
      this.replace(slot, worker, outcome.ok ? "exited" : outcome.code);
      q.resolve(outcome);
      return;
    }
    let reason: string | null = null;
    if (worker.jobs >= this.maxJobs) reason = `after ${worker.jobs} jobs`;
    else if (worker.jobs % RSS_CHECK_EVERY === 0) {
      const rss = await worker.rssBytes();
      if (rss > this.maxRss) reason = `memory ${Math.round(rss / 1024 ** 2)} MiB`;
    }
    if (reason) this.replace(slot, worker, reason);
    else {
      slot.busy = false;
      this.dispatch();
    }
    // Heard only now, so whoever hears it finds the worker free again (or being replaced).
    q.resolve(outcome);
  }

  /** Retires a worker (gracefully if it still runs) and starts a fresh one in its slot. */
  private replace(slot: Slot, worker: OfficeWorker, reason: string): void {
    this.log.warn({ worker: worker.name, pgid: worker.pid, reason }, "replacing LibreOffice worker");
    slot.worker = null;
    slot.busy = false;
    const retired = worker.stop()
      .then(() => rm(worker.profileDir, { recursive: true, force: true }))
      .catch((err: Error) => this.log.error({ worker: worker.name, err: err.message }, "LibreOffice worker did not stop cleanly"))
      .finally(() => this.retiring.delete(retired));
    this.retiring.add(retired);
    void retired.then(() => this.startSlot(slot));
  }
}
