/**
 * Keeps one private Prosody running: when the process exits without being asked to, it is
 * started again (same config, same ports) after a backoff, at most `maxRestarts` times in
 * any `windowMs`; past that the state is "failed" and Prosody stays down until deckcast is
 * restarted. Every change of state is logged and reported to `onHealth` listeners.
 *
 * Defaults (SUPERVISION): at most 5 restarts in 10 minutes; the n-th restart in that window
 * waits 250 ms · 2^(n−1) (250 ms, 0.5, 1, 2, 4 s), never more than 5 s. A restart that fails
 * (Prosody exits during start, another process took one of its ports, or it is not ready in
 * 15 s) counts like one that worked, so a Prosody that cannot come back ends "failed"
 * instead of looping.
 */
import type { Logger } from "pino";
import type { ProsodyExit, ProsodyProcess } from "./process.ts";

/** Where the supervised Prosody stands. */
export type ProsodyState = "starting" | "running" | "restarting" | "failed" | "stopped";

/**
 * What `RunningProsody.health()` reports.
 * - `starting`: before the first start finished (startProsody resolves only once it is running);
 * - `running`: the process is up and its ports accepted connections;
 * - `restarting`: it exited unexpectedly; waiting for the backoff or starting again;
 * - `failed`: it exited more often than the bound allows; it is not restarted again;
 * - `stopped`: `stop()` was called.
 */
export interface ProsodyHealth {
  state: ProsodyState;
  /** Restarts attempted since the launch (each try counts, whether or not it worked). */
  restarts: number;
  /** Pid of the running Prosody, null while none runs. */
  pid: number | null;
  /** The most restarts allowed in `windowMs`. */
  maxRestarts: number;
}

/** How restarts are bounded and spaced. */
export interface SupervisionOptions {
  /** Restarts allowed within `windowMs`; one more unexpected exit means "failed". */
  maxRestarts: number;
  /** The sliding window the restarts are counted in (ms). */
  windowMs: number;
  /** Wait before the first restart in the window; doubles for each further one (ms). */
  firstDelayMs: number;
  /** Longest wait before a restart (ms). */
  maxDelayMs: number;
}

export const SUPERVISION: Readonly<SupervisionOptions> = Object.freeze({ maxRestarts: 5, windowMs: 10 * 60_000, firstDelayMs: 250, maxDelayMs: 5_000 });

/** Starts Prosody again and resolves once it is ready; rejects (with nothing left running) if it can't. */
export type StartAgain = (signal: AbortSignal) => Promise<ProsodyProcess>;

const STOP_GRACE_MS = 5_000;

/** Throws unless `o` holds usable numbers. */
export function checkSupervision(o: SupervisionOptions): void {
  for (const [name, v] of Object.entries(o)) {
    if (!Number.isFinite(v) || v < 0) throw new Error(`invalid supervision option ${name}: ${v}`);
  }
  if (!Number.isInteger(o.maxRestarts)) throw new Error(`invalid supervision option maxRestarts: ${o.maxRestarts}`);
}

/** Resolves true after `ms`, or false as soon as `signal` aborts. */
function sleep(ms: number, signal: AbortSignal): Promise<boolean> {
  if (signal.aborted) return Promise.resolve(false);
  return new Promise((resolve) => {
    const done = (ok: boolean) => {
      clearTimeout(timer);
      signal.removeEventListener("abort", onAbort);
      resolve(ok);
    };
    const onAbort = () => done(false);
    const timer = setTimeout(() => done(true), ms);
    signal.addEventListener("abort", onAbort);
  });
}

export class ProsodySupervisor {
  readonly #opts: SupervisionOptions;
  readonly #startAgain: StartAgain;
  readonly #log: Logger;
  readonly #now: () => number;
  readonly #listeners = new Set<(h: ProsodyHealth) => void>();
  readonly #abort = new AbortController();
  /** When each restart in the current window was attempted. */
  #attempts: number[] = [];
  #proc: ProsodyProcess | undefined;
  #health: ProsodyHealth;
  #restarting: Promise<void> | undefined;
  #stopping: Promise<void> | undefined;

