/**
 * The follower's jitter buffer as a policy: where on the AudioContext's clock the session's
 * audio plays. Audio of session time t (ms) plays at context time t / 1000 + `offset`.
 *
 * The buffer's depth is the **lead**: how long before its first sample is due a chunk
 * arrives. Chunks come one a page (100 ms) with network jitter; the offset is chosen so that
 * the earliest-arriving chunk of the last few seconds still has `minLeadMs` to spare.
 *
 * Only a chunk's fresh part counts: a chunk longer than the usual page (the component's
 * silence for the time before the first word, or pages a presenter sends together after
 * an outage) is timed by its last page's worth, as if it had started there; its older
 * part is due already and is not played.
 *
 * - the first chunk plays `startLeadMs` after it arrives;
 * - a chunk that arrives with less than `floorMs` left (an underrun) moves the offset later
 *   so it plays with `growToMs` left: the delay grows by what the network showed it needs;
 * - when every chunk of the last `windowMs` arrived with more than `minLeadMs + slackMs`
 *   left, the offset moves earlier so the earliest of them would have had `minLeadMs`: the
 *   audio skips ahead (catch-up) and the delay shrinks back;
 * - a chunk that would wait more than `ceilingMs` (a backlog arriving at once after a
 *   reconnect) moves the offset earlier at once, to `growToMs`;
 * - a chunk more than `ceilingMs` late is dropped (a backlog after a reconnect plays
 *   nothing already due), unless chunks keep arriving that late for `relockMs`, which means
 *   the stream itself moved: then the buffer starts over.
 *
 * So the delay adapts to the jitter it observes and never keeps growing. Pure: times come in
 * as arguments (context seconds), so it is tested without a browser.
 */

export interface JitterOptions {
  startLeadMs: number;
  minLeadMs: number;
  slackMs: number;
  floorMs: number;
  growToMs: number;
  ceilingMs: number;
  windowMs: number;
  relockMs: number;
  /** Chunks longer than this are not a usual page (see above). */
  longChunkMs: number;
}

export const JITTER_DEFAULTS: JitterOptions = {
  startLeadMs: 80,
  minLeadMs: 30,
  slackMs: 40,
  floorMs: 10,
  growToMs: 60,
  ceilingMs: 300,
  windowMs: 3000,
  relockMs: 1000,
  longChunkMs: 250,
};

export type Placement = { offset: number; lead: number } | { drop: true };

export class JitterPolicy {
  /** Context seconds minus session seconds; null until the first chunk. */
  offset: number | null = null;
  readonly opts: JitterOptions;
  /** Leads (ms, under the current offset) of recent chunks, by arrival time (s). */
  #recent: { at: number; lead: number }[] = [];
  /** Arrival time of the first chunk of the current run of too-late chunks. */
  #lateSince: number | null = null;
  /** Arrival time of the last change of offset: catching up waits for a full window after it. */
  #changedAt = 0;
  /** Duration (ms) of the usual chunk: the last one no longer than `longChunkMs`. */
  #page = 100;

  constructor(opts: Partial<JitterOptions> = {}) {
    this.opts = { ...JITTER_DEFAULTS, ...opts };
  }

  /** Forgets the stream's timing (a new stream, or listening again after a pause). */
  reset(): void {
    this.offset = null;
    this.#recent = [];
    this.#lateSince = null;
  }

  /**
   * Where a chunk arriving at context time `now` (s) holding session times `firstMs` to
   * `endMs` plays: the offset to use, or a drop.
   */
  place(now: number, firstMs: number, endMs: number): Placement {
    const o = this.opts;
    if (endMs - firstMs <= o.longChunkMs) this.#page = endMs - firstMs;
    else firstMs = endMs - this.#page;
    if (this.offset === null) this.#setOffset(now, now + o.startLeadMs / 1000 - firstMs / 1000);
    let lead = (firstMs / 1000 + this.offset! - now) * 1000;
    if (lead < -o.ceilingMs) {
      this.#lateSince ??= now;
      if (now - this.#lateSince < o.relockMs / 1000) return { drop: true };
      this.reset();
      return this.place(now, firstMs, endMs);
    }
    this.#lateSince = null;
    if (lead < o.floorMs || lead > o.ceilingMs) {
      this.#shift(now, (o.growToMs - lead) / 1000);
      lead = o.growToMs;
    }
    this.#recent.push({ at: now, lead });
    while (this.#recent.length > 0 && this.#recent[0]!.at < now - o.windowMs / 1000) this.#recent.shift();
    const min = Math.min(...this.#recent.map((r) => r.lead));
    if (now - this.#changedAt >= o.windowMs / 1000 && min > o.minLeadMs + o.slackMs) {
      this.#shift(now, -(min - o.minLeadMs) / 1000);
      lead -= min - o.minLeadMs;
    }
    return { offset: this.offset!, lead };
  }

  #shift(now: number, by: number) {
    this.#setOffset(now, this.offset! + by);
    for (const r of this.#recent) r.lead += by * 1000;
  }

  #setOffset(now: number, offset: number) {
    this.offset = offset;
    this.#changedAt = now;
  }
}
