/**
 * The deck manifest (protocol/deck-prefetch.ts): every page image at one width and every
 * thumbnail, each with the sha256 and size of the file the image route serves. Images come
 * from the service's image cache (rendered on first use); each image file is hashed once and its
 * hash kept beside it (`<page>.jpg.sha256`: "<hex> <bytes>\n", written atomically), so the second
 * ask is a file read. A hash file that is torn, missing or names another size than the image's
 * is recomputed. Concurrent asks for one deck and width share one build.
 */
import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { readFile, rename, rm, stat, writeFile } from "node:fs/promises";
import { DECK_MANIFEST_VERSION, type DeckManifest, type DeckManifestEntry } from "../../protocol/deck-prefetch.ts";
import { pageImageUrl, snapWidth, THUMB_WIDTH, thumbUrl } from "../../protocol/deck-urls.ts";
import { fail, ok, type DeckResult } from "./errors.ts";
import type { DeckService } from "./service.ts";
import { Slots } from "../slots.ts";

/** Pages rendered (pdftoppm processes) or hashed at once for all manifests together: asks for many decks or widths queue. */
const CONCURRENCY = 3;

const HASH_LINE = /^([0-9a-f]{64}) (\d{1,12})\n$/;

export class DeckManifests {
  readonly #building = new Map<string, Promise<DeckResult<DeckManifest>>>();
  readonly #slots = new Slots(CONCURRENCY);

  constructor(private readonly service: DeckService) {}

  /** The manifest of deck `id` at `width` (snapped); renders and hashes what is not yet on disk. */
  get(id: string, width: number): Promise<DeckResult<DeckManifest>> {
    const w = snapWidth(width);
    const key = `${id}/${w}`;
    let job = this.#building.get(key);
    if (!job) {
      job = this.#build(id, w).finally(() => this.#building.delete(key));
      this.#building.set(key, job);
    }
    return job;
  }

  async #build(id: string, width: ReturnType<typeof snapWidth>): Promise<DeckResult<DeckManifest>> {
    const record = this.service.get(id);
    if (!record) return fail("unknown-deck");
    const jobs: Promise<DeckResult<DeckManifestEntry>>[] = [];
    for (let page = 1; page <= record.pages; page++) {
      jobs.push(this.#slots.run(() => this.#entry(id, page, width, pageImageUrl(id, page, width))));
      jobs.push(this.#slots.run(() => this.#entry(id, page, THUMB_WIDTH, thumbUrl(id, page))));
    }
    const results = await Promise.all(jobs);
    const failed = results.find((r) => !r.ok);
    if (failed && !failed.ok) return failed;
    const entries = results.map((r) => (r as { ok: true; value: DeckManifestEntry }).value);
    return ok({
      v: DECK_MANIFEST_VERSION,
      deck: id,
      width,
      pages: entries.filter((_, i) => i % 2 === 0),
      thumbs: entries.filter((_, i) => i % 2 === 1),
    });
  }

  async #entry(id: string, page: number, width: number, url: string): Promise<DeckResult<DeckManifestEntry>> {
    const made = await this.service.pageImage(id, page, width);
    if (!made.ok) return made;
    try {
      const { sha256, bytes } = await imageHash(made.value);
      return ok({ page, url, sha256, bytes });
    } catch (err) {
      return fail("internal", `The page image could not be hashed: ${(err as Error).message}`);
    }
  }
}

/** The image file's hash and size: from its `.sha256` file when that is whole and current, else computed and kept. */
export async function imageHash(path: string): Promise<{ sha256: string; bytes: number }> {
  const size = (await stat(path)).size;
  const kept = HASH_LINE.exec(await readFile(`${path}.sha256`, "utf8").catch(() => ""));
  if (kept && Number(kept[2]) === size) return { sha256: kept[1]!, bytes: size };
  const hash = createHash("sha256");
  let bytes = 0;
  await new Promise<void>((resolve, reject) => {
    createReadStream(path)
      .on("data", (d) => {
        hash.update(d);
        bytes += d.length;
      })
      .on("end", resolve)
      .on("error", reject);
  });
  const sha256 = hash.digest("hex");
  const tmp = `${path}.sha256.${process.pid}.${Math.random().toString(36).slice(2)}`;
  try {
    await writeFile(tmp, `${sha256} ${bytes}\n`);
    await rename(tmp, `${path}.sha256`);
  } finally {
    await rm(tmp, { force: true });
  }
  return { sha256, bytes };
}

