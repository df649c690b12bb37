/**
 * The frames on their way to ffmpeg: a few buffers, reused, each a copy of the renderer's
 * I420 frame as it was when the buffer was taken (ffmpeg reads it while the next frame is
 * drawn).
 *
 * A buffer is brought up to date by copying only what changed since it last held the
 * picture: the renderer reports each frame's changed regions (`changed`), a buffer remembers
 * which frame it holds, and a buffer taken again gets the regions of the frames in between.
 * Most frames change a stroke's new end or the pointer, a few kilobytes; copying the whole
 * 1080p frame each time was 3.1 MB a frame, 80 GB an hour of session (bench/results/export.json).
 * A buffer too far behind, or regions adding up to half the frame, get a whole copy.
 */
import type { I420Frame, Rect } from "./i420.ts";

/** Changes remembered; a buffer older than this is copied whole. */
const LOG = 16;

export class FrameBuffers {
  readonly #frame: I420Frame;
  readonly #free: Buffer[] = [];
  readonly #waiting: ((b: Buffer | null) => void)[] = [];
  /** The change each buffer holds the picture of (absent: never filled). */
  readonly #holds = new Map<Buffer, number>();
  /** The regions of the last LOG changes, the newest last; change n's are at n - (#change - length + 1). */
  readonly #log: Rect[][] = [];
  #change = 0;
  #gone = false;

  /** `count` buffers of `frame`'s size; once `gone` settles (ffmpeg exited), `take` answers null. */
  constructor(frame: I420Frame, count: number, gone: Promise<unknown>) {
    this.#frame = frame;
    for (let i = 0; i < count; i++) this.#free.push(Buffer.allocUnsafe(frame.bytes.length));
    void gone.then(() => {
      this.#gone = true;
      for (const w of this.#waiting.splice(0)) w(null);
    });
  }

  /** The frame changed, in `regions` only (every byte outside them is as it was). */
  changed(regions: readonly Rect[]): void {
    this.#change++;
    this.#log.push([...regions]);
    if (this.#log.length > LOG) this.#log.shift();
  }

  /** A buffer holding the frame as it is now; null once ffmpeg has exited. */
  async take(): Promise<Buffer | null> {
    if (this.#gone) return null;
    const b = this.#free.pop() ?? (await new Promise<Buffer | null>((resolve) => this.#waiting.push(resolve)));
    if (b === null) return null;
    this.#catchUp(b);
    return b;
  }

  /** `b` is ffmpeg's no longer: free for another frame. */
  give(b: Buffer): void {
    const w = this.#waiting.shift();
    if (w) w(b);
    else this.#free.push(b);
  }

  #catchUp(b: Buffer): void {
    const held = this.#holds.get(b);
    this.#holds.set(b, this.#change);
    if (held === this.#change) return;
    const behind = held === undefined ? Infinity : this.#change - held;
    const regions = behind <= this.#log.length ? this.#log.slice(this.#log.length - behind).flat() : null;
    const area = regions?.reduce((sum, r) => sum + r.width * r.height, 0) ?? Infinity;
    if (regions === null || area * 2 >= this.#frame.width * this.#frame.height) {
      b.set(this.#frame.bytes);
      return;
    }
    for (const r of regions) this.#frame.copyRegion(b, r);
  }
}
