/**
 * <dc-stage>: one page of the deck with its ink and laser pointer, as large as fits, crisp
 * at any size: canvases are sized in device pixels and the page image is fetched at that
 * width (render/page-images.ts). Pages around the shown one are prefetched and decoded, so
 * a turn is one drawImage.
 *
 * With `input` set (the presenter's tool), pointer input on the page is reported in ink
 * units (0..10000 across the page) as `dc-ink-input`; what to do with it is the host's
 * business.
 *
 * @fires dc-ink-input {InkInput} pointer down/move/up on the page, in ink units
 * @fires dc-page-painted {PagePainted} a page was drawn (in the frame that shows it)
 * @fires dc-stage-width {StageWidth} the deck or the image width (device pixels, snapped) changed
 * @slot empty - shown when no deck is open
 */
import { LitElement, css, html, nothing, type PropertyValues } from "lit";
import { customElement, property, query, state } from "lit/decorators.js";
import { INK_SCALE, type Stroke } from "../../../protocol/types.ts";
import { fitBox } from "../render/fit.ts";
import { clearInk, drawStrokes } from "../../../client-core/draw/ink-draw.ts";
import { afterFrame } from "../render/after-frame.ts";
import { pageImages, snapWidth } from "../render/page-images.ts";

export interface InkInput {
  phase: "down" | "move" | "up";
  /** Points since the last report, flat [x0, y0, x1, y1, …] in ink units. */
  points: number[];
}

export interface PagePainted {
  page: number;
  /** Unix ms (fractional) of the frame that shows the page. */
  at: number;
}

export interface StageWidth {
  deck: string;
  /** The page image width the stage draws at (snapWidth of its canvas's device pixels). */
  width: number;
}

export type StageInput = "pen" | "highlighter" | "laser" | "eraser" | null;

@customElement("dc-stage")
export class DcStage extends LitElement {
  static override styles = css`
    :host { display: block; position: relative; min-width: 0; min-height: 0; overflow: hidden; }
    .sheet { position: absolute; background: #fff; box-shadow: 0 2px 18px rgb(0 0 0 / 0.45); border-radius: 2px; }
    canvas { position: absolute; inset: 0; width: 100%; height: 100%; display: block; }
    .ink.input { touch-action: none; cursor: crosshair; }
    .ink.input.eraser { cursor: cell; }
    .ink.input.laser { cursor: none; }
    .pointer {
      position: absolute; width: 16px; height: 16px; margin: -8px 0 0 -8px; border-radius: 50%;
      background: radial-gradient(circle, #ff2d2d 0 35%, rgb(255 45 45 / 0.45) 55%, transparent 72%);
      pointer-events: none; transition: left 40ms linear, top 40ms linear;
    }
    .empty { position: absolute; inset: 0; display: grid; place-items: center; color: #aab3c5; text-align: center; padding: 1rem; }
  `;

  /** Deck id (sha256); null when no deck is open. */
  @property() accessor deck: string | null = null;
  @property({ type: Number }) accessor pages = 0;
  @property({ type: Number }) accessor page = 1;
  /** Page width / height. */
  @property({ type: Number }) accessor ratio = 16 / 9;
  /** Finished strokes of this page. */
  @property({ attribute: false }) accessor strokes: readonly Stroke[] = [];
  /** Strokes of this page still being drawn. */
  @property({ attribute: false }) accessor drawing: readonly Stroke[] = [];
  @property({ attribute: false }) accessor pointer: { x: number; y: number } | null = null;
  /** The presenter's tool: pointer input is reported as dc-ink-input. */
  @property() accessor input: StageInput = null;

  @state() accessor box = { width: 0, height: 0, left: 0, top: 0 };
  @query("canvas.page") accessor pageCanvas!: HTMLCanvasElement;
  @query("canvas.ink") accessor inkCanvas!: HTMLCanvasElement;

  #resize = new ResizeObserver(() => this.#layout());
  #dpr = window.devicePixelRatio || 1;
  /** deck/page/size last drawn at the right resolution ("" = none). */
  #drawn = "";
  /** The ink canvas has strokes on it (false: it is clear). */
  #inked = false;
  /** deck/page last shown at any resolution: dc-page-painted fires once per change. */
  #shown = "";
  #activePointer: number | null = null;
  /** deck/width last told in dc-stage-width. */
  #toldWidth = "";

  override connectedCallback(): void {
    super.connectedCallback();
    this.#resize.observe(this);
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    this.#resize.disconnect();
  }

  override render() {
    const { width, height, left, top } = this.box;
    const p = this.pointer;
    return html`
      <div class="sheet" style="width:${width}px;height:${height}px;left:${left}px;top:${top}px" ?hidden=${!this.deck}>
        <canvas class="page" aria-label="Page ${this.page} of ${this.pages}" role="img"></canvas>
        <canvas
          class="ink ${this.input ? `input ${this.input}` : ""}"
          @pointerdown=${this.#onDown}
          @pointermove=${this.#onMove}
          @pointerup=${this.#onUp}
          @pointercancel=${this.#onUp}
          @lostpointercapture=${this.#onUp}
        ></canvas>
        ${p ? html`<div class="pointer" style="left:${(p.x / INK_SCALE) * width}px;top:${(p.y / INK_SCALE) * height}px"></div>` : nothing}
      </div>
      ${this.deck ? nothing : html`<div class="empty"><slot name="empty">No deck is open yet.</slot></div>`}
    `;
  }

  protected override updated(changed: PropertyValues<this>): void {
    if (changed.has("ratio")) this.#layout();
    const sized = changed.has("box");
    if (sized || changed.has("deck") || changed.has("page")) this.#drawPage();
    if (sized || changed.has("strokes") || changed.has("drawing") || changed.has("deck")) this.#drawInk();
  }

