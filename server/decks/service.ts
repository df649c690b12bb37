/**
 * DeckService: the deck pipeline behind both the HTTP upload path and the CLI.
 * Content-addressed: a source whose sha256 is already stored is ready at once, and one
 * being converted right now is joined, never converted twice.
 */
import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { copyFile, mkdir, rename, rm, stat } from "node:fs/promises";
import { dirname, join } from "node:path";
import type { Logger } from "pino";
import { snapWidth } from "../../protocol/deck-urls.ts";
import { DECK_DEFAULTS } from "../config.ts";
import { fail, ok, type DeckResult } from "./errors.ts";
import { ConverterPool } from "./convert/pool.ts";
import { PdfInspector } from "./pdf/inspector.ts";
import { renderPage } from "./pdf/render.ts";
import { buildDeck } from "./pipeline.ts";
import { sniff } from "./sniff/sniff.ts";
import type { ZipLimits } from "./sniff/zip.ts";
import { DeckStore } from "./store.ts";
import { SOURCE_EXT, type DeckRecord } from "./types.ts";

export interface DeckServiceOptions {
  dataDir: string;
  /** Largest source accepted. Default 100 MB. */
  maxUploadBytes?: number;
  /** Most pages a deck may have. Default 500. */
  maxPages?: number;
  /** LibreOffice time limit per conversion. Default 120 s. */
  convertTimeoutMs?: number;
  /** LibreOffice workers (parallel conversions). Default 2. */
  workers?: number;
  zipLimits?: ZipLimits;
  /** PowerPoint decks with at least this many visible slides convert on all idle workers at once. Default 8. */
  splitFromSlides?: number;
  /** Start LibreOffice only when a file needs it (the CLI). Default false: the server keeps it warm. */
  lazyOffice?: boolean;
  /**
   * With lazyOffice: start pdf.js too only when a file needs reading (a video export, which
   * only renders pages: pdf.js's thread holds ~200 MB). Default false: the CLI warms it.
   */
  lazyPdf?: boolean;
  log: Logger;
}

export interface IngestOptions {
  /** The uploader's file name: used for the title of last resort, never for the type. */
  name?: string;
  /** sha256 of the file when the caller already computed it (while streaming an upload). */
  sha256?: string;
  /** Move the file into the store instead of copying it (the caller's file is gone afterwards). */
  move?: boolean;
  /** Called with 0..100 while a conversion runs; not called on a cache hit. */
  onProgress?: (progress: number) => void;
  /** Overrides the LibreOffice time limit for this file. */
  timeoutMs?: number;
}

/** Page image widths and their snapping are the wire's (protocol/deck-urls.ts): they bound the image cache. */
export { IMAGE_WIDTHS, snapWidth } from "../../protocol/deck-urls.ts";

/** The answer to a conversion or page image asked for once the service is stopping. */
const STOPPING = "The server is shutting down; try again in a moment.";

export class DeckService {
  readonly store: DeckStore;
  readonly maxUploadBytes: number;
  readonly maxPages: number;
  private readonly pool: ConverterPool;
  private readonly inspector: PdfInspector;
  private readonly inflight = new Map<string, Promise<DeckResult<DeckRecord>>>();
  private readonly renders = new Map<string, Promise<void>>();
  /** Set by stop(): no conversion or render starts after it, so none can write once it has resolved. */
  private stopping = false;
  private readonly log: Logger;
  private readonly ready: Promise<void>;
  private warmed: Promise<void> | null = null;
  private readonly zipLimits: ZipLimits | undefined;
  private readonly splitFromSlides: number;

  constructor(opts: DeckServiceOptions) {
    this.log = opts.log.child({ part: "decks" });
    this.maxUploadBytes = opts.maxUploadBytes ?? DECK_DEFAULTS.maxUploadBytes;
    this.maxPages = opts.maxPages ?? DECK_DEFAULTS.maxPages;
    this.zipLimits = opts.zipLimits;
    this.splitFromSlides = opts.splitFromSlides ?? 8;
    this.store = new DeckStore(opts.dataDir);
    this.ready = this.store.init();
    const workers = opts.workers ?? DECK_DEFAULTS.workers;
    this.pool = new ConverterPool({ workers, timeoutMs: opts.convertTimeoutMs ?? DECK_DEFAULTS.convertTimeoutMs, lazy: opts.lazyOffice, log: opts.log });
    // One pdf.js thread per LibreOffice worker: a deck converted in parts is read part by part side by side.
    this.inspector = new PdfInspector({ threads: workers, log: this.log });
    // A server warms everything up at once; the CLI (lazy) only starts the PDF reader, the export not even that.
    const warming = opts.lazyOffice ? (opts.lazyPdf ? Promise.resolve() : this.inspector.warm()) : this.started();
    warming.catch((err: Error) => this.log.warn({ err: err.message }, "warm-up failed; the first deck will be slower"));
  }

  /**
   * Resolves once the store exists, LibreOffice is warm and pdf.js has read a deck LibreOffice
   * made, so the first upload is as fast as the hundredth. Ingesting does not need to wait for it.
   */
  /** The LibreOffice pool's state, for /healthz. */
  health(): ReturnType<ConverterPool["health"]> {
    return this.pool.health();
  }

