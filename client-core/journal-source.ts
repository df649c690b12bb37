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
 *
 * A replay that seeks opens at `start` instead: the room at session time t as `applyUntil`
 * gives it (the archive's seek), `seq` the last bundle applied whole and `events` how many
 * of the next bundle's events the state already holds. That bundle is then read without
 * those events, so applying it on top of `state` gives exactly its own resulting state
 * (events apply in order) and nothing is applied twice.
 */
import type { RangeAnswer } from "../protocol/catch-up.ts";
import { initialState } from "../protocol/reducer.ts";
import type { RoomState, StampedBundle } from "../protocol/types.ts";
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
  /** Open here instead of at the session's start (a seek): see the header. */
  start?: JournalStart;
}

/** Where a journal opens: the room after bundle `seq` plus the first `events` events of bundle seq + 1. */
export interface JournalStart {
  state: RoomState;
  seq: number;
  /** Events of bundle seq + 1 already in `state` (0: none). */
  events?: number;
}

export class JournalSource extends Emitter<BundleSourceEvents> implements BundleSource {
  readonly #reader: JournalReader;
  readonly #title: string;
  readonly #pageSize: number;
  readonly #start: JournalStart | null;
  #closed = false;

  constructor(reader: JournalReader, opts: JournalSourceOptions = {}) {
    super();
    this.#reader = reader;
    this.#title = opts.title ?? "";
    this.#pageSize = Math.max(1, opts.pageSize ?? 200);
    this.#start = opts.start ?? null;
  }

  async open(): Promise<Snapshot> {
    const last = await this.#reader.lastSeq();
    const start = this.#start;
    if (!start) return { state: initialState(this.#title), audioHeader: null, last };
    // The view's order counts from state.seq: it must be the bundle the state ends with.
    const state = start.state.seq === start.seq ? start.state : { ...start.state, seq: start.seq };
    return { state, audioHeader: null, last };
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
    return { bundles: bundles.map((b) => this.#rest(b)), from, to: from + bundles.length - 1, last };
  }

  /** The bundle the start state is in the middle of loses the events the state already holds. */
  #rest(b: StampedBundle): StampedBundle {
    const skip = this.#start?.events ?? 0;
    if (skip <= 0 || b.seq !== this.#start!.seq + 1) return b;
    return { ...b, events: b.events.slice(skip) };
  }

  /** The journal has new bundles (a meeting still running): the view reads them. */
  grew(): void {
    if (!this.#closed) this.emit("behind");
  }

  async close(): Promise<void> {
    this.#closed = true;
  }
}
