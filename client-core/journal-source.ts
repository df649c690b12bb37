/**
 * An archive's journal as a bundle source (docs/archive.md): the session from its start, as
 * the component wrote it — every bundle in seq order, with its audio. The journal is read
 * through a `JournalReader` (the server's own journal in Node; in a browser, whatever fetched
 * events.jsonl and audio.opus), so this module does no I/O itself.
 *
 * Opening gives the room before anything happened (the manifest's title) and the journal's
 * last seq, so the view reads the whole session in pages of `pageSize` bundles; what it shows
 * when is the playout's business (a replay sets a playback clock). A journal that is still
 * being written (a live meeting) says so with `grew()`: the view then reads what is new.
 */
import type { RangeAnswer } from "../protocol/catch-up.ts";
import { initialState } from "../protocol/reducer.ts";
import type { StampedBundle } from "../protocol/types.ts";
import type { BundleSource, BundleSourceEvents, Snapshot } from "./bundle-source.ts";
import { Emitter } from "./emitter.ts";

export interface JournalReader {
  /** The journal's newest seq (0 when empty). */
  lastSeq(): number | Promise<number>;
  /** Bundles from ≤ seq ≤ min(to, lastSeq), in order, none missing (a lost one reads as an empty server bundle). */
  read(from: number, to: number): Promise<StampedBundle[]>;
}

export interface JournalSourceOptions {
  /** The session's title (manifest.json): the room's title before anything happened. */
  title?: string;
  /** Bundles read at once; default 200, what the component serves per range. */
  pageSize?: number;
}

export class JournalSource extends Emitter<BundleSourceEvents> implements BundleSource {
  readonly #reader: JournalReader;
  readonly #title: string;
  readonly #pageSize: number;
  #closed = false;

  constructor(reader: JournalReader, opts: JournalSourceOptions = {}) {
    super();
    this.#reader = reader;
    this.#title = opts.title ?? "";
    this.#pageSize = Math.max(1, opts.pageSize ?? 200);
  }

  async open(): Promise<Snapshot> {
    return { state: initialState(this.#title), audioHeader: null, last: await this.#reader.lastSeq() };
  }

  async range(from: number, to?: number): Promise<RangeAnswer | null> {
    const last = await this.#reader.lastSeq();
    if (this.#closed || from > last) return null;
    const end = Math.min(to ?? last, last, from + this.#pageSize - 1);
    const bundles = await this.#reader.read(from, end);
    // The reader's promise: in order and none missing. A journal that breaks it is damaged, not short.
    bundles.forEach((b, i) => {
      if (b.seq !== from + i) throw new Error(`journal: bundle ${from + i} reads back as ${b.seq}`);
    });
    return { bundles, from, to: from + bundles.length - 1, last };
  }

  /** The journal has new bundles (a meeting still running): the view reads them. */
  grew(): void {
    if (!this.#closed) this.emit("behind");
  }

  async close(): Promise<void> {
    this.#closed = true;
  }
}
