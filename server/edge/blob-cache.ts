/**
 * The edge's content-addressed deck cache: each image is one file named by its sha256
 * (lowercase hex) in the cache folder. `get(sha, fetch)` answers from the file when it is
 * there; otherwise it fetches the bytes once (every concurrent ask for one hash shares that
 * one fetch), checks they hash to `sha` (bytes that do not are never kept nor served: the
 * upstream manifest named the hash, see deck-images.ts), and writes them atomically (temp +
 * fsync + rename, server/archive/atomic-file.ts). The folder is bounded: past `maxBytes` the
 * least recently used files are removed. A disk that is full (or refuses the write for any
 * other reason) does not fail the ask: the verified bytes are served without being kept.
 *
 * The files are not hashed again when read: the follower checks every image against the
 * central server's manifest itself (client-core/deck-prefetch.ts), which is what protects it
 * from a damaged or hostile edge; this cache's check only keeps the edge from storing and
 * spreading bytes the upstream did not vouch for.
 */
import { createHash } from "node:crypto";
import { mkdir, readdir, readFile, stat, unlink } from "node:fs/promises";
import path from "node:path";
import type { Logger } from "pino";
import { replaceFile } from "../archive/atomic-file.ts";

const SHA = /^[0-9a-f]{64}$/;

export const BLOB_CACHE_DEFAULTS = { maxBytes: 2 * 1024 ** 3 } as const;

/** Why an ask failed, by code (callers never read the message). */
export class BlobCacheError extends Error {
  constructor(readonly code: "bad-hash" | "mismatch" | "upstream", message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

export interface BlobCacheStats {
  blobs: number;
  bytes: number;
  maxBytes: number;
  /** Upstream fetches made (one per hash, however many asked at once). */
  fetches: number;
  /** Fetched bodies refused because they did not hash to what was asked. */
  refused: number;
  /** Verified bodies served but not kept (the disk refused the write). */
  notKept: number;
  /** Files removed to stay under maxBytes. */
  evicted: number;
}

export interface BlobAnswer {
  bytes: Buffer;
  /** cache: read from the folder; fetched: fetched now and kept; passed: fetched now, not kept. */
  from: "cache" | "fetched" | "passed";
}

export interface BlobCache {
  /** Reads the folder (sizes and ages of what is already there); call once before get(). */
  open(): Promise<void>;
  get(sha: string, fetch: () => Promise<Uint8Array>): Promise<BlobAnswer>;
  has(sha: string): boolean;
  stats(): BlobCacheStats;
}

export function sha256hex(bytes: Uint8Array): string {
  return createHash("sha256").update(bytes).digest("hex");
}

export function createBlobCache(o: { dir: string; maxBytes?: number; log: Logger }): BlobCache {
  const maxBytes = o.maxBytes ?? BLOB_CACHE_DEFAULTS.maxBytes;
  const log = o.log.child({ part: "edge-cache" });
  /** sha → size; the Map's order is the use order (least recent first). */
  const held = new Map<string, number>();
  const inflight = new Map<string, Promise<BlobAnswer>>();
  let total = 0;
  const counts = { fetches: 0, refused: 0, notKept: 0, evicted: 0 };
  const file = (sha: string) => path.join(o.dir, sha);

  const touch = (sha: string) => {
    const size = held.get(sha);
    if (size === undefined) return;
    held.delete(sha);
    held.set(sha, size);
  };
  const forget = (sha: string) => {
    const size = held.get(sha);
    if (size === undefined) return;
    held.delete(sha);
    total -= size;
  };

  async function evict(keep: string): Promise<void> {
    for (const sha of held.keys()) {
      if (total <= maxBytes) break;
      if (sha === keep) continue;
      forget(sha);
      counts.evicted++;
      await unlink(file(sha)).catch((err: NodeJS.ErrnoException) => {
        if (err.code !== "ENOENT") log.warn({ err: err.message }, "could not remove an evicted blob");
      });
    }
  }

  async function fetchAndKeep(sha: string, fetch: () => Promise<Uint8Array>): Promise<BlobAnswer> {
    counts.fetches++;
    let body: Uint8Array;
    try {
      body = await fetch();
    } catch (err) {
      throw new BlobCacheError("upstream", "the upstream did not give the image", { cause: err });
    }
    const bytes = Buffer.from(body.buffer, body.byteOffset, body.byteLength);
    if (sha256hex(bytes) !== sha) {
      counts.refused++;
      log.warn({ sha, bytes: bytes.length }, "upstream bytes do not match their hash: refused");
      throw new BlobCacheError("mismatch", "the upstream's bytes do not match the manifest's hash");
    }
    if (bytes.length > maxBytes) {
      counts.notKept++;
      return { bytes, from: "passed" };
    }
    try {
      await replaceFile(file(sha), bytes);
    } catch (err) {
      counts.notKept++;
      log.warn({ err: (err as NodeJS.ErrnoException).code ?? (err as Error).message, sha }, "could not keep a blob: served from upstream");
      return { bytes, from: "passed" };
    }
    forget(sha);
    held.set(sha, bytes.length);
    total += bytes.length;
    await evict(sha);
    return { bytes, from: "fetched" };
  }

  return {
    async open() {
      await mkdir(o.dir, { recursive: true });
      const found: { sha: string; size: number; used: number }[] = [];
      for (const name of await readdir(o.dir)) {
        const full = path.join(o.dir, name);
        if (name.startsWith(".") && name.endsWith(".tmp")) {
          await unlink(full).catch(() => undefined); // a write cut short by a crash
          continue;
        }
        if (!SHA.test(name)) continue;
        const st = await stat(full).catch(() => null);
        if (st?.isFile()) found.push({ sha: name, size: st.size, used: Math.max(st.atimeMs, st.mtimeMs) });
      }
      found.sort((a, b) => a.used - b.used);
      for (const f of found) {
        held.set(f.sha, f.size);
        total += f.size;
      }
      await evict("");
      log.info({ blobs: held.size, bytes: total, maxBytes }, "edge cache opened");
    },
    async get(sha, fetch) {
      if (!SHA.test(sha)) throw new BlobCacheError("bad-hash", "not a sha256 in lowercase hex");
      if (held.has(sha)) {
        const bytes = await readFile(file(sha)).catch((err: NodeJS.ErrnoException) => {
          if (err.code !== "ENOENT") log.warn({ err: err.message, sha }, "could not read a blob");
          return null;
        });
        if (bytes && bytes.length === held.get(sha)) {
          touch(sha);
          return { bytes, from: "cache" };
        }
        forget(sha); // removed or cut short under us: fetch it again
      }
      let answer = inflight.get(sha);
      if (!answer) {
        answer = fetchAndKeep(sha, fetch).finally(() => inflight.delete(sha));
        inflight.set(sha, answer);
      }
      return answer;
    },
    has: (sha) => held.has(sha),
    stats: () => ({ blobs: held.size, bytes: total, maxBytes, ...counts }),
  };
}
