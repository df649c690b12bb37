/**
 * The bundles a meeting's phones may still ask for on resume (docs/phone-protocol.md
 * §Resume): the last `capacity` bundles as the frames already encoded for phones (the
 * `events` JSON and the audio frame), by seq. A resume from `seq` is honoured when every
 * bundle after it is still here.
 */
export interface RingEntry {
  seq: number;
  /** The `events` frame, JSON. */
  events: string;
  /** The kind-2 audio frame, when the bundle had audio. */
  audio: Uint8Array | null;
}

export class ResumeRing {
  #entries: (RingEntry | undefined)[];
  /** Seq of the last entry pushed, and of the room state the ring starts after. */
  #last = 0;
  #base = 0;
  constructor(readonly capacity: number) {
    this.#entries = new Array(capacity);
  }

  /** Starts over after the room state at `seq` (a fresh join): nothing before it is held. */
  reset(seq: number): void {
    this.#entries = new Array(this.capacity);
    this.#base = seq;
    this.#last = seq;
  }

  /** Adds the bundle after the last one (seq = last + 1; anything else starts over at it). */
  push(e: RingEntry): void {
    if (e.seq !== this.#last + 1) this.reset(e.seq - 1);
    this.#entries[e.seq % this.capacity] = e;
    this.#last = e.seq;
  }

  get last(): number {
    return this.#last;
  }

  /** The oldest seq a resume may name: every bundle after it is held. */
  get oldest(): number {
    return Math.max(this.#base, this.#last - this.capacity);
  }

  /** The entries after `seq` up to the last, or null when some are no longer (or never were) here. */
  after(seq: number): RingEntry[] | null {
    if (seq < this.oldest || seq > this.#last) return null;
    const out: RingEntry[] = [];
    for (let s = seq + 1; s <= this.#last; s++) out.push(this.#entries[s % this.capacity]!);
    return out;
  }
}
