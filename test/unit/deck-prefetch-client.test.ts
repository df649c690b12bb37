// client-core's DeckPrefetcher with injected fetch (a table of what each source serves) and real
// sha256 (node:crypto): bounded concurrency, the fetch order, bytes that do not match the manifest
// refused and fetched from the next source, failures tried elsewhere, stop() aborting.
import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { DeckPrefetcher, type PrefetchProgress } from "../../client-core/deck-prefetch.ts";
import type { DeckManifest } from "../../protocol/deck-prefetch.ts";
import { pageImageUrl, thumbUrl } from "../../protocol/deck-urls.ts";

const DECK = "ab".repeat(32);
const sha256hex = (b: Uint8Array) => createHash("sha256").update(b).digest("hex");
const imageOf = (url: string) => new TextEncoder().encode(`jpeg bytes of ${url}`);

function manifest(pages: number): DeckManifest {
  const list = (url: (p: number) => string) =>
    Array.from({ length: pages }, (_, i) => {
      const u = url(i + 1);
      return { page: i + 1, url: u, sha256: sha256hex(imageOf(u)), bytes: imageOf(u).length };
    });
  return { v: 1, deck: DECK, width: 1280, pages: list((p) => pageImageUrl(DECK, p, 1280)), thumbs: list((p) => thumbUrl(DECK, p)) };
}

/** Sources by base URL: each maps a relative URL to its bytes, or throws. */
function serve(sources: Record<string, (url: string) => Uint8Array>) {
  const asked: string[] = [];
  let inFlight = 0;
  let maxInFlight = 0;
  const gates: (() => void)[] = [];
  let hold = false;
  const fetchBytes = async (url: string, signal: AbortSignal): Promise<Uint8Array> => {
    asked.push(url);
    inFlight++;
    maxInFlight = Math.max(maxInFlight, inFlight);
    try {
      await new Promise<void>((resolve, reject) => {
        const go = () => (signal.aborted ? reject(new Error("aborted")) : resolve());
        signal.addEventListener("abort", () => reject(new Error("aborted")), { once: true });
        if (hold) gates.push(go);
        else queueMicrotask(go);
      });
      const base = Object.keys(sources).find((b) => b !== "" && url.startsWith(b)) ?? "";
      return sources[base]!(url.slice(base.length));
    } finally {
      inFlight--;
    }
  };
  return {
    fetchBytes, asked,
    get maxInFlight() { return maxInFlight; },
    hold() { hold = true; },
    release() { hold = false; for (const g of gates.splice(0)) g(); },
    pending: () => gates.length,
  };
}

