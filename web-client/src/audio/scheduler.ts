/**
 * Decoded audio onto an AudioContext's timeline: each buffer starts where the jitter
 * buffer's offset puts its session time, without overlapping what is already scheduled
 * and without anything already past (those parts are cut off). When the offset moves
 * earlier (catching up), everything not yet played is scheduled again under the new
 * offset, so the skipped time is skipped once, now.
 */

/** Overlaps shorter than this (float rounding between back-to-back packets) are not cut. */
const EPSILON = 0.0005;
/** Audio due sooner than this is not worth starting (it would start late and click). */
export const MARGIN = 0.003;

interface Scheduled {
  source: AudioBufferSourceNode;
  buffer: AudioBuffer;
  /** Session time (ms) of the buffer's first sample. */
  at: number;
}

export class BufferScheduler {
  /** Context time up to which audio is scheduled. */
  until = 0;
  /** Buffers (or packets, see `covers`) not played because they were past or covered. */
  dropped = 0;
  #scheduled = new Set<Scheduled>();
  readonly #context: AudioContext;
  readonly #output: AudioNode;

  constructor(context: AudioContext, output: AudioNode) {
    this.#context = context;
    this.#output = output;
  }

  /** True when audio ending at context time `end` would play nothing (past, or already scheduled). */
  covers(end: number): boolean {
    return end <= Math.max(this.until, this.#context.currentTime + MARGIN) + EPSILON;
  }

  /** Plays `buffer`, whose first sample is session time `at`, at context time at / 1000 + offset. */
  play(buffer: AudioBuffer, at: number, offset: number): void {
    const when = at / 1000 + offset;
    let cut = Math.max(this.until - when, this.#context.currentTime + MARGIN - when, 0);
    if (cut < EPSILON) cut = 0;
    if (cut >= buffer.duration) {
      this.dropped++;
      return;
    }
    const source = this.#context.createBufferSource();
    source.buffer = buffer;
    source.connect(this.#output);
    source.start(when + cut, cut);
    this.until = when + buffer.duration;
    const item = { source, buffer, at };
    this.#scheduled.add(item);
    source.onended = () => this.#scheduled.delete(item);
  }

  /** Schedules everything not yet played again, under `offset`. */
  reschedule(offset: number): void {
    const items = [...this.#scheduled].sort((a, b) => a.at - b.at);
    this.#scheduled.clear();
    this.until = 0;
    for (const item of items) {
      item.source.onended = null;
      item.source.stop();
      item.source.disconnect();
      this.play(item.buffer, item.at, offset);
    }
  }
}
