/**
 * An AudioContext's clock on the session clock: which session time a context time is.
 *
 * One reading of (session now − currentTime) is late by however far the audio thread is
 * behind the main thread at that moment: a few ms of jitter always, and right after the
 * microphone's encoder starts (its WebAssembly is set up on the audio thread) the whole thread
 * is behind until it catches up: the recording's start read 16 ms late on an idle machine and
 * 19 ms on a loaded one (the replay-audio test's microphone, 2026-12-03), which put the whole
 * recording that late against the page turns. A late reading only ever adds, so the least of
 * the recent readings is the nearest the truth; recent, so that a drift between the two
 * clocks is followed.
 */
export class ContextClock {
  #offsets: number[] = [];

  /** `now`: the session clock (ms); `keep`: how many readings count (taken by the owner's timer). */
  constructor(
    readonly context: BaseAudioContext,
    readonly now: () => number,
    readonly keep = 8,
  ) {}

  /** Takes one reading; returns the offset (session ms − context ms) the clock now uses. */
  read(): number {
    this.#offsets.push(this.now() - this.context.currentTime * 1000);
    if (this.#offsets.length > this.keep) this.#offsets.shift();
    return Math.min(...this.#offsets);
  }

  /** Session time (ms) of context time `at` (s), with a fresh reading. */
  sessionTimeOf(at: number): number {
    return at * 1000 + this.read();
  }
}