  #layout() {
    const w = this.clientWidth;
    const h = this.clientHeight;
    const fit = fitBox(w, h, this.ratio);
    const box = { ...fit, left: Math.floor((w - fit.width) / 2), top: Math.floor((h - fit.height) / 2) };
    this.#dpr = window.devicePixelRatio || 1;
    const b = this.box;
    if (b.width !== box.width || b.height !== box.height || b.left !== box.left || b.top !== box.top) this.box = box;
  }

  /** Sizes a canvas's backing store to the box in device pixels; true when it changed. */
  #size(canvas: HTMLCanvasElement): boolean {
    const w = Math.max(1, Math.round(this.box.width * this.#dpr));
    const h = Math.max(1, Math.round(this.box.height * this.#dpr));
    if (canvas.width === w && canvas.height === h) return false;
    canvas.width = w;
    canvas.height = h;
    return true;
  }

  #drawPage() {
    const canvas = this.pageCanvas;
    const deck = this.deck;
    if (!canvas || !deck || this.box.width === 0) return;
    const resized = this.#size(canvas);
    const page = this.page;
    const width = snapWidth(canvas.width);
    const key = `${deck}/${page}/${canvas.width}x${canvas.height}`;
    if (this.#toldWidth !== `${deck}/${width}`) {
      this.#toldWidth = `${deck}/${width}`;
      const detail: StageWidth = { deck, width };
      this.dispatchEvent(new CustomEvent<StageWidth>("dc-stage-width", { detail, bubbles: true, composed: true }));
    }
    if (!resized && this.#drawn === key) return;
    const exact = pageImages.peek(deck, page, width);
    const bitmap = exact ?? pageImages.anyReady(deck, page);
    if (bitmap) this.#paint(canvas, bitmap, page, exact ? key : "");
    else canvas.getContext("2d")?.clearRect(0, 0, canvas.width, canvas.height);
    if (!exact) {
      pageImages.load(deck, page, width).then(
        (bmp) => {
          if (this.deck === deck && this.page === page && snapWidth(canvas.width) === width) this.#paint(canvas, bmp, page, `${deck}/${page}/${canvas.width}x${canvas.height}`);
        },
        () => this.#drawn = "", // shown again on the next change; the host reports load errors
      );
    }
    // The neighbours are fetched and decoded after this page is on screen, never before it.
    const pages = this.pages;
    afterFrame(() => {
      if (this.deck === deck && this.page === page) pageImages.prefetch(deck, page, pages, width);
    });
  }

  #paint(canvas: HTMLCanvasElement, bitmap: ImageBitmap, page: number, key: string) {
    const ctx = canvas.getContext("2d");
    if (!ctx) return;
    ctx.imageSmoothingQuality = "high";
    ctx.drawImage(bitmap, 0, 0, canvas.width, canvas.height);
    this.#drawn = key;
    const shown = `${this.deck}/${page}`;
    if (this.#shown === shown) return;
    this.#shown = shown;
    requestAnimationFrame(() => {
      const detail: PagePainted = { page, at: performance.timeOrigin + performance.now() };
      this.dispatchEvent(new CustomEvent<PagePainted>("dc-page-painted", { detail, bubbles: true, composed: true }));
    });
  }

  #drawInk() {
    const canvas = this.inkCanvas;
    if (!canvas || this.box.width === 0) return;
    const resized = this.#size(canvas);
    const empty = this.strokes.length === 0 && this.drawing.length === 0;
    // A page turn with no ink on either page leaves the layer alone: clearing a clear canvas
    // still makes the compositor take the whole layer again (the glass trace, software compositing).
    if (empty && !resized && !this.#inked) return;
    const ctx = canvas.getContext("2d");
    if (!ctx) return;
    clearInk(ctx);
    drawStrokes(ctx, this.strokes);
    drawStrokes(ctx, this.drawing);
    this.#inked = !empty;
  }

  #toInk(e: PointerEvent): number[] {
    const rect = this.inkCanvas.getBoundingClientRect();
    const events = e.type === "pointermove" && e.getCoalescedEvents ? e.getCoalescedEvents() : [e];
    const out: number[] = [];
    for (const ev of events.length ? events : [e]) {
      out.push(clampInk(((ev.clientX - rect.left) / rect.width) * INK_SCALE), clampInk(((ev.clientY - rect.top) / rect.height) * INK_SCALE));
    }
    return out;
  }

  #emit(phase: InkInput["phase"], points: number[]) {
    this.dispatchEvent(new CustomEvent<InkInput>("dc-ink-input", { detail: { phase, points }, bubbles: true, composed: true }));
  }

  #onDown = (e: PointerEvent) => {
    if (!this.input || this.#activePointer !== null || (e.pointerType === "mouse" && e.button !== 0)) return;
    this.#activePointer = e.pointerId;
    this.inkCanvas.setPointerCapture(e.pointerId);
    e.preventDefault();
    this.#emit("down", this.#toInk(e));
  };

  #onMove = (e: PointerEvent) => {
    if (e.pointerId !== this.#activePointer) return;
    this.#emit("move", this.#toInk(e));
  };

  #onUp = (e: PointerEvent) => {
    if (e.pointerId !== this.#activePointer) return;
    this.#activePointer = null;
    this.#emit("up", e.type === "pointerup" ? this.#toInk(e) : []);
  };
}

function clampInk(v: number): number {
  return Math.min(INK_SCALE, Math.max(0, Math.round(v)));
}

declare global {
  interface HTMLElementTagNameMap {
    "dc-stage": DcStage;
  }
  interface HTMLElementEventMap {
    "dc-ink-input": CustomEvent<InkInput>;
    "dc-page-painted": CustomEvent<PagePainted>;
  }
}
