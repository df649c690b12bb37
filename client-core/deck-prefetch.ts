/**
 * DeckPrefetcher: fetches a whole deck's images ahead of need (the list and hashes of a deck
 * manifest, protocol/deck-prefetch.ts), so a page turn draws bytes already held. Fetches in
 * prefetchOrder with bounded concurrency; every image is checked against its size and sha256
 * before it is held; bytes that fail the check (an edge serving a forged image) are refused and
 * counted, and the image is fetched from the next source, as after a failed fetch. Emits
 * `progress` after every held image and `ready` once, when all are held; `stop()` aborts every
 * fetch (a deck change). Fetching and hashing are injected: the browser passes fetch() and
 * @noble/hashes (no crypto.subtle outside a secure context), Node passes node:crypto.
 */
import { prefetchOrder, type DeckManifest, type PrefetchItem } from "../protocol/deck-prefetch.ts";
import { Emitter } from "./emitter.ts";

export interface PrefetchProgress {
  /** Images held (checked). */
  ready: number;
  /** Images in the list. */
  total: number;
  /** Bytes held. */
  bytes: number;
  /** Answers refused: their bytes did not match the manifest. */
  refused: number;
}

export interface DeckPrefetcherOptions {
  manifest: DeckManifest;
  /** Base URLs tried in order for each image ("" is this origin; no trailing slash needed). */
  sources: string[];
  /** Fetches one URL's bytes; rejects on any failure (HTTP errors included). `limit`: more bytes than this are not wanted. */
  fetchBytes(url: string, signal: AbortSignal, limit: number): Promise<Uint8Array>;
  /** Lowercase hex sha256 of the bytes. */
  sha256hex(bytes: Uint8Array): string | Promise<string>;
  /** The page shown now: it and the next are fetched first. Default 1. */
  current?: number;
  /** Also fetch the thumbnails (those of the current and next pages first). Default false. */
  thumbs?: boolean;
  /** Fetches at once. Default 4. */
  concurrency?: number;
}

export type DeckPrefetcherEvents = {
  progress: [PrefetchProgress];
  ready: [PrefetchProgress];
  /** An image no source gave correctly (the page is then drawn from the network as before). */
  failed: [PrefetchItem];
};

export class DeckPrefetcher extends Emitter<DeckPrefetcherEvents> {
  readonly deck: string;
  readonly width: number;
  readonly #opts: DeckPrefetcherOptions;
  readonly #abort = new AbortController();
  readonly #held = new Map<string, Uint8Array>();
  readonly #waiting = new Map<string, ((b: Uint8Array | null) => void)[]>();
  readonly #sources: string[];
  #queue: PrefetchItem[];
  #progress: PrefetchProgress;
  #started: Promise<void> | null = null;
  #done = false;

  constructor(opts: DeckPrefetcherOptions) {
    super();
    this.#opts = opts;
    this.deck = opts.manifest.deck;
    this.width = opts.manifest.width;
    this.#sources = (opts.sources.length ? opts.sources : [""]).map((s) => s.replace(/\/+$/, ""));
    this.#queue = prefetchOrder(opts.manifest, opts.current ?? 1, opts.thumbs ?? false);
    this.#progress = { ready: 0, total: this.#queue.length, bytes: 0, refused: 0 };
  }

  get progress(): PrefetchProgress {
    return { ...this.#progress };
  }

  get isReady(): boolean {
    return this.#progress.ready === this.#progress.total;
  }

  get stopped(): boolean {
    return this.#abort.signal.aborted;
  }

  /** Starts fetching (once); resolves when every image was tried, or on stop(). */
  start(): Promise<void> {
    this.#started ??= this.#run();
    return this.#started;
  }

  /** Aborts every fetch; held bytes stay readable until the prefetcher is dropped. */
  stop(): void {
    this.#abort.abort();
    this.#finish();
  }

  /** Moves `page` and the next to the front of what is still to fetch (the presenter turned). */
  focus(page: number): void {
    const rank = new Map(prefetchOrder(this.#opts.manifest, page, this.#opts.thumbs ?? false).map((it, i) => [it.url, i]));
    this.#queue.sort((a, b) => rank.get(a.url)! - rank.get(b.url)!);
  }

  /** The checked bytes of a manifest URL (relative, as pageImageUrl builds it), or null. */
  held(url: string): Uint8Array | null {
    return this.#held.get(url) ?? null;
  }

  /** The held bytes of page `page` at this prefetcher's width, or null. */
  page(page: number): Uint8Array | null {
    const e = this.#opts.manifest.pages[page - 1];
    return e ? this.held(e.url) : null;
  }

  /**
   * The bytes of a manifest URL once held: now if they are, else when its fetch ends (null when
   * it is not in this deck's list, failed from every source, or the prefetcher stopped).
   */
  whenHeld(url: string): Promise<Uint8Array | null> {
    const b = this.#held.get(url);
    if (b) return Promise.resolve(b);
    if (this.#done || !this.#inList(url)) return Promise.resolve(null);
    return new Promise((resolve) => {
      const list = this.#waiting.get(url) ?? [];
      list.push(resolve);
      this.#waiting.set(url, list);
    });
  }

  #inList(url: string): boolean {
    const m = this.#opts.manifest;
    return m.pages.some((e) => e.url === url) || ((this.#opts.thumbs ?? false) && m.thumbs.some((e) => e.url === url));
  }

  async #run(): Promise<void> {
    this.emit("progress", this.progress);
    const worker = async () => {
      for (let item = this.#queue.shift(); item && !this.stopped; item = this.#queue.shift()) {
        const bytes = await this.#fetchOne(item);
        if (this.stopped) return;
        if (!bytes) {
          this.#wake(item.url, null);
          this.emit("failed", item);
          continue;
        }
        this.#held.set(item.url, bytes);
        this.#progress.ready++;
        this.#progress.bytes += bytes.length;
        this.#wake(item.url, bytes);
        this.emit("progress", this.progress);
        if (this.isReady) this.emit("ready", this.progress);
      }
    };
    const n = Math.max(1, Math.min(this.#opts.concurrency ?? 4, this.#queue.length));
    await Promise.all(Array.from({ length: n }, worker));
    this.#finish();
  }

  /** The item's bytes from the first source that gives them correctly, or null. */
  async #fetchOne(item: PrefetchItem): Promise<Uint8Array | null> {
    for (const base of this.#sources) {
      if (this.stopped) return null;
      let bytes: Uint8Array;
      try {
        bytes = await this.#opts.fetchBytes(base + item.url, this.#abort.signal, item.bytes);
      } catch {
        continue; // unreachable or an HTTP error: the next source
      }
      if (this.stopped) return null;
      if (bytes.length === item.bytes && (await this.#opts.sha256hex(bytes)) === item.sha256) return bytes;
      this.#progress.refused++;
    }
    return null;
  }

  #wake(url: string, bytes: Uint8Array | null): void {
    const list = this.#waiting.get(url);
    this.#waiting.delete(url);
    for (const resolve of list ?? []) resolve(bytes);
  }

  #finish(): void {
    this.#done = true;
    for (const url of [...this.#waiting.keys()]) this.#wake(url, this.#held.get(url) ?? null);
  }
}
