/**
 * A clock and timers the test moves by hand, for the classes that take theirs injected
 * (playout, the ink recorder, the presenter's controls, voice activity). `advance(ms)` runs
 * every timer that falls due, in time order, with `now()` at the time each was due.
 */
export interface FakeClock {
  now(): number;
  /** Runs `fn` once after `ms`; returns a handle for clear(). */
  after(fn: () => void, ms: number): number;
  /** Runs `fn` every `ms`. */
  every(fn: () => void, ms: number): number;
  clear(handle: number | null | undefined): void;
  /** Timers not yet run or cleared. */
  pending(): number;
  advance(ms: number): void;
}

export function fakeClock(start = 0): FakeClock {
  let now = start;
  let timers: { at: number; every: number | null; fn: () => void; id: number }[] = [];
  let n = 0;
  const add = (fn: () => void, ms: number, every: number | null) => (timers.push({ at: now + ms, every, fn, id: ++n }), n);
  return {
    now: () => now,
    after: (fn, ms) => add(fn, ms, null),
    every: (fn, ms) => add(fn, ms, ms),
    clear: (h) => void (timers = timers.filter((x) => x.id !== h)),
    pending: () => timers.length,
    advance(ms) {
      const until = now + ms;
      for (;;) {
        const next = timers.filter((x) => x.at <= until).sort((a, b) => a.at - b.at)[0];
        if (!next) break;
        now = next.at;
        if (next.every === null) timers = timers.filter((x) => x !== next);
        else next.at += next.every;
        next.fn();
      }
      now = until;
    },
  };
}
