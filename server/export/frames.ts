/**
 * Renders the session's pictures on @napi-rs/canvas with the web client's own drawing code
 * (client-core/draw/): the page image from the deck store (pdftoppm, at the page box's width
 * snapped as the stage asks for it), the page's ink, strokes in progress and the pointer.
 *
 * Only what changed is drawn and converted (`next`): the page under its finished ink is a
 * base canvas, redrawn whole only on a turn or when ink is removed (a new finished stroke is
 * drawn onto it); the picture is a second canvas, and a frame repaints only the regions that
 * changed — the new end of a stroke that grew (grownFrom), strokes finished or gone, and
 * where the pointer was and is (strokeExtent / pointerExtent: the drawing code's own
 * bounds) — from the base plus the strokes in progress and the pointer, clipped to each region. Those regions alone are read
 * back and converted into the I420 frame ffmpeg takes (i420.ts); `next` reports the regions
 * whose bytes changed (none: a frame the same as the last). `render` draws a whole picture as RGBA
 * (what the fidelity test compares with the replay player's canvas).
 */
import { createCanvas, loadImage, type Canvas, type Image, type SKRSContext2D } from "@napi-rs/canvas";
import { snapWidth } from "../../protocol/deck-urls.ts";
import { ExportError } from "../../protocol/export.ts";
import type { RoomState, Stroke } from "../../protocol/types.ts";
import { composeBase, composeFrame, composeTop, stageView, type ComposeOptions, type StageView } from "../../client-core/draw/compose.ts";
import type { Draw2D } from "../../client-core/draw/context.ts";
import { drawStroke, strokeExtent, type InkBox } from "../../client-core/draw/ink-draw.ts";
import { pointerExtent } from "../../client-core/draw/pointer-draw.ts";
import { INK_SCALE } from "../../protocol/types.ts";
import { I420Frame, type Rect } from "./i420.ts";

/** What the renderer needs of the deck store (server/decks/service.ts). */
export interface ExportDecks {
  get(id: string): { pages: number; pageSizes: readonly { width: number; height: number }[] } | null;
  pageImage(id: string, page: number, width: number): Promise<{ ok: true; value: string } | { ok: false; error: unknown }>;
}

export const BACKGROUND = "#000000";

/** The largest box of the page's aspect in the frame, centred (as dc-stage lays out the sheet). */
export function pageBox(frameW: number, frameH: number, ratio: number): InkBox {
  const fit = frameW / frameH > ratio ? { width: Math.floor(frameH * ratio), height: frameH } : { width: frameW, height: Math.floor(frameW / ratio) };
  // Within a pixel of the frame is the frame (its size was rounded from this ratio, as the stage's canvas is).
  if (frameW - fit.width <= 1 && frameH - fit.height <= 1) return { x: 0, y: 0, width: frameW, height: frameH };
  return { ...fit, x: Math.floor((frameW - fit.width) / 2), y: Math.floor((frameH - fit.height) / 2) };
}

export function pageRatio(decks: ExportDecks, deck: string, page: number): number {
  const info = decks.get(deck);
  const size = info?.pageSizes[page - 1] ?? info?.pageSizes[0];
  return size && size.height > 0 ? size.width / size.height : 16 / 9;
}

/** Frame size for a deck's first page at `width` (even, as x264's 4:2:0 wants). */
export function frameSize(width: number, ratio: number): { width: number; height: number } {
  const w = width - (width % 2);
  const h = Math.max(2, Math.round(w / ratio / 2) * 2);
  return { width: w, height: h };
}

/** Regions a frame repaints one by one; more than this, and their bounds are repainted at once. */
const MAX_REGIONS = 8;

export class FrameRenderer {
  readonly width: number;
  readonly height: number;
  /** The picture as of the last `next`, as ffmpeg takes it. */
  readonly frame: I420Frame;
  readonly #decks: ExportDecks;
  readonly #pointerScale: number;
  /** The page under its finished ink. */
  readonly #base: Canvas;
  readonly #baseCtx: SKRSContext2D;
  /** The picture: the base, then strokes in progress and the pointer. */
  readonly #out: Canvas;
  readonly #outCtx: SKRSContext2D;
  readonly #images = new Map<string, Image>();
  readonly #scratches = new Map<number, Canvas>();
  /** What `next` last drew (null: nothing yet, the next frame is drawn whole). */
  #lastView: StageView | null = null;

