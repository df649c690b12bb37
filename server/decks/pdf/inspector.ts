/**
 * Reads PDFs with pdf.js in worker threads: validation (a PDF pdf.js cannot open is
 * refused), page count and sizes, per-page text and the metadata title. Each thread reads
 * one PDF at a time and a request goes to the thread with the shortest queue, so the parts
 * of a deck converted in parts are read side by side. A request over its time limit, or a
 * thread that dies (out of memory on a hostile PDF), costs only that thread, which is
 * replaced on its next request.
 */
import { fileURLToPath } from "node:url";
import { Worker } from "node:worker_threads";
import type { Logger } from "pino";
import { deckError, fail, type DeckResult } from "../errors.ts";
import type { PdfFacts } from "../types.ts";
import type { InspectReply, InspectRequest } from "./pdf-worker.ts";

const BOOT = fileURLToPath(new URL("./worker-boot.mjs", import.meta.url));
const ENTRY = new URL("./pdf-worker.ts", import.meta.url).href;

export interface InspectorOptions {
  /** Worker threads. Default 2. */
  threads?: number;
  /** Time limit for reading one PDF. Default 60 s. */
  timeoutMs?: number;
  /** Heap limit of the worker thread. Default 1024 MB. */
  maxHeapMb?: number;
  log: Logger;
}

export class PdfInspector {
  private readonly lanes: InspectorThread[];

  constructor(opts: InspectorOptions) {
    this.lanes = Array.from({ length: Math.max(1, opts.threads ?? 2) }, () => new InspectorThread(opts));
  }

  /** Inspects the PDF at `path`, refusing it with too-many-pages above `maxPages`. */
  inspect(path: string, maxPages: number): Promise<DeckResult<PdfFacts>> {
    const lane = this.lanes.reduce((a, b) => (b.queued < a.queued ? b : a));
    return lane.inspect(path, maxPages);
  }

  /**
   * Starts the threads ahead of the first request (pdf.js takes a second or two to load);
   * with a `sample` PDF, each thread also reads it `rounds` times, so the first decks do not
   * run pdf.js's font and text code cold (the first reads take 10-20× longer).
   */
  async warm(sample?: string | null, rounds = 6): Promise<void> {
    await Promise.all(this.lanes.map(async (lane) => {
      await lane.warm();
      for (let i = 0; sample && i < rounds; i++) await lane.inspect(sample, Number.MAX_SAFE_INTEGER);
    }));
  }

  async stop(): Promise<void> {
    await Promise.all(this.lanes.map((l) => l.stop()));
  }
}

/** One worker thread reading one PDF at a time. */
class InspectorThread {
  /** Requests waiting or running on this thread. */
  queued = 0;
  private worker: Worker | null = null;
  private ready: Promise<void> | null = null;
  private chain: Promise<unknown> = Promise.resolve();
  private nextId = 1;
  private pending = new Map<number, (r: InspectReply) => void>();
  private readonly timeoutMs: number;
  private readonly maxHeapMb: number;

  constructor(private readonly opts: InspectorOptions) {
    this.timeoutMs = opts.timeoutMs ?? 60_000;
    this.maxHeapMb = opts.maxHeapMb ?? 1024;
  }

  inspect(path: string, maxPages: number): Promise<DeckResult<PdfFacts>> {
    this.queued++;
    const run = this.chain.then(() => this.request(path, maxPages)).finally(() => this.queued--);
    this.chain = run.catch(() => undefined);
    return run;
  }

  async warm(): Promise<void> {
    await this.ensureWorker();
  }

  async stop(): Promise<void> {
    const w = this.worker;
    this.worker = null;
    this.ready = null;
    if (w) await w.terminate();
  }

  private async request(path: string, maxPages: number): Promise<DeckResult<PdfFacts>> {
    const worker = await this.ensureWorker();
    const id = this.nextId++;
    const reply = await new Promise<InspectReply | null>((resolve) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        this.opts.log.warn({ path, timeoutMs: this.timeoutMs }, "pdf inspection timed out; replacing worker");
        void this.stop();
        resolve(null);
      }, this.timeoutMs);
      this.pending.set(id, (r) => {
        clearTimeout(timer);
        resolve(r);
      });
      worker.postMessage({ id, path, maxPages } satisfies InspectRequest);
    });
    if (!reply) return fail("conversion-timeout", "Reading the PDF took too long and was stopped.");
    return reply.ok ? { ok: true, value: reply.value } : { ok: false, error: reply.error };
  }

  private ensureWorker(): Promise<Worker> {
    if (this.worker && this.ready) {
      const w = this.worker;
      return this.ready.then(() => w);
    }
    const worker = new Worker(BOOT, {
      workerData: { entry: ENTRY },
      resourceLimits: { maxOldGenerationSizeMb: this.maxHeapMb },
    });
    worker.unref();
    this.worker = worker;
    this.ready = new Promise<void>((resolve, reject) => {
      worker.once("error", reject);
      worker.on("message", (msg: InspectReply | { ready: true }) => {
        if ("ready" in msg) {
          resolve();
          return;
        }
        this.pending.get(msg.id)?.(msg);
        this.pending.delete(msg.id);
      });
    });
    worker.on("error", (err) => {
      this.opts.log.error({ err: err.message }, "pdf worker failed");
      this.failAll(err.message);
    });
    worker.on("exit", (code) => {
      if (this.worker === worker) {
        this.worker = null;
        this.ready = null;
      }
      if (code !== 0) this.failAll(`the PDF reader stopped (exit ${code})`);
    });
    return this.ready.then(() => worker);
  }

  private failAll(why: string): void {
    for (const [id, resolve] of this.pending) {
      resolve({ id, ok: false, error: deckError("conversion-failed", `The PDF could not be read: ${why}.`) });
    }
    this.pending.clear();
  }
}
