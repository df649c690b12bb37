/**
 * Sync mode (docs/protocol.md §Audio, "Playing in sync"): a follower who listens sees each
 * event when the audio of its session time `t` reaches their ears, so a page turns on the
 * word it was turned on; a replay shows each event when its playback clock reaches `t`.
 * Bundles come already applied, in seq order (bundle-order.ts); this layer only delays
 * *showing* them: `state` trails the confirmed state and, once everything due is shown,
 * equals it (the reducer stays the single source of truth).
 *
 * Events are shown in order, each when the clock says its `t` is heard; a bundle's events
 * go one by one (ink points arrive in 50 ms batches inside a 100 ms bundle) and the bundle's
 * own resulting state is installed with its last event. When the clock answers null (not
 * listening, muted, no audio yet) everything is shown at once, as it arrives.
 */
import { apply } from "../protocol/reducer.ts";
import type { RoomState, StampedBundle } from "../protocol/types.ts";
import { Emitter } from "./emitter.ts";
import { systemTimers, type Timers } from "./timers.ts";

export interface PlayoutClock {
  /** When session time `t` is heard (or shown), on the timers' monotonic clock; null = show at once. */
  heardAt(t: number): number | null;
}

/** The part of Timers playout needs: deadlines on the monotonic clock. */
export type PlayoutTimers = Pick<Timers, "now" | "set" | "clear">;

export interface PlayoutEvents extends Record<string, unknown[]> {
  change: [];
}

/**
 * Events are applied this much before they are heard: a change is seen at the next
 * animation frame after it is applied (0–17 ms later at 60 Hz), so half a frame early
 * centres the picture on the sound.
 */
export const VISUAL_LEAD_MS = 8;

interface Held {
  bundle: StampedBundle;
  after: RoomState;
  /** Events of the bundle already shown. */
  shown: number;
}

export class Playout extends Emitter<PlayoutEvents> {
  state: RoomState | null = null;
  #clock: PlayoutClock | null = null;
  #queue: Held[] = [];
  #timer: unknown = null;
  readonly #timers: PlayoutTimers;

  constructor(timers: PlayoutTimers = systemTimers) {
    super();
    this.#timers = timers;
  }

  /** Events still waiting for their audio. */
  get held(): number {
    return this.#queue.reduce((n, h) => n + h.bundle.events.length - h.shown, 0);
  }

  /** Sets (or clears) the clock that decides when events are shown; rechecks what is due. */
  setClock(clock: PlayoutClock | null): void {
    this.#clock = clock;
    this.retime();
  }

  /** Shows a whole new state at once (joining), dropping whatever was held. */
  reset(state: RoomState): void {
    this.#queue = [];
    this.state = state;
    this.retime();
    this.emit("change");
  }

  /** A bundle applied in order; `after` is the confirmed state after it. */
  push(bundle: StampedBundle, after: RoomState): void {
    this.#queue.push({ bundle, after, shown: 0 });
    if (this.#queue.length === 1) this.#run();
  }

  /** The clock moved (the buffer shifted, mute changed): recheck when the next event is due. */
  retime(): void {
    this.#timers.clear(this.#timer);
    this.#timer = null;
    this.#run();
  }

  #run() {
    let changed = false;
    while (this.#queue.length > 0) {
      const head = this.#queue[0]!;
      const events = head.bundle.events;
      let waitMs = 0;
      while (head.shown < events.length) {
        waitMs = this.#wait(events[head.shown]!.t);
        if (waitMs > 0) break;
        if (head.shown < events.length - 1) this.state = apply(this.state ?? head.after, events[head.shown]!);
        head.shown++;
        changed = true;
      }
      if (head.shown < events.length) {
        this.#timers.clear(this.#timer);
        this.#timer = this.#timers.set(() => {
          this.#timer = null;
          this.#run();
        }, waitMs);
        break;
      }
      this.state = head.after;
      this.#queue.shift();
      changed = true;
    }
    if (changed) this.emit("change");
  }

  /** Milliseconds until an event at session time `t` is due (≤ 0: now). */
  #wait(t: number): number {
    const heard = this.#clock?.heardAt(t) ?? null;
    return heard === null ? 0 : heard - VISUAL_LEAD_MS - this.#timers.now();
  }
}
