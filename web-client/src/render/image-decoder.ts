/**
 * Page images decoded off the page's main thread. Each page turn decodes the page two ahead,
 * and createImageBitmap of its Blob on the main thread took 1.1–1.7 ms of a follower's
 * 3.6–5.2 ms main-thread time a turn (`npm run bench -- glass --profile`). Here one worker per
 * page (image-decode-worker.ts) makes the Blob and the bitmap and transfers the bitmap back;
 * the main thread copies the bytes and transfers the copy (0.3–0.8 ms). Where no worker can
 * start (a browser without module workers, a page whose CSP forbids them), or once the worker
 * has failed, images are decoded here as before.
 * main.ts gives it to render/page-images.ts (the offline replay player does without).
 */
import { decodeOnThisThread } from "./page-images.ts";

interface Waiting {
  bytes: Uint8Array;
  resolve(bitmap: ImageBitmap): void;
  reject(err: Error): void;
}

type Reply = { id: number; bitmap: ImageBitmap; error?: undefined } | { id: number; error: string };

let worker: Worker | null | undefined;
const waiting = new Map<number, Waiting>();
let lastId = 0;

/** Decodes one JPEG's bytes into an ImageBitmap (the bytes are copied, never taken). */
export function decodeImage(bytes: Uint8Array): Promise<ImageBitmap> {
  const w = decoder();
  if (!w) return decodeOnThisThread(bytes);
  const id = ++lastId;
  return new Promise<ImageBitmap>((resolve, reject) => {
    waiting.set(id, { bytes, resolve, reject });
    // A copy, transferred: cloning the held bytes into the message cost more than copying them.
    const copy = bytes.slice();
    w.postMessage({ id, bytes: copy }, [copy.buffer]);
  });
}

function decoder(): Worker | null {
  if (worker !== undefined) return worker;
  try {
    worker = typeof Worker === "function" ? new Worker(new URL("./image-decode-worker.ts", import.meta.url), { type: "module", name: "page image decoder" }) : null;
  } catch {
    worker = null;
  }
  if (!worker) return null;
  worker.onmessage = (e: MessageEvent<Reply>) => {
    const w = waiting.get(e.data.id);
    waiting.delete(e.data.id);
    if (!w) return;
    if (e.data.error === undefined) w.resolve(e.data.bitmap);
    else w.reject(new Error(`page image: ${e.data.error}`));
  };
  // A worker that fails to load or dies: what it was given is decoded here, and so is all that follows.
  worker.onerror = (e) => {
    e.preventDefault();
    giveUp();
  };
  return worker;
}

function giveUp(): void {
  worker?.terminate();
  worker = null;
  const left = [...waiting.values()];
  waiting.clear();
  for (const w of left) decodeOnThisThread(w.bytes).then(w.resolve, w.reject);
}
