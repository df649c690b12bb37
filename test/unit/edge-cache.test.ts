/**
 * The edge's content-addressed cache (server/edge/blob-cache.ts) on real files: one upstream
 * fetch per hash however many ask at once, bytes checked against their hash (a forged byte is
 * refused and never kept), atomic files named by hash, LRU eviction under the size bound, a
 * reopened folder (temp files of a crash removed), and a full disk (a real small tmpfs) that
 * serves the verified bytes without keeping them.
 */
import { createHash, randomBytes } from "node:crypto";
import { execFileSync } from "node:child_process";
import { mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import pino from "pino";
import { afterAll, beforeEach, describe, expect, it } from "vitest";
import { BlobCacheError, createBlobCache } from "../../server/edge/blob-cache.ts";
import { tryMountTmpfs } from "../support/tmpfs.ts";

const log = pino({ level: "silent" });
const sha = (b: Uint8Array) => createHash("sha256").update(b).digest("hex");
const blob = (n: number) => randomBytes(n);

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), "dc-edge-cache-"));
  return () => rm(dir, { recursive: true, force: true });
});

/** An upstream stand-in that counts asks and answers when released. */
function slowSource(bytes: Uint8Array) {
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  const source = { calls: 0, release, fetch: async () => { source.calls++; await gate; return bytes; } };
  return source;
}

describe("the edge's blob cache", () => {
  it("fetches a hash once however many ask at once, and keeps it in a file named by the hash", async () => {
    const cache = createBlobCache({ dir, log });
    await cache.open();
    const bytes = blob(5000);
    const source = slowSource(bytes);
    const asks = Array.from({ length: 10 }, () => cache.get(sha(bytes), source.fetch));
    source.release();
    const answers = await Promise.all(asks);
    expect(source.calls).toBe(1);
    for (const a of answers) expect(Buffer.compare(a.bytes, bytes)).toBe(0);
    expect(await readdir(dir)).toEqual([sha(bytes)]);
    const again = await cache.get(sha(bytes), async () => { throw new Error("not asked"); });
    expect(again.from).toBe("cache");
    expect(cache.stats()).toMatchObject({ blobs: 1, bytes: 5000, fetches: 1, refused: 0 });
  });

  it("refuses bytes with one forged byte, keeps nothing, and fetches again on the next ask", async () => {
    const cache = createBlobCache({ dir, log });
    await cache.open();
    const bytes = blob(4096);
    const forged = Buffer.from(bytes);
    forged[100] = forged[100]! ^ 1;
    const err = await cache.get(sha(bytes), async () => forged).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BlobCacheError);
    expect((err as BlobCacheError).code).toBe("mismatch");
    expect(await readdir(dir)).toEqual([]);
    expect(cache.has(sha(bytes))).toBe(false);
    const good = await cache.get(sha(bytes), async () => bytes);
    expect(good.from).toBe("fetched");
    expect(cache.stats()).toMatchObject({ refused: 1, fetches: 2, blobs: 1 });
  });

  it("refuses what is not a lowercase sha256, and passes an upstream failure on by code", async () => {
    const cache = createBlobCache({ dir, log });
    await cache.open();
    for (const bad of ["../etc/passwd", "A".repeat(64), "0".repeat(63), ""]) {
      const err = await cache.get(bad, async () => blob(1)).catch((e: unknown) => e);
      expect((err as BlobCacheError).code, bad).toBe("bad-hash");
    }
    const err = await cache.get(sha(blob(10)), async () => { throw new Error("down"); }).catch((e: unknown) => e);
    expect((err as BlobCacheError).code).toBe("upstream");
  });

  it("stays under its size bound by removing the least recently used files", async () => {
    const cache = createBlobCache({ dir, log, maxBytes: 3000 });
    await cache.open();
    const [a, b, c, d] = [blob(1000), blob(1000), blob(1000), blob(1000)];
    for (const x of [a, b, c]) await cache.get(sha(x!), async () => x!);
    await cache.get(sha(a!), async () => { throw new Error("held"); }); // a is now the most recent
    await cache.get(sha(d!), async () => d!);
    expect(cache.has(sha(b!))).toBe(false);
    expect([a, c, d].every((x) => cache.has(sha(x!)))).toBe(true);
    expect((await readdir(dir)).sort()).toEqual([sha(a!), sha(c!), sha(d!)].sort());
    expect(cache.stats()).toMatchObject({ bytes: 3000, evicted: 1 });
  });

  it("reopens a folder: finds its blobs, removes a crash's temp files, refetches a file removed under it", async () => {
    const bytes = blob(2000);
    await writeFile(path.join(dir, sha(bytes)), bytes);
    await writeFile(path.join(dir, `.${sha(bytes)}.123.abc.tmp`), "half");
    await writeFile(path.join(dir, "not-a-blob"), "x");
    const cache = createBlobCache({ dir, log });
    await cache.open();
    expect(cache.stats()).toMatchObject({ blobs: 1, bytes: 2000 });
    expect((await readdir(dir)).sort()).toEqual([sha(bytes), "not-a-blob"].sort());
    await rm(path.join(dir, sha(bytes)));
    const got = await cache.get(sha(bytes), async () => bytes);
    expect(got.from).toBe("fetched");
  });
});

const mountDir = path.join(os.tmpdir(), `dc-edge-full-${process.pid}`);
execFileSync("mkdir", ["-p", mountDir]);
const mounted = tryMountTmpfs(mountDir, "64k");
if (!mounted) console.warn("edge full-disk test skipped: mounting a tmpfs needs root");
afterAll(async () => {
  if (mounted) execFileSync("umount", [mountDir]);
  await rm(mountDir, { recursive: true, force: true });
});

describe.skipIf(!mounted)("the edge's blob cache on a full disk", () => {
  it("serves verified bytes it cannot keep, and keeps them again once there is room", async () => {
    const cache = createBlobCache({ dir: mountDir, log });
    await cache.open();
    const first = blob(40 * 1024);
    const second = blob(40 * 1024);
    expect((await cache.get(sha(first), async () => first)).from).toBe("fetched");
    const got = await cache.get(sha(second), async () => second);
    expect(got.from).toBe("passed");
    expect(Buffer.compare(got.bytes, second)).toBe(0);
    expect(await readdir(mountDir)).toEqual([sha(first)]); // no temp file left behind
    expect(cache.stats()).toMatchObject({ notKept: 1, blobs: 1 });
    await rm(path.join(mountDir, sha(first)));
    expect((await cache.get(sha(second), async () => second)).from).toBe("fetched");
  });
});
