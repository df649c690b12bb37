// web-client/src/render/image-decoder.ts: page images are decoded by a worker, its answers are
// matched to their requests by id (they may come back in any order), a decode error is that
// image's alone, and a worker that dies hands what it was given back to the main thread. The
// Worker here is a stand-in that holds its messages until the test answers them; the real
// worker (image-decode-worker.ts) runs in Chromium in deck-prefetch.test.ts.
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";

interface Posted {
  id: number;
  bytes: Uint8Array;
}

class HeldWorker {
  static made: HeldWorker[] = [];
  posted: Posted[] = [];
  terminated = false;
  onmessage: ((e: { data: unknown }) => void) | null = null;
  onerror: ((e: { preventDefault(): void }) => void) | null = null;
  constructor(readonly url: URL) {
    HeldWorker.made.push(this);
  }
  postMessage(m: Posted) {
    this.posted.push({ id: m.id, bytes: m.bytes.slice() });
  }
  terminate() {
    this.terminated = true;
  }
  answer(id: number, data: Record<string, unknown>) {
    this.onmessage?.({ data: { id, ...data } });
  }
}

const bitmap = (name: string) => ({ name, width: 1, height: 1, close() {} }) as unknown as ImageBitmap;
let decodedHere: string[];

beforeEach(() => {
  vi.resetModules();
  HeldWorker.made = [];
  decodedHere = [];
  vi.stubGlobal("Worker", HeldWorker);
  vi.stubGlobal("createImageBitmap", async (b: Blob) => {
    const text = await b.text();
    decodedHere.push(text);
    return bitmap(`here:${text}`);
  });
});
afterEach(() => vi.unstubAllGlobals());

const enc = (s: string) => new TextEncoder().encode(s);

describe("the page image decoder", () => {
  it("asks one worker for every image and matches its answers by id", async () => {
    const { decodeImage } = await import("../../web-client/src/render/image-decoder.ts");
    const a = decodeImage(enc("page 1"));
    const b = decodeImage(enc("page 2"));
    expect(HeldWorker.made).toHaveLength(1);
    const w = HeldWorker.made[0]!;
    expect(w.url.pathname).toMatch(/image-decode-worker\.ts$/);
    expect(w.posted.map((p) => new TextDecoder().decode(p.bytes))).toEqual(["page 1", "page 2"]);
    w.answer(w.posted[1]!.id, { bitmap: bitmap("second") });
    w.answer(w.posted[0]!.id, { bitmap: bitmap("first") });
    expect(((await a) as unknown as { name: string }).name).toBe("first");
    expect(((await b) as unknown as { name: string }).name).toBe("second");
    expect(decodedHere).toEqual([]);
  });

  it("rejects only the image the worker could not decode", async () => {
    const { decodeImage } = await import("../../web-client/src/render/image-decoder.ts");
    const bad = decodeImage(enc("not a jpeg"));
    const good = decodeImage(enc("page 3"));
    const w = HeldWorker.made[0]!;
    w.answer(w.posted[0]!.id, { error: "The source image cannot be decoded." });
    w.answer(w.posted[1]!.id, { bitmap: bitmap("third") });
    await expect(bad).rejects.toThrow("page image: The source image cannot be decoded.");
    expect(((await good) as unknown as { name: string }).name).toBe("third");
  });

  it("when the worker dies, what it held and all that follows is decoded on the main thread", async () => {
    const { decodeImage } = await import("../../web-client/src/render/image-decoder.ts");
    const pending = [decodeImage(enc("page 4")), decodeImage(enc("page 5"))];
    const w = HeldWorker.made[0]!;
    w.onerror!({ preventDefault() {} });
    expect(w.terminated).toBe(true);
    const after = decodeImage(enc("page 6"));
    expect(HeldWorker.made).toHaveLength(1);
    const names = (await Promise.all([...pending, after])).map((b) => (b as unknown as { name: string }).name);
    expect(names).toEqual(["here:page 4", "here:page 5", "here:page 6"]);
  });

  it("decodes on the main thread where no worker can start", async () => {
    vi.stubGlobal(
      "Worker",
      class {
        constructor() {
          throw new Error("refused by the Content-Security-Policy");
        }
      },
    );
    const { decodeImage } = await import("../../web-client/src/render/image-decoder.ts");
    expect(((await decodeImage(enc("page 7"))) as unknown as { name: string }).name).toBe("here:page 7");
  });
});
