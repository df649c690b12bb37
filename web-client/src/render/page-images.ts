/**
 * Page images from the server (GET /decks/<id>/pages/<n>.jpg?w=…), fetched and decoded
 * ahead of need so a page turn only has to draw an ImageBitmap that is already decoded.
 *
 * Why images and not pdf.js in the browser: the server renders each page once per width
 * (pdftoppm, cached, immutable URLs) and every follower after that pays one JPEG decode,
 * off the main thread (createImageBitmap). Ten followers in one browser, or a weak phone,
 * would otherwise each parse the PDF and rasterise vector pages on their own CPU, and a
 * turn would cost a render instead of a draw. Crispness comes from asking for the stage's
 * width in device pixels (snapped up to the server's widths, so caches are shared). The web
 * client decodes in a worker (render/image-decoder.ts, set by main.ts), so the page's main
 * thread stays free for the turn.
 * The widths and URLs are the wire's: protocol/deck-urls.ts, which the server's routes read.
 * Bytes the deck prefetcher already holds (app/deck-prefetch.ts, checked against the deck's
 * manifest) are decoded without asking the network: once a deck is ready offline, no turn waits.
 */
import { pageImageUrl, thumbUrl } from "../../../protocol/deck-urls.ts";

export { IMAGE_WIDTHS, pageImageUrl, snapWidth, thumbUrl } from "../../../protocol/deck-urls.ts";

/** Where page images come from: the server's deck routes (default), or the offline replay's files beside it. */
export interface PageImageSource {
  url(deck: string, page: number, width: number): string;
  load(url: string): Promise<ImageBitmap>;
}

let source: PageImageSource = { url: pageImageUrl, load: (url) => fetchBitmap(url) };

/** The checked bytes held for a page image URL (the deck prefetcher), or null. */
let heldBytes: (url: string) => Uint8Array | null = () => null;
/** The same once the prefetcher's fetch of it ends, when it is on the prefetcher's list (null: not, or it failed). */
let comingBytes: (url: string) => Promise<Uint8Array | null> = () => Promise.resolve(null);

/**
 * Where fetchBitmap and thumbSrc look first (app/deck-prefetch.ts sets them): a page the
 * prefetcher is fetching is waited for, not fetched a second time.
 */
export function setHeldPageBytes(held: (url: string) => Uint8Array | null, coming: (url: string) => Promise<Uint8Array | null>): void {
  heldBytes = held;
  comingBytes = coming;
}

/** Replaces where page images come from (the offline replay.html: files, read without fetch()). */
export function setPageImageSource(s: PageImageSource): void {
  source = s;
}

/** A page image's or thumbnail's bytes as a Blob (what createImageBitmap and object URLs take). */
function jpegBlob(bytes: Uint8Array): Blob {
  return new Blob([bytes as Uint8Array<ArrayBuffer>], { type: "image/jpeg" });
}

/** Decodes JPEG bytes on the thread that asks (the default, and the worker decoder's fallback). */
export function decodeOnThisThread(bytes: Uint8Array): Promise<ImageBitmap> {
  return createImageBitmap(jpegBlob(bytes));
}

/** How JPEG bytes become a bitmap: here, unless a decoder off the main thread is set. */
let decode: (bytes: Uint8Array) => Promise<ImageBitmap> = decodeOnThisThread;

/** Sets how page images are decoded (the web client's worker: render/image-decoder.ts). */
export function setPageImageDecoder(d: (bytes: Uint8Array) => Promise<ImageBitmap>): void {
  decode = d;
}

/** Decoded bitmaps kept (a 1920 px page is ~8 MB decoded). */
const KEEP = 14;

interface Entry {
  promise: Promise<ImageBitmap>;
  bitmap: ImageBitmap | null;
  used: number;
}

class PageImageCache {
  #entries = new Map<string, Entry>();
  #tick = 0;

  /** The decoded image if it is ready now, else null (and it starts loading). */
  peek(deck: string, page: number, width: number): ImageBitmap | null {
    return this.#entry(deck, page, width).bitmap;
  }

  /** Any decoded width of the page, widest first (a stand-in while the right one loads). */
  anyReady(deck: string, page: number): ImageBitmap | null {
    let best: ImageBitmap | null = null;
    for (const [key, e] of this.#entries) {
      if (e.bitmap && key.startsWith(`${deck}/${page}/`) && (!best || e.bitmap.width > best.width)) best = e.bitmap;
    }
    return best;
  }

