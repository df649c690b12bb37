/**
 * One meeting as someone sees it, whatever its bundles come from (bundle-source.ts): the
 * live room, an archive's journal, a phone-gateway subscription. The same reducer turns the
 * same bundles into the same picture everywhere, so a live follower at time t, a replay at
 * t and a video frame at t agree.
 *
 * - `confirmed`: the snapshot with every bundle applied in seq order, gaps filled from the
 *   source (bundle-order.ts).
 * - `view`: what to show. For a follower it trails `confirmed` through the playout
 *   (playout.ts): with a playout clock (listening in sync, or a replay's playback clock)
 *   each event shows when the clock reaches its `t`; without one, as it arrives. For the
 *   presenter (`self` holds the presenter role) it is `confirmed` with their own
 *   not-yet-relayed events applied on top (`propose`), so a page turn or a stroke shows at
 *   once; the relay's echo of their bundle takes its events off the pending list, and a
 *   refusal (`withdraw`) drops them so the view snaps back.
 * - The session clock: ms since the session started, its origin on the wall clock taken
 *   from server-made bundles (their `t` and `ts` are both the server's) or the snapshot.
 * - Audio: relayed audio goes out in seq order (`audio` events); the stream's header pages
 *   (`audioHeader`) are kept for a player that starts late.
 *
 * Clock and timers are injected (timers.ts), so it runs in a browser, in Node and in tests.
 */
import { headerPages } from "../protocol/ogg.ts";
import { apply } from "../protocol/reducer.ts";
import { isServerBundle } from "../protocol/server-bundles.ts";
import type { AudioChunk, DeckEvent, RoomState, StampedBundle } from "../protocol/types.ts";
import { BundleOrder } from "./bundle-order.ts";
import type { BundleSource } from "./bundle-source.ts";
import { Emitter } from "./emitter.ts";
import { Playout, type PlayoutClock } from "./playout.ts";
import { systemTimers, type Timers } from "./timers.ts";

export interface MeetingViewOptions {
  /** This person's nick in the room: their bundles' echoes settle their pending events. */
  self?: string;
  /** Session clock origin on the wall clock, when known (the creator has it from <meeting started/>). */
  started?: number;
  timers?: Timers;
}

export interface MeetingViewEvents extends Record<string, unknown[]> {
  /** `view` (or `confirmed`) changed. */
  change: [];
  /** State replaced wholesale (opened, or a fresh snapshot). */
  state: [RoomState];
  /** A bundle was applied in order; `state` is the confirmed room after it. */
  bundle: [StampedBundle, RoomState];
  /** Relayed audio, in seq order (the session's Ogg Opus stream). */
  audio: [AudioChunk];
  /** Something could not be done (a join, a gap fill); the view goes on and retries where it can. */
  error: [Error];
}

/** First wait before catching up again after a failed catch-up; it doubles up to CATCH_UP_MAX_MS. */
const CATCH_UP_FIRST_MS = 1000;
const CATCH_UP_MAX_MS = 10_000;

export class MeetingView extends Emitter<MeetingViewEvents> {
  /** The session audio stream's OpusHead and OpusTags pages, once known. */
  audioHeader: Uint8Array | null = null;
  view: RoomState | null = null;

  #pending: DeckEvent[] = [];
  /** True while this view itself drives the playout (a reset, a bundle): one recompute follows. */
  #quiet = false;
  #started: number | null;
  #closed = false;
  /** Counts `behind` reports: a retry loop stops when a newer one starts. */
  #behind = 0;
  readonly #order: BundleOrder;
  readonly #playout: Playout;
  readonly #source: BundleSource;
  readonly #self: string | null;
  readonly #timers: Timers;
  readonly #unsubscribe: (() => void)[];

