// web-client/src/render/page-images.ts: a held page image is decoded from one Blob however often
// it comes back into the decoded cache (making a Blob copies the bytes into the browser's blob
// store: it was 35 % of a follower's main-thread time per turn when made at every decode).
// createImageBitmap is the browser's; here it records what it was given.
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { pageImageUrl } from "../../protocol/deck-urls.ts";
import { pageImages, readyBlob, setHeldPageBytes } from "../../web-client/src/render/page-images.ts";

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
  setHeldPageBytes(
    (url) => bytesOf.get(url) ?? null,
    async () => null,
  );
});
afterEach(() => vi.unstubAllGlobals());

describe("page images from held bytes", () => {
  it("decodes a page that was evicted and asked for again from the same Blob, with its bytes", async () => {
    await pageImages.load(DECK, 1, WIDTH);
    // More pages than the decoded cache keeps (14): page 1 is evicted and decoded again.
    for (let p = 2; p <= 20; p++) await pageImages.load(DECK, p, WIDTH);
    await pageImages.load(DECK, 1, WIDTH);
    expect(decoded).toHaveLength(21);
    expect(decoded[20]).toBe(decoded[0]);
    expect(decoded[0]!.type).toBe("image/jpeg");
    expect(new Uint8Array(await decoded[0]!.arrayBuffer())).toEqual(bytesOf.get(pageImageUrl(DECK, 1, WIDTH)));
  });

  it("uses the Blob readyBlob made when the bytes arrived", async () => {
    const bytes = new TextEncoder().encode("jpeg of a new page");
    const url = pageImageUrl(DECK, 30, WIDTH);
    bytesOf.set(url, bytes);
    const made: Blob[] = [];
    const RealBlob = Blob;
    vi.stubGlobal(
      "Blob",
      class extends RealBlob {
        constructor(...a: ConstructorParameters<typeof Blob>) {
          super(...a);
          made.push(this);
        }
      },
    );
    readyBlob(bytes);
    await new Promise((r) => setTimeout(r, 5)); // no requestIdleCallback in Node: a timer
    expect(made).toHaveLength(1);
    await pageImages.load(DECK, 30, WIDTH);
    expect(made).toHaveLength(1);
    expect(decoded.at(-1)).toBe(made[0]);
  });
});
