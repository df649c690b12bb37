/**
 * Ordering and gap filling (docs/protocol.md §Follow, §Fill a gap): bundles from a source are
 * applied with the one reducer strictly in sequence order, each exactly once; a bundle that
 * arrives ahead of its turn waits, and whatever is missing before it is asked of the source
 * with range(). `state` is the confirmed room: the snapshot with every applied bundle.
 */
import { applyBundle } from "../protocol/reducer.ts";
import type { RoomState, StampedBundle } from "../protocol/types.ts";
import type { BundleSource } from "./bundle-source.ts";
import { Emitter } from "./emitter.ts";

export interface BundleOrderEvents extends Record<string, unknown[]> {
  /** A bundle was applied; `state` is the room after it. */
  bundle: [StampedBundle, RoomState];
  /** A gap could not be filled (it is asked for again when the next bundle arrives). */
  error: [Error];
}

export class BundleOrder extends Emitter<BundleOrderEvents> {
  state: RoomState | null = null;
  /** Bundles that arrived ahead of their turn, by seq. */
  #waiting = new Map<number, StampedBundle>();
  #draining = false;
  readonly #source: Pick<BundleSource, "range">;

  constructor(source: Pick<BundleSource, "range">) {
    super();
    this.#source = source;
  }

  get seq(): number {
    return this.state?.seq ?? 0;
  }

  /** Bundles waiting for an earlier one. */
  get waiting(): number {
    return this.#waiting.size;
  }

  /** Starts over from a snapshot; `drain` then applies the bundles waiting after it. */
  reset(state: RoomState): void {
    this.state = state;
    for (const s of [...this.#waiting.keys()]) if (s <= state.seq) this.#waiting.delete(s);
  }

  /** Applies waiting bundles in order, asking the source for whatever is missing before them. */
  drain(): Promise<void> {
    return this.#drain();
  }

  /** A bundle from the source, in whatever order it came. */
  receive(b: StampedBundle): void {
    if (b.seq <= this.seq) return;
    this.#waiting.set(b.seq, b);
    if (this.state) this.#drain().catch((err: Error) => this.emit("error", err));
  }

  /** Asks the source for everything after the last applied bundle (after a reconnect), then applies what waits. */
  async catchUp(): Promise<void> {
    if (!this.state) return;
    await this.#fill(this.seq + 1, undefined);
    await this.#drain();
  }

  /** Applies waiting bundles in order; asks the source for whatever is missing before them. */
  async #drain(): Promise<void> {
    if (this.#draining || !this.state) return;
    this.#draining = true;
    try {
      for (;;) {
        for (const s of [...this.#waiting.keys()]) if (s <= this.seq) this.#waiting.delete(s);
        const next = this.#waiting.get(this.seq + 1);
        if (next) {
          this.#waiting.delete(next.seq);
          this.#apply(next);
          continue;
        }
        if (this.#waiting.size === 0) return;
        const lowest = Math.min(...this.#waiting.keys());
        await this.#fill(this.seq + 1, lowest - 1);
      }
    } finally {
      this.#draining = false;
    }
  }

  /** Fetches [from, to] (to the source's newest when undefined) and applies it. */
  async #fill(from: number, to: number | undefined): Promise<void> {
    for (;;) {
      const answer = await this.#source.range(from, to);
      if (!answer) return; // nothing at `from` yet
      for (const b of answer.bundles) if (b.seq === this.seq + 1) this.#apply(b);
      const end = to ?? answer.last;
      if (answer.to >= end || answer.to < from) return;
      from = answer.to + 1;
    }
  }

  #apply(b: StampedBundle) {
    this.state = applyBundle(this.state!, b);
    this.emit("bundle", b, this.state);
  }
}
