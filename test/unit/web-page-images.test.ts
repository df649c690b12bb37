// web-client/src/render/page-images.ts: a held page image is decoded from its held bytes, never
// fetched again, however often it comes back into the decoded cache. With no decoder set (the web
// client sets its worker's: web-image-decoder.test.ts, and deck-prefetch.test.ts in Chromium) it
// decodes with createImageBitmap, the browser's, stubbed here to record what it was given.
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { pageImageUrl } from "../../protocol/deck-urls.ts";
import { pageImages, setHeldPageBytes } from "../../web-client/src/render/page-images.ts";

const DECK = "cd".repeat(32);
const WIDTH = 1280;
const bytesOf = new Map<string, Uint8Array>();
for (let p = 1; p <= 20; p++) bytesOf.set(pageImageUrl(DECK, p, WIDTH), new TextEncoder().encode(`jpeg of page ${p}`));

let decoded: Blob[] = [];

beforeEach(() => {
  decoded = [];
  vi.stubGlobal("createImageBitmap", async (b: Blob) => {
    decoded.push(b);
    return { width: WIDTH, height: 720, close() {} };
  });
  vi.stubGlobal("fetch", () => Promise.reject(new Error("held pages must not be fetched")));
  setHeldPageBytes(
    (url) => bytesOf.get(url) ?? null,
    async () => null,
  );
});
afterEach(() => vi.unstubAllGlobals());

describe("page images from held bytes", () => {
  it("decodes a page that was evicted and asked for again from its held bytes, with no fetch", async () => {
    await pageImages.load(DECK, 1, WIDTH);
    // More pages than the decoded cache keeps (14): page 1 is evicted and decoded again.
    for (let p = 2; p <= 20; p++) await pageImages.load(DECK, p, WIDTH);
    await pageImages.load(DECK, 1, WIDTH);
    expect(decoded).toHaveLength(21);
    for (const [i, page] of [[0, 1], [19, 20], [20, 1]] as const) {
      expect(decoded[i]!.type).toBe("image/jpeg");
      expect(new Uint8Array(await decoded[i]!.arrayBuffer())).toEqual(bytesOf.get(pageImageUrl(DECK, page, WIDTH)));
    }
  });
});
