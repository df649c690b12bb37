/**
 * The deck store: one folder per deck under `<dataDir>/decks/<id>/`, where id is the
 * sha256 of the uploaded source. A deck is built in a staging folder and appears with one
 * rename, so a half-made deck is never visible and a failed one leaves nothing behind:
 *
 *   source.<ext>   the uploaded file, as uploaded
 *   deck.pdf       the converted PDF (the PDF itself for PDF uploads)
 *   deck.json      the DeckRecord
 *   images/<width>/<page>.jpg   page images, rendered on demand
 */
import { existsSync, readFileSync } from "node:fs";
import { mkdir, mkdtemp, rename, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { isDeckId, type DeckRecord } from "./types.ts";

/** Records kept in memory; deck.json is re-read for others. */
const RECORD_CACHE = 256;

export class DeckStore {
  readonly root: string;
  private readonly staging: string;
  private readonly records = new Map<string, DeckRecord>();

  constructor(dataDir: string) {
    this.root = join(dataDir, "decks");
    this.staging = join(this.root, ".staging");
  }

  /** Creates the folders and removes staging leftovers of a previous run (a crash mid-conversion). */
  async init(): Promise<void> {
    await rm(this.staging, { recursive: true, force: true });
    await mkdir(this.staging, { recursive: true });
  }

  dir(id: string): string {
    if (!isDeckId(id)) throw new Error(`not a deck id: ${id}`);
    return join(this.root, id);
  }

  pdfPath(id: string): string {
    return join(this.dir(id), "deck.pdf");
  }

  imagePath(id: string, width: number, page: number): string {
    return join(this.dir(id), "images", String(width), `${page}.jpg`);
  }

  has(id: string): boolean {
    return isDeckId(id) && (this.records.has(id) || existsSync(join(this.root, id, "deck.json")));
  }

  get(id: string): DeckRecord | null {
    if (!isDeckId(id)) return null;
    const cached = this.records.get(id);
    if (cached) return cached;
    let record: DeckRecord;
    try {
      record = JSON.parse(readFileSync(join(this.root, id, "deck.json"), "utf8")) as DeckRecord;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT") return null;
      throw err;
    }
    this.remember(record);
    return record;
  }

  /** A fresh, empty staging folder for building one deck. */
  stage(): Promise<string> {
    return mkdtemp(join(this.staging, "d-"));
  }

  /** Writes deck.json into the staging folder and moves it into place as the deck `record.id`. */
  async commit(stageDir: string, record: DeckRecord): Promise<void> {
    await writeFile(join(stageDir, "deck.json"), JSON.stringify(record));
    try {
      await rename(stageDir, this.dir(record.id));
    } catch (err) {
      // Another process stored the same content first: theirs is as good as ours.
      const code = (err as NodeJS.ErrnoException).code;
      if (code !== "ENOTEMPTY" && code !== "EEXIST") throw err;
      await this.discard(stageDir);
    }
    this.remember(record);
  }

  async discard(stageDir: string): Promise<void> {
    await rm(stageDir, { recursive: true, force: true });
  }

  private remember(record: DeckRecord): void {
    this.records.delete(record.id);
    this.records.set(record.id, record);
    if (this.records.size > RECORD_CACHE) this.records.delete(this.records.keys().next().value!);
  }
}