describe("DeckPrefetcher", () => {
  it("holds every page, checked, fetching at most 4 at once, current and next first", async () => {
    const m = manifest(10);
    const net = serve({ "": imageOf });
    const p = new DeckPrefetcher({ manifest: m, sources: [""], fetchBytes: net.fetchBytes, sha256hex, current: 5 });
    const ready: PrefetchProgress[] = [];
    const progress: PrefetchProgress[] = [];
    p.on("ready", (r) => ready.push(r));
    p.on("progress", (r) => progress.push(r));
    await p.start();
    expect(ready).toEqual([{ ready: 10, total: 10, bytes: m.pages.reduce((n, e) => n + e.bytes, 0), refused: 0 }]);
    expect(progress.map((r) => r.ready)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(net.maxInFlight).toBe(4);
    expect(net.asked.slice(0, 2)).toEqual([m.pages[4]!.url, m.pages[5]!.url]);
    for (const e of m.pages) expect(p.page(e.page)).toEqual(imageOf(e.url));
    expect(p.isReady).toBe(true);
  });

  it("refuses a forged byte and takes the image from the next source", async () => {
    const m = manifest(3);
    const forged = m.pages[1]!.url;
    const net = serve({
      "": (url) => {
        const b = imageOf(url);
        if (url === forged) b[3]! ^= 1; // one byte changed, same length
        return b;
      },
      "http://cloud.example": imageOf,
    });
    const p = new DeckPrefetcher({ manifest: m, sources: ["", "http://cloud.example/"], fetchBytes: net.fetchBytes, sha256hex });
    let ready: PrefetchProgress | null = null;
    p.on("ready", (r) => (ready = r));
    await p.start();
    expect(ready).toMatchObject({ ready: 3, total: 3, refused: 1 });
    expect(p.page(2)).toEqual(imageOf(forged));
    expect(net.asked.filter((u) => u.endsWith(forged))).toEqual([forged, `http://cloud.example${forged}`]);
  });

  it("refuses bytes of another size without hashing them, and tries the next source after a failure", async () => {
    const m = manifest(2);
    const net = serve({
      "": (url) => {
        if (url === m.pages[0]!.url) throw new Error("HTTP 502");
        return new Uint8Array([...imageOf(url), 0]);
      },
      "http://cloud.example": imageOf,
    });
    const p = new DeckPrefetcher({ manifest: m, sources: ["", "http://cloud.example"], fetchBytes: net.fetchBytes, sha256hex });
    await p.start();
    expect(p.progress).toMatchObject({ ready: 2, refused: 1 });
    expect(p.page(1)).toEqual(imageOf(m.pages[0]!.url));
  });

  it("reports an image no source gives correctly, and is then not ready", async () => {
    const m = manifest(2);
    const net = serve({ "": (url) => (url === m.pages[1]!.url ? new TextEncoder().encode("x".repeat(m.pages[1]!.bytes)) : imageOf(url)) });
    const p = new DeckPrefetcher({ manifest: m, sources: [""], fetchBytes: net.fetchBytes, sha256hex });
    const failed: number[] = [];
    let ready = false;
    p.on("failed", (it) => failed.push(it.page));
    p.on("ready", () => (ready = true));
    const waiting = p.whenHeld(m.pages[1]!.url);
    await p.start();
    expect(failed).toEqual([2]);
    expect(ready).toBe(false);
    expect(p.progress).toMatchObject({ ready: 1, total: 2, refused: 1 });
    expect(await waiting).toBeNull();
    expect(await p.whenHeld(m.pages[0]!.url)).toEqual(imageOf(m.pages[0]!.url));
  });

  it("stop() aborts the fetches in flight and never reports ready", async () => {
    const m = manifest(8);
    const net = serve({ "": imageOf });
    net.hold();
    const p = new DeckPrefetcher({ manifest: m, sources: [""], fetchBytes: net.fetchBytes, sha256hex, concurrency: 2 });
    let ready = false;
    p.on("ready", () => (ready = true));
    const done = p.start();
    await Promise.resolve();
    expect(net.pending()).toBe(2);
    const waiting = p.whenHeld(m.pages[7]!.url);
    p.stop();
    await done;
    net.release();
    expect(await waiting).toBeNull();
    expect(ready).toBe(false);
    expect(p.progress.ready).toBe(0);
    expect(net.asked).toHaveLength(2);
  });

  it("focus() moves a page the presenter turned to ahead of the rest", async () => {
    const m = manifest(10);
    const net = serve({ "": imageOf });
    net.hold();
    const p = new DeckPrefetcher({ manifest: m, sources: [""], fetchBytes: net.fetchBytes, sha256hex, concurrency: 1 });
    const done = p.start();
    await Promise.resolve();
    p.focus(9);
    net.release();
    await Promise.resolve();
    await done;
    expect(net.asked.slice(0, 3)).toEqual([m.pages[0]!.url, m.pages[8]!.url, m.pages[9]!.url]);
  });

  it("with thumbs, fetches the current and next thumbs first", async () => {
    const m = manifest(3);
    const net = serve({ "": imageOf });
    const p = new DeckPrefetcher({ manifest: m, sources: [""], fetchBytes: net.fetchBytes, sha256hex, thumbs: true, concurrency: 1 });
    await p.start();
    expect(net.asked.slice(0, 2)).toEqual([m.thumbs[0]!.url, m.thumbs[1]!.url]);
    expect(p.progress).toMatchObject({ ready: 6, total: 6 });
    expect(p.held(m.thumbs[2]!.url)).toEqual(imageOf(m.thumbs[2]!.url));
  });
});
