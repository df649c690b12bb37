/**
 * Whether the presenter's microphone is on, as a follower can tell: relayed audio (100 ms
 * pages) arrived within the last QUIET_MS. Followers see "Presenter's microphone is off"
 * until then (<dc-listen>). No DOM; timers are injected for tests.
 */
import { Emitter } from "../../../client-core/emitter.ts";

/** The presenter's microphone counts as on while relayed audio came this recently. */
export const QUIET_MS = 2500;

export interface VoiceTimers {
  set(fn: () => void, ms: number): unknown;
  clear(handle: unknown): void;
}

const browserTimers: VoiceTimers = {
  set: (fn, ms) => setTimeout(fn, ms),
  clear: (h) => clearTimeout(h as ReturnType<typeof setTimeout>),
};

export class VoiceActivity extends Emitter<{ change: [boolean] }> {
  #on = false;
  #timer: unknown = null;
  readonly #timers: VoiceTimers;

  constructor(timers: VoiceTimers = browserTimers) {
    super();
    this.#timers = timers;
  }

  /** True while the presenter's voice is arriving. */
  get speaking(): boolean {
    return this.#on;
  }

  /** Relayed audio arrived. */
  heard(): void {
    if (this.#timer !== null) this.#timers.clear(this.#timer);
    this.#timer = this.#timers.set(() => {
      this.#timer = null;
      this.#set(false);
    }, QUIET_MS);
    this.#set(true);
  }

  /** Forgets the timer (leaving); the voice counts as off. */
  stop(): void {
    if (this.#timer !== null) this.#timers.clear(this.#timer);
    this.#timer = null;
    this.#set(false);
  }

  #set(on: boolean) {
    if (on === this.#on) return;
    this.#on = on;
    this.emit("change", on);
  }
}