  constructor(first: ProsodyProcess, startAgain: StartAgain, opts: SupervisionOptions, log: Logger, now: () => number = () => performance.now()) {
    checkSupervision(opts);
    this.#opts = opts;
    this.#startAgain = startAgain;
    this.#log = log;
    this.#now = now;
    this.#proc = first;
    this.#health = { state: "running", restarts: 0, pid: first.pid, maxRestarts: opts.maxRestarts };
    this.#watch(first);
  }

  health(): ProsodyHealth {
    return { ...this.#health };
  }

  /** Calls `listener` on every change of health; returns the unsubscribe. */
  onHealth(listener: (h: ProsodyHealth) => void): () => void {
    this.#listeners.add(listener);
    return () => void this.#listeners.delete(listener);
  }

  /** Ends supervision, then stops the running Prosody (if any). Idempotent. */
  stop(): Promise<void> {
    this.#stopping ??= (async () => {
      this.#abort.abort();
      await this.#restarting;
      const proc = this.#proc;
      this.#proc = undefined;
      await proc?.stop(STOP_GRACE_MS);
      this.#set({ state: "stopped", pid: null });
    })();
    return this.#stopping;
  }

  #set(patch: Partial<ProsodyHealth>): void {
    const next = { ...this.#health, ...patch };
    const prev = this.#health;
    this.#health = next;
    if (prev.state === next.state && prev.restarts === next.restarts && prev.pid === next.pid) return;
    for (const listener of this.#listeners) {
      try {
        listener({ ...next });
      } catch (err) {
        this.#log.error({ err: (err as Error)?.message }, "a prosody health listener threw");
      }
    }
  }

  #watch(proc: ProsodyProcess): void {
    void proc.exited.then((exit) => {
      if (this.#proc !== proc || this.#abort.signal.aborted) return;
      this.#proc = undefined;
      this.#restarting = this.#restart(proc.pid, exit).catch((err: unknown) => {
        // #restart handles its own failures; this is the last guard that keeps the process up.
        this.#log.error({ err: (err as Error)?.message }, "prosody supervision failed");
        this.#set({ state: "failed", pid: null });
      });
    });
  }

  async #restart(pid: number, exit: ProsodyExit): Promise<void> {
    const { maxRestarts, windowMs, firstDelayMs, maxDelayMs } = this.#opts;
    const signal = this.#abort.signal;
    this.#log.error({ prosodyPid: pid, code: exit.code, signal: exit.signal }, "prosody exited unexpectedly");
    while (!signal.aborted) {
      const now = this.#now();
      this.#attempts = this.#attempts.filter((at) => now - at < windowMs);
      if (this.#attempts.length >= maxRestarts) {
        this.#log.error(
          { restarts: this.#health.restarts, maxRestarts, windowMs },
          `prosody failed: it stopped again after ${maxRestarts} restarts in ${Math.round(windowMs / 60_000)} min; not restarting it (restart deckcast)`,
        );
        this.#set({ state: "failed", pid: null });
        return;
      }
      const delayMs = Math.min(maxDelayMs, firstDelayMs * 2 ** this.#attempts.length);
      this.#set({ state: "restarting", pid: null });
      this.#log.warn({ delayMs, restart: this.#health.restarts + 1, inWindow: this.#attempts.length + 1, maxRestarts }, "restarting prosody");
      if (!(await sleep(delayMs, signal))) return;
      this.#attempts.push(this.#now());
      const restarts = this.#health.restarts + 1;
      let proc: ProsodyProcess;
      try {
        proc = await this.#startAgain(signal);
      } catch (err) {
        if (signal.aborted) return;
        this.#log.error({ restarts, err: (err as Error)?.message?.slice(0, 4000) }, "prosody restart failed");
        this.#set({ restarts });
        continue;
      }
      if (signal.aborted) {
        await proc.stop(STOP_GRACE_MS);
        return;
      }
      this.#proc = proc;
      this.#watch(proc);
      this.#set({ state: "running", restarts, pid: proc.pid });
      this.#log.warn({ prosodyPid: proc.pid, restarts, maxRestarts }, "prosody is running again");
      return;
    }
  }
}
