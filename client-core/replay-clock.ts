/**
 * The replay's playout clock (playout.ts): events show when the audio reaches them. The clock
 * reads an audio-like element (the <audio> playing the session's audio.opus, whose time is
 * the session time; or a stand-in that counts time itself when there is no audio): while it
 * plays, session time `t` is heard at now + (t − currentTime) / playbackRate on the timers'
 * monotonic clock; while it is paused, everything up to currentTime is shown and nothing
 * after it. Whoever moves the element (play, pause, seek, rate) calls `retime` on the view.
 */
import type { PlayoutClock } from "./playout.ts";
import type { Timers } from "./timers.ts";

export interface AudioLike {
  /** Seconds. */
  currentTime: number;
  playbackRate: number;
  paused: boolean;
}

/** How far ahead a paused clock puts what is not due yet (finite: timers overflow past 2^31 ms). */
const FAR_MS = 1e9;

export class ReplayClock implements PlayoutClock {
  readonly #audio: AudioLike;
  readonly #timers: Pick<Timers, "now">;

  constructor(audio: AudioLike, timers: Pick<Timers, "now">) {
    this.#audio = audio;
    this.#timers = timers;
  }

  /** The session time being heard now, ms. */
  get position(): number {
    return this.#audio.currentTime * 1000;
  }

  heardAt(t: number): number {
    const now = this.#timers.now();
    const at = this.position;
    // Sub-µs float noise of seconds × 1000 must not push an event at exactly `at` into the future.
    const ahead = t - at;
    if (ahead <= 1e-3) return now + Math.min(0, ahead) - 1;
    if (this.#audio.paused) return now + FAR_MS;
    return now + ahead / (this.#audio.playbackRate > 0 ? this.#audio.playbackRate : 1);
  }
}
