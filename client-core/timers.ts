/**
 * The clocks and timers the client core runs on, injected so that the same code runs in a
 * browser, in Node (the phone bridge, video export) and in unit tests that move time by hand.
 */
export interface Timers {
  /** A monotonic clock in ms (performance.now()): playout deadlines are on it. */
  now(): number;
  /** Wall-clock ms since the epoch (Date.now()): the session clock's origin is on it. */
  wall(): number;
  set(fn: () => void, ms: number): unknown;
  clear(handle: unknown): void;
}

export const systemTimers: Timers = {
  now: () => performance.now(),
  wall: () => Date.now(),
  set: (fn, ms) => setTimeout(fn, ms),
  clear: (h) => clearTimeout(h as ReturnType<typeof setTimeout>),
};

/** Resolves after `ms` on `timers`. */
export function sleep(timers: Pick<Timers, "set">, ms: number): Promise<void> {
  return new Promise((resolve) => void timers.set(resolve, ms));
}