  started(): Promise<void> {
    this.warmed ??= (async () => {
      await this.ready;
      await this.pool.ready();
      await this.inspector.warm(this.pool.samplePdf());
    })();
    return this.warmed;
  }

  /** Type check, conversion, validation and storage of one file; errors are values. */
  async ingest(filePath: string, opts: IngestOptions = {}): Promise<DeckResult<DeckRecord>> {
    if (this.stopping) return fail("internal", STOPPING);
    await this.ready;
    const id = opts.sha256 ?? (await sha256File(filePath));
    const known = this.store.get(id);
    const joined = known ? null : this.inflight.get(id);
    if (known || joined) {
      if (opts.move) await rm(filePath, { force: true });
      this.log.info({ deck: id, cached: !!known }, known ? "deck cache hit" : "joining conversion in progress");
      return known ? ok(known) : joined!;
    }
    if (this.stopping) return fail("internal", STOPPING);
    const job = this.build(id, filePath, opts).finally(() => this.inflight.delete(id));
    this.inflight.set(id, job);
    return job;
  }

  get(id: string): DeckRecord | null {
    return this.store.get(id);
  }

  has(id: string): boolean {
    return this.store.has(id);
  }

  pdfPath(id: string): string {
    return this.store.pdfPath(id);
  }

  /** Path of page `page` rendered `width` px wide (snapped), rendering it on first use. */
  async pageImage(id: string, page: number, width: number): Promise<DeckResult<string>> {
    const record = this.store.get(id);
    if (!record) return fail("unknown-deck");
    if (!Number.isInteger(page) || page < 1 || page > record.pages) {
      return fail("bad-request", `The deck has pages 1 to ${record.pages}.`);
    }
    const w = snapWidth(width);
    const path = this.store.imagePath(id, w, page);
    if (await stat(path).then(() => true, () => false)) return ok(path);
    let render = this.renders.get(path);
    if (!render) {
      // Checked after the awaits, right where a render would start: stop() waits only for those it can see.
      if (this.stopping) return fail("internal", STOPPING);
      render = mkdir(dirname(path), { recursive: true })
        .then(() => renderPage(this.store.pdfPath(id), page, w, path))
        .finally(() => this.renders.delete(path));
      this.renders.set(path, render);
    }
    try {
      await render;
    } catch (err) {
      this.log.error({ deck: id, page, width: w, err: (err as Error).message }, "page image failed");
      return fail("internal", "The page image could not be made.");
    }
    return ok(path);
  }

  /**
   * Refuses new conversions and renders, stops LibreOffice, and resolves once every conversion
   * and render already started has settled: nothing writes into the data dir after that (a page
   * image asked for as the server stopped once landed while its data dir was being removed).
   */
  async stop(): Promise<void> {
    this.stopping = true;
    await this.pool.stop();
    while (this.inflight.size > 0 || this.renders.size > 0) await Promise.allSettled([...this.inflight.values(), ...this.renders.values()]);
    await this.inspector.stop();
  }

  private async build(id: string, filePath: string, opts: IngestOptions): Promise<DeckResult<DeckRecord>> {
    const t0 = Date.now();
    const result = await this.buildInStage(id, filePath, opts);
    if (result.ok) {
      this.log.info({ deck: id, type: result.value.sourceType, pages: result.value.pages, ms: Date.now() - t0 }, "deck ready");
    } else {
      this.log.info({ deck: id, code: result.error.code, reason: result.error.message, ms: Date.now() - t0 }, "deck refused");
    }
    return result;
  }

  private async buildInStage(id: string, filePath: string, opts: IngestOptions): Promise<DeckResult<DeckRecord>> {
    let stageDir: string | null = null;
    try {
      const sniffed = await sniff(filePath, { maxBytes: this.maxUploadBytes, maxPages: this.maxPages, zip: this.zipLimits });
      if (!sniffed.ok) return sniffed;
      opts.onProgress?.(0);
      stageDir = await this.store.stage();
      const source = join(stageDir, `source.${SOURCE_EXT[sniffed.value.type]}`);
      await (opts.move ? moveFile(filePath, source) : copyFile(filePath, source));
      const built = await buildDeck(
        { pool: this.pool, inspector: this.inspector, maxPages: this.maxPages, splitFromSlides: this.splitFromSlides, log: this.log },
        { id, source, sniffed: sniffed.value, stageDir, name: opts.name, timeoutMs: opts.timeoutMs, onProgress: opts.onProgress },
      );
      if (!built.ok) return built;
      await this.store.commit(stageDir, built.value);
      stageDir = null;
      return built;
    } catch (err) {
      this.log.error({ deck: id, err: (err as Error).message }, "deck pipeline failed");
      return fail("internal", `The deck could not be stored: ${(err as Error).message}`);
    } finally {
      if (stageDir) await this.store.discard(stageDir);
      if (opts.move) await rm(filePath, { force: true });
    }
  }
}

/** sha256 of a file, lowercase hex. */
export function sha256File(path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const hash = createHash("sha256");
    createReadStream(path)
      .on("data", (d) => hash.update(d))
      .on("end", () => resolve(hash.digest("hex")))
      .on("error", reject);
  });
}

async function moveFile(from: string, to: string): Promise<void> {
  try {
    await rename(from, to);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "EXDEV") throw err;
    await copyFile(from, to);
  }
}
