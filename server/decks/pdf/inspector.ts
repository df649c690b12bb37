/**
 * Reads PDFs with pdf.js in a worker thread: validation (a PDF pdf.js cannot open is
 * refused), page count and sizes, per-page text and the metadata title. One request at a
 * time; a request over its time limit, or a worker that dies (out of memory on a hostile
 * PDF), costs only that worker, which is replaced on the next request.
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
  /** Time limit for reading one PDF. Default 60 s. */
  timeoutMs?: number;
  /** Heap limit of the worker thread. Default 1024 MB. */
  maxHeapMb?: number;
  log: Logger;
}

export class PdfInspector {
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

  /** Inspects the PDF at `path`, refusing it with too-many-pages above `maxPages`. */
  inspect(path: string, maxPages: number): Promise<DeckResult<PdfFacts>> {
    const run = this.chain.then(() => this.request(path, maxPages));
    this.chain = run.catch(() => undefined);
    return run;
  }

  /** Starts the worker ahead of the first request (pdf.js takes a second or two to load). */
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
