/**
 * The video's picture as ffmpeg takes it: one I420 frame (YUV 4:2:0, planar: Y at full size,
 * then U and V at half width and height), BT.601 limited range as ffmpeg's own RGB→YUV
 * conversion makes it. Regions of an RGBA picture are converted into it in place, so a frame
 * where only a stroke grew or the pointer moved costs the conversion of that region, not of
 * 2 million pixels (the prior art's "only the changed regions"), and ffmpeg gets frames it
 * does not have to convert. Pure: typed arrays only.
 */

/** A rectangle of the frame in pixels; `x`, `y`, `width` and `height` even. */
export interface Rect {
  x: number;
  y: number;
  width: number;
  height: number;
}

export class I420Frame {
  readonly width: number;
  readonly height: number;
  /** Y, then U, then V: width × height × 1.5 bytes. */
  readonly bytes: Uint8Array;
  readonly #uAt: number;
  readonly #vAt: number;

  constructor(width: number, height: number) {
    if (width % 2 || height % 2) throw new RangeError(`an I420 frame is even-sized, not ${width}×${height}`);
    this.width = width;
    this.height = height;
    this.bytes = new Uint8Array((width * height * 3) / 2);
    this.#uAt = width * height;
    this.#vAt = this.#uAt + (width * height) / 4;
  }

  /** `r` grown to even edges and cut to the frame; null when nothing of it is inside. */
  even(r: { x: number; y: number; width: number; height: number }): Rect | null {
    const x0 = Math.max(0, Math.floor(r.x / 2) * 2);
    const y0 = Math.max(0, Math.floor(r.y / 2) * 2);
    const x1 = Math.min(this.width, Math.ceil((r.x + r.width) / 2) * 2);
    const y1 = Math.min(this.height, Math.ceil((r.y + r.height) / 2) * 2);
    return x1 > x0 && y1 > y0 ? { x: x0, y: y0, width: x1 - x0, height: y1 - y0 } : null;
  }

  /**
   * Converts `rgba` (the pixels of `at` from its top left, rows `stride` bytes apart; opaque)
   * into the frame at `at` (even, inside the frame). Chroma is the mean of each 2×2 block.
   * True when any byte of the frame changed.
   */
  put(rgba: Uint8Array | Uint8ClampedArray, at: Rect, stride = at.width * 4): boolean {
    const { width: W } = this;
    const out = this.bytes;
    const cw = W / 2;
    let changed = false;
    for (let y = 0; y < at.height; y += 2) {
      const row0 = y * stride;
      const row1 = row0 + stride;
      let yAt0 = (at.y + y) * W + at.x;
      let yAt1 = yAt0 + W;
      let cAt = ((at.y + y) / 2) * cw + at.x / 2;
      for (let x = 0; x < at.width; x += 2) {
        const a = row0 + x * 4;
        const b = row1 + x * 4;
        const r0 = rgba[a]!, g0 = rgba[a + 1]!, b0 = rgba[a + 2]!;
        const r1 = rgba[a + 4]!, g1 = rgba[a + 5]!, b1 = rgba[a + 6]!;
        const r2 = rgba[b]!, g2 = rgba[b + 1]!, b2 = rgba[b + 2]!;
        const r3 = rgba[b + 4]!, g3 = rgba[b + 5]!, b3 = rgba[b + 6]!;
        const y0 = ((66 * r0 + 129 * g0 + 25 * b0 + 128) >> 8) + 16;
        const y1 = ((66 * r1 + 129 * g1 + 25 * b1 + 128) >> 8) + 16;
        const y2 = ((66 * r2 + 129 * g2 + 25 * b2 + 128) >> 8) + 16;
        const y3 = ((66 * r3 + 129 * g3 + 25 * b3 + 128) >> 8) + 16;
        const R = (r0 + r1 + r2 + r3 + 2) >> 2;
        const G = (g0 + g1 + g2 + g3 + 2) >> 2;
        const B = (b0 + b1 + b2 + b3 + 2) >> 2;
        const u = ((-38 * R - 74 * G + 112 * B + 128) >> 8) + 128;
        const v = ((112 * R - 94 * G - 18 * B + 128) >> 8) + 128;
        if (!changed && (out[yAt0] !== y0 || out[yAt0 + 1] !== y1 || out[yAt1] !== y2 || out[yAt1 + 1] !== y3 || out[this.#uAt + cAt] !== u || out[this.#vAt + cAt] !== v)) changed = true;
        out[yAt0] = y0;
        out[yAt0 + 1] = y1;
        out[yAt1] = y2;
        out[yAt1 + 1] = y3;
        out[this.#uAt + cAt] = u;
        out[this.#vAt + cAt] = v;
        yAt0 += 2;
        yAt1 += 2;
        cAt++;
      }
    }
    return changed;
  }

  /** Copies the frame's bytes of `r` (even, inside the frame) into `into`, a frame of the same size. */
  copyRegion(into: Uint8Array, r: Rect): void {
    const { width: W, bytes } = this;
    for (let y = r.y; y < r.y + r.height; y++) {
      const at = y * W + r.x;
      into.set(bytes.subarray(at, at + r.width), at);
    }
    const cw = W / 2;
    for (let y = r.y / 2; y < (r.y + r.height) / 2; y++) {
      const u = this.#uAt + y * cw + r.x / 2;
      const v = this.#vAt + y * cw + r.x / 2;
      into.set(bytes.subarray(u, u + r.width / 2), u);
      into.set(bytes.subarray(v, v + r.width / 2), v);
    }
  }
}
