/**
 * The web client's deck prefetch: when a meeting shows a deck, its manifest at the stage's
 * width (protocol/deck-prefetch.ts) is fetched — from the central server when this page came
 * from an edge (ClientConfig.edge: an edge cannot forge hashes it did not write), else from
 * this origin — and client-core's DeckPrefetcher fetches every page image and thumbnail (the
 * current and next pages' thumbnails first; from this origin first, then the central server),
 * checked by sha256 (@noble/hashes: crypto.subtle is missing
 * outside a secure context). render/page-images.ts draws from the held bytes, so once the deck
 * is ready a turn never waits for the network. Bytes are held for one deck (and the previous
 * one while a new deck is being fetched); a new deck or width aborts the old job.
 */
import { sha256 } from "@noble/hashes/sha2.js";
import { bytesToHex } from "@noble/hashes/utils.js";
import { DeckPrefetcher, type PrefetchProgress } from "../../../client-core/deck-prefetch.ts";
import { Emitter } from "../../../client-core/emitter.ts";
import { deckManifestUrl, readDeckManifest, type DeckManifest } from "../../../protocol/deck-prefetch.ts";
import { snapWidth } from "../../../protocol/deck-urls.ts";
import { setHeldPageBytes, setPageImageFallback, takeFetchedBytes } from "../render/page-images.ts";

/** What the meeting view shows: "Deck 12/30 offline…", then "Deck ready offline". */
export interface DeckPrefetchStatus extends PrefetchProgress {
  deck: string;
  done: boolean;
}

/** How long one image or manifest fetch may take. */
const FETCH_TIMEOUT_MS = 30_000;

/** Fetches a URL's bytes; refuses HTTP errors and answers larger than `limit`. */
export async function fetchBytes(url: string, signal: AbortSignal, limit: number): Promise<Uint8Array> {
  // The stage may have fetched it already (before the manifest came): checked by the prefetcher all the same.
  const had = takeFetchedBytes(url);
  if (had && had.length <= limit) return had;
  // A source that hangs gives up its place after FETCH_TIMEOUT_MS: the next source is tried.
  const res = await fetch(url, { signal: AbortSignal.any([signal, AbortSignal.timeout(FETCH_TIMEOUT_MS)]) });
  if (!res.ok) throw new Error(`HTTP ${res.status}`);
  const size = Number(res.headers.get("content-length") ?? "0");
  if (size > limit) throw new Error("larger than the manifest says");
  const bytes = new Uint8Array(await res.arrayBuffer());
  if (bytes.length > limit) throw new Error("larger than the manifest says");
  return bytes;
}

const sha256hex = (bytes: Uint8Array): string => bytesToHex(sha256(bytes));

export class DeckPrefetch extends Emitter<{ change: [DeckPrefetchStatus | null] }> {
  #key = "";
  #manifestAbort: AbortController | null = null;
  #current: DeckPrefetcher | null = null;
  #previous: DeckPrefetcher | null = null;
  #status: DeckPrefetchStatus | null = null;
  #page = 1;

  get status(): DeckPrefetchStatus | null {
    return this.#status;
  }

  /** The held bytes of a page image URL (this deck's, or the previous one's while switching). */
  held(url: string): Uint8Array | null {
    return this.#current?.held(url) ?? this.#previous?.held(url) ?? null;
  }

  /** The bytes of a URL on this deck's list once its fetch ends (null at once when it is not on it). */
  coming(url: string): Promise<Uint8Array | null> {
    return this.#current?.whenHeld(url) ?? Promise.resolve(null);
  }

  /**
   * The deck shown, at the stage's width in device pixels, with its current page; `upstream` is
   * ClientConfig.edge?.upstream (null on the central server). A null deck stops everything.
   */
  want(deck: string | null, width: number, page: number, upstream: string | null): void {
    this.#page = page;
    setPageImageFallback(upstream);
    const w = snapWidth(width);
    const key = deck ? `${deck}/${w}/${upstream ?? ""}` : "";
    if (key === this.#key) {
      this.#current?.focus(page);
      return;
    }
    this.#key = key;
    this.#manifestAbort?.abort();
    this.#manifestAbort = null;
    if (this.#current) {
      this.#current.stop();
      // Keep the bytes of the deck being left only until the new one is ready (or its own were not whole).
      if (this.#current.isReady || !this.#previous) this.#previous = this.#current;
      this.#current = null;
    }
    this.#setStatus(null);
    if (!deck) {
      this.#previous = null;
      return;
    }
    void this.#start(deck, w, upstream, key);
  }

  /** The page shown changed: it and the next are fetched before the rest. */
  focus(page: number): void {
    this.#page = page;
    this.#current?.focus(page);
  }

  async #start(deck: string, width: number, upstream: string | null, key: string): Promise<void> {
    const abort = (this.#manifestAbort = new AbortController());
    const base = upstream ?? "";
    let manifest: DeckManifest;
    try {
      const res = await fetch(base + deckManifestUrl(deck, width), { signal: AbortSignal.any([abort.signal, AbortSignal.timeout(FETCH_TIMEOUT_MS)]) });
      if (!res.ok) throw new Error(`HTTP ${res.status}`);
      const read = readDeckManifest(await res.json(), { deck, width });
      if (!read.ok) throw new Error(read.error.message);
      manifest = read.value;
    } catch (err) {
      if (this.#key === key) console.warn("deck prefetch: no manifest", (err as Error).message);
      return;
    }
    if (this.#key !== key) return;
    this.#manifestAbort = null;
    // Thumbnails too: the current and next pages' small ones first (something to show at once), the strip's offline as well.
    const p = new DeckPrefetcher({ manifest, sources: upstream ? ["", upstream] : [""], fetchBytes, sha256hex, current: this.#page, thumbs: true });
    this.#current = p;
    p.on("progress", (pr) => this.#current === p && this.#setStatus({ ...pr, deck, done: false }));
    p.on("ready", (pr) => {
      if (this.#current !== p) return;
      this.#previous = null;
      this.#setStatus({ ...pr, deck, done: true });
    });
    void p.start();
  }

  #setStatus(s: DeckPrefetchStatus | null): void {
    this.#status = s;
    this.emit("change", s);
  }
}

/** The one prefetch of this page: the meeting view drives it, page-images reads from it. */
export const deckPrefetch = new DeckPrefetch();
setHeldPageBytes(
  (url) => deckPrefetch.held(url),
  (url) => deckPrefetch.coming(url),
);