  load(deck: string, page: number, width: number): Promise<ImageBitmap> {
    return this.#entry(deck, page, width).promise;
  }

  /** Starts loading pages around `page` (the next one first: turns go forward most). */
  prefetch(deck: string, page: number, pages: number, width: number, radius = 2): void {
    for (let d = 1; d <= radius; d++) {
      for (const p of [page + d, page - d]) if (p >= 1 && p <= pages) this.#entry(deck, p, width).promise.catch(() => undefined);
    }
  }

  #entry(deck: string, page: number, width: number): Entry {
    const key = `${deck}/${page}/${width}`;
    let e = this.#entries.get(key);
    if (!e) {
      const entry: Entry = { bitmap: null, used: ++this.#tick, promise: null as unknown as Promise<ImageBitmap> };
      entry.promise = source.load(source.url(deck, page, width)).then(
        (bitmap) => {
          entry.bitmap = bitmap;
          return bitmap;
        },
        (err: unknown) => {
          this.#entries.delete(key); // let a later attempt retry
          throw err;
        },
      );
      this.#entries.set(key, entry);
      this.#evict(); // the new entry is the most recently used: never the one evicted
      return entry;
    }
    e.used = ++this.#tick;
    return e;
  }

  #evict() {
    if (this.#entries.size <= KEEP) return;
    const oldest = [...this.#entries.entries()].sort((a, b) => a[1].used - b[1].used).slice(0, this.#entries.size - KEEP);
    for (const [key, e] of oldest) {
      this.#entries.delete(key);
      e.bitmap?.close();
    }
  }
}

async function fetchBitmap(url: string): Promise<ImageBitmap> {
  const held = heldBytes(url) ?? (await comingBytes(url));
  if (held) return decode(held);
  // A page from an edge: when the edge does not answer, the central server's copy (the same URL there).
  const res = await fetch(url).then(
    (r) => (r.ok || !fallbackBase ? r : fetch(fallbackBase + url)),
    (err: unknown) => (fallbackBase ? fetch(fallbackBase + url) : Promise.reject(err)),
  );
  if (!res.ok) throw new Error(`page image: HTTP ${res.status}`);
  const bytes = new Uint8Array(await res.arrayBuffer());
  // Fetched before the deck's prefetch began (a join, a new deck): kept for it to check, not fetched again.
  recent.set(url, bytes);
  if (recent.size > RECENT) recent.delete(recent.keys().next().value!);
  return decode(bytes);
}

/** The central server's base when this page came from an edge (ClientConfig.edge.upstream), else "". */
let fallbackBase = "";

/** Where page images come from when this origin (an edge) does not answer. */
export function setPageImageFallback(base: string | null): void {
  fallbackBase = base ?? "";
}

/** Page images fetched from the network, kept until the deck prefetcher takes them (the last few). */
const recent = new Map<string, Uint8Array<ArrayBuffer>>();
const RECENT = 8;

/** The bytes of `url` this module fetched itself, once (the prefetcher checks their hash like any source's). */
export function takeFetchedBytes(url: string): Uint8Array | null {
  const b = recent.get(url) ?? null;
  recent.delete(url);
  return b;
}

/** Object URLs of held thumbnails, for one deck at a time (revoked when another deck's is asked for). */
const thumbSrcs = { deck: "", urls: new Map<string, string>() };

/**
 * Where a thumbnail's <img> loads from: its held, checked bytes (a blob: URL, so the strip
 * works with the network gone) once the deck prefetcher has them, else the server.
 */
export function thumbSrc(deck: string, page: number): string {
  const url = thumbUrl(deck, page);
  if (thumbSrcs.deck !== deck) {
    for (const u of thumbSrcs.urls.values()) URL.revokeObjectURL(u);
    thumbSrcs.urls.clear();
    thumbSrcs.deck = deck;
  }
  const have = thumbSrcs.urls.get(url);
  if (have) return have;
  const held = heldBytes(url);
  if (!held) return url;
  const src = URL.createObjectURL(jpegBlob(held));
  thumbSrcs.urls.set(url, src);
  return src;
}

/** One cache per page: every stage and the prefetcher share decoded pages. */
export const pageImages = new PageImageCache();