  /**
   * How the page image is scaled into its box. "medium" on @napi-rs/canvas gives the pixels
   * Chromium's stage shows with "high" (94 dB PSNR measured, against 61 dB for "high" here:
   * the two libraries name their filters differently), so it is the default.
   */
  readonly #smoothing: "low" | "medium" | "high";

  constructor(width: number, height: number, decks: ExportDecks, { pointerScale, smoothing = "medium" }: { pointerScale?: number; smoothing?: "low" | "medium" | "high" } = {}) {
    this.#smoothing = smoothing;
    this.width = width;
    this.height = height;
    this.frame = new I420Frame(width, height);
    this.#decks = decks;
    // The stage's pointer is 16 CSS px; a video is seen as a 1280 px wide stage would be.
    this.#pointerScale = pointerScale ?? width / 1280;
    this.#base = createCanvas(width, height);
    this.#baseCtx = this.#base.getContext("2d");
    this.#out = createCanvas(width, height);
    this.#outCtx = this.#out.getContext("2d");
  }

  async #image(deck: string, page: number, width: number): Promise<Image> {
    const key = `${deck}/${page}/${width}`;
    const have = this.#images.get(key);
    if (have) return have;
    if (!this.#decks.get(deck)) throw new ExportError("missing-deck", `Deck ${deck.slice(0, 12)}… is not in the deck store.`);
    const made = await this.#decks.pageImage(deck, page, width);
    if (!made.ok) throw new ExportError("missing-deck", `Page ${page} of deck ${deck.slice(0, 12)}… cannot be rendered.`);
    const img = await loadImage(made.value);
    if (this.#images.size >= 3) this.#images.delete(this.#images.keys().next().value!);
    this.#images.set(key, img);
    return img;
  }

  async #options(view: StageView): Promise<ComposeOptions> {
    const box = view.deck === null ? { x: 0, y: 0, width: this.width, height: this.height } : pageBox(this.width, this.height, pageRatio(this.#decks, view.deck, view.page));
    const img = view.deck === null ? null : await this.#image(view.deck, view.page, snapWidth(box.width));
    return {
      box,
      background: BACKGROUND,
      pointerScale: this.#pointerScale,
      paintPage: img
        ? (ctx: Draw2D, b: InkBox) => {
            const c = ctx as unknown as SKRSContext2D;
            c.imageSmoothingEnabled = true;
            c.imageSmoothingQuality = this.#smoothing;
            c.drawImage(img, b.x, b.y, b.width, b.height);
          }
        : undefined,
    } as ComposeOptions;
  }

  /** The room's whole picture as RGBA, drawn afresh (a canvas of its own: `next`'s state is untouched). */
  async render(state: RoomState): Promise<Buffer> {
    const view = stageView(state);
    const canvas = createCanvas(this.width, this.height);
    composeFrame(canvas.getContext("2d"), view, await this.#options(view));
    return canvas.data();
  }

  /**
   * Draws the room's picture into `frame`, only what changed since the last call, and says
   * where its bytes changed (every byte outside `regions` is as it was; none: the same frame).
   */
  async next(state: RoomState): Promise<{ regions: Rect[] }> {
    const view = stageView(state);
    const last = this.#lastView;
    // The reducer shares what did not change, so the same parts mean the same picture: not drawn again.
    if (last && sameView(view, last)) return { regions: [] };
    const o = await this.#options(view);
    this.#lastView = view;
    const regions = last ? this.#regions(last, view, o) : null;
    if (regions === null) {
      composeBase(this.#baseCtx, view, o);
      this.#outCtx.drawImage(this.#base, 0, 0);
      composeTop(this.#outCtx, view, o);
      const whole = { x: 0, y: 0, width: this.width, height: this.height };
      return { regions: this.frame.put(this.#out.data(), whole) ? [whole] : [] };
    }
    const changed: Rect[] = [];
    for (const r of regions) {
      // Each region is drawn afresh on a scratch canvas (the base under it, then the strokes in
      // progress and the pointer, moved by whole pixels), read back with data() — a Buffer,
      // which the GC counts; getImageData's pixels are memory it does not see, and pile up.
      const scratch = this.#scratch(r.width, r.height);
      const c = scratch.getContext("2d");
      c.drawImage(this.#base, r.x, r.y, r.width, r.height, 0, 0, r.width, r.height);
      c.save();
      c.translate(-r.x, -r.y);
      composeTop(c, view, o);
      c.restore();
      if (this.frame.put(scratch.data(), r, scratch.width * 4)) changed.push(r);
    }
    return { regions: changed };
  }

  /**
   * The regions that differ between `a`'s picture and `b`'s, with `b`'s new finished strokes
   * drawn onto the base; null when the picture must be drawn whole (another page, ink removed).
   */
  /** A scratch canvas at least w × h (sizes by powers of two, kept: a few, most of them small). */
  #scratch(w: number, h: number): Canvas {
    const bw = Math.min(this.width, 2 ** Math.ceil(Math.log2(Math.max(16, w))));
    const bh = Math.min(this.height, 2 ** Math.ceil(Math.log2(Math.max(16, h))));
    const key = bw * 65536 + bh;
    let c = this.#scratches.get(key);
    if (!c) {
      c = createCanvas(Math.max(bw, w), Math.max(bh, h));
      this.#scratches.set(key, c);
    }
    return c;
  }

  #regions(a: StageView, b: StageView, o: ComposeOptions): Rect[] | null {
    if (a.deck !== b.deck || a.page !== b.page || b.deck === null) return null;
    const found: Rect[] = [];
    const add = (r: { x: number; y: number; width: number; height: number } | null) => {
      const even = r && this.frame.even(r);
      if (even) found.push(even);
    };
    // In-progress strokes of `a` that `b` shows grown: only the new end is repainted.
    const grown = new Set<Stroke>();
    if (a.strokes !== b.strokes) {
      if (b.strokes.length < a.strokes.length || !a.strokes.every((s, i) => s === b.strokes[i])) return null;
      for (const s of b.strokes.slice(a.strokes.length)) {
        drawStroke(this.#baseCtx, s, o.box);
        add(strokeExtent(s, o.box));
      }
    }
    for (const s of b.drawing) {
      if (a.drawing.includes(s)) continue;
      const before = a.drawing.find((d) => d.stroke === s.stroke);
      const from = before ? grownFrom(before, s) : -1;
      if (from < 0) {
        add(strokeExtent(s, o.box));
        continue;
      }
      // A stroke that grew: only its end moved (grownFrom), not the whole stroke.
      grown.add(before!);
      add(strokeExtent({ ...s, points: s.points.slice(from) }, o.box));
    }
    for (const s of a.drawing) if (!b.drawing.includes(s) && !grown.has(s)) add(strokeExtent(s, o.box));
    const pa = a.pointer;
    const pb = b.pointer;
    if (pa?.x !== pb?.x || pa?.y !== pb?.y) {
      for (const p of [pa, pb]) if (p) add(pointerExtent(o.box.x + (p.x / INK_SCALE) * o.box.width, o.box.y + (p.y / INK_SCALE) * o.box.height, this.#pointerScale));
    }
    if (found.length <= MAX_REGIONS) return found;
    const x0 = Math.min(...found.map((r) => r.x));
    const y0 = Math.min(...found.map((r) => r.y));
    const x1 = Math.max(...found.map((r) => r.x + r.width));
    const y1 = Math.max(...found.map((r) => r.y + r.height));
    return [{ x: x0, y: y0, width: x1 - x0, height: y1 - y0 }];
  }
}

/**
 * Where `b`, the same stroke as `a` with points added, starts to differ from it: the index in
 * `b.points` of the first point whose curve changed (drawStroke's path through the midpoints
 * is the same up to the midpoint of `a`'s last two points; from there it is a new line).
 * -1 when `b` is not `a` grown (another style, points changed, or none added).
 */
export function grownFrom(a: Stroke, b: Stroke): number {
  const n = a.points.length;
  if (a.tool !== b.tool || a.color !== b.color || a.width !== b.width || b.points.length <= n || n < 2) return -1;
  for (let i = 0; i < n; i++) if (a.points[i] !== b.points[i]) return -1;
  return Math.max(0, n - 4);
}

function sameView(a: StageView, b: StageView): boolean {
  if (a.deck !== b.deck || a.page !== b.page || a.strokes !== b.strokes || a.drawing.length !== b.drawing.length) return false;
  if (!a.drawing.every((d, i) => d === b.drawing[i])) return false;
  return a.pointer === null ? b.pointer === null : b.pointer !== null && a.pointer.x === b.pointer.x && a.pointer.y === b.pointer.y;
}