  constructor(source: BundleSource, opts: MeetingViewOptions = {}) {
    super();
    this.#source = source;
    this.#self = opts.self ?? null;
    this.#started = opts.started ?? null;
    this.#timers = opts.timers ?? systemTimers;
    this.#order = new BundleOrder(source);
    this.#playout = new Playout(this.#timers);
    this.#unsubscribe = [
      source.on("bundle", (b) => this.#order.receive(b)),
      source.on("behind", () => this.#catchUp()),
      source.on("error", (err) => this.emit("error", err)),
      this.#order.on("bundle", (b, s) => this.#onBundle(b, s)),
      this.#order.on("error", (err) => this.emit("error", err)),
      // Playout changes on its own timers recompute the view; inside a bundle or a reset, the caller does it once.
      this.#playout.on("change", () => this.#quiet || this.#recompute()),
    ];
  }

  /** The room with every bundle applied in order (null until opened). */
  get confirmed(): RoomState | null {
    return this.#order.state;
  }

  get seq(): number {
    return this.#order.seq;
  }

  /** True while `self` holds the presenter role. */
  get presenting(): boolean {
    const s = this.confirmed;
    return !!s && !s.ended && this.#self !== null && s.presenter === this.#self;
  }

  /** Events still waiting for their time to be shown (playout). */
  get held(): number {
    return this.#playout.held;
  }

  /** The presenter's events shown but not yet relayed. */
  get pending(): number {
    return this.#pending.length;
  }

  /** Opens the source and shows its state. */
  async open(): Promise<RoomState> {
    const { state, audioHeader, last } = await this.#source.open();
    this.audioHeader = audioHeader;
    if (this.#started === null) this.#started = this.#timers.wall() - state.clock;
    this.#order.reset(state);
    this.#drive(() => this.#playout.reset(state));
    this.emit("state", state);
    this.#recompute();
    await this.#order.drain();
    if (last !== undefined && last > this.seq) await this.#order.catchUp();
    return this.confirmed!;
  }

  async close(): Promise<void> {
    this.#closed = true;
    for (const off of this.#unsubscribe) off();
    this.#playout.setClock(null);
    await this.#source.close();
  }

  /** Session clock for new events: ms since the session started, never behind the room. */
  clock(): number {
    const floor = Math.max(this.view?.clock ?? 0, this.confirmed?.clock ?? 0);
    return this.#started === null ? floor : Math.max(floor, Math.round(this.#timers.wall() - this.#started));
  }

  /** The session clock as it runs (not rounded or clamped): audio is stamped with it. */
  now(): number {
    return this.#started === null ? (this.confirmed?.clock ?? 0) : this.#timers.wall() - this.#started;
  }

  /** Shows events when `clock` says their time has come (null: as they arrive). */
  setPlayoutClock(clock: PlayoutClock | null): void {
    this.#playout.setClock(clock);
  }

  /** The playout clock moved (buffer shift, mute, seek): recheck what is due. */
  retimePlayout(): void {
    this.#playout.retime();
  }

  /** The presenter's own events: shown at once, until the relay echoes them or they are withdrawn. */
  propose(events: DeckEvent[]): void {
    if (!this.presenting || events.length === 0) return;
    this.#pending.push(...events);
    this.#recompute();
  }

  /** Events the component refused for good: they leave the view. */
  withdraw(events: DeckEvent[]): void {
    const refused = new Set(events);
    this.#pending = this.#pending.filter((e) => !refused.has(e));
    this.#recompute();
  }

  /** The source may hold bundles we have not seen: ask until it answers (backing off), unless a newer report came. */
  #catchUp() {
    const attempt = ++this.#behind;
    const run = (delay: number) => {
      this.#order.catchUp().catch((err: Error) => {
        if (this.#closed || attempt !== this.#behind) return;
        this.emit("error", err);
        this.#timers.set(() => {
          if (!this.#closed && attempt === this.#behind) run(Math.min(delay * 2, CATCH_UP_MAX_MS));
        }, delay);
      });
    };
    run(CATCH_UP_FIRST_MS);
  }

  #onBundle(b: StampedBundle, state: RoomState) {
    // Server-originated bundles carry the server's clock in both t and ts: the best origin.
    if (isServerBundle(b) || this.#started === null) this.#started = b.ts - b.t;
    if (this.#self !== null && b.from === this.#self && !isServerBundle(b)) this.#pending.splice(0, b.events.length);
    if (!this.presenting) this.#pending = [];
    if (b.audio) this.audioHeader ??= headerPages(b.audio.data);
    this.#drive(() => this.#playout.push(b, state));
    this.#recompute();
    this.emit("bundle", b, state);
    if (b.audio) this.emit("audio", b.audio);
  }

  /** Moves the playout without its change recomputing the view (the caller recomputes once). */
  #drive(fn: () => void) {
    this.#quiet = true;
    try {
      fn();
    } finally {
      this.#quiet = false;
    }
  }

  #recompute() {
    const confirmed = this.confirmed ?? this.#playout.state;
    this.view = this.presenting && confirmed ? this.#pending.reduce(apply, confirmed) : this.#playout.state;
    this.emit("change");
  }
}
