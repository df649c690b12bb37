/**
 * One picture of the stage, as dc-stage composes it: the page (white sheet, the page image
 * filling it), the page's finished strokes then the strokes being drawn on it, then the
 * laser pointer when it is on this page. The page image is the caller's (`paintPage`, since
 * browser and Node images differ); everything else is drawn here. Pure: any Draw2D context.
 */
import { INK_SCALE, type RoomState, type Stroke } from "../../protocol/types.ts";
import type { Draw2D } from "./context.ts";
import { drawStrokes, type InkBox } from "./ink-draw.ts";
import { drawPointer } from "./pointer-draw.ts";

/** What of a room the stage shows: its page, ink and pointer (as dc-replay hands them to dc-stage). */
export interface StageView {
  deck: string | null;
  page: number;
  strokes: readonly Stroke[];
  drawing: readonly Stroke[];
  pointer: { x: number; y: number } | null;
}

export function stageView(s: RoomState): StageView {
  const page = s.page;
  return {
    deck: s.deck?.id ?? null,
    page,
    strokes: Object.hasOwn(s.ink, page) ? (s.ink[page] ?? []) : [],
    drawing: Object.values(s.drawing).filter((d) => d.page === page),
    pointer: s.pointer && s.pointer.page === page ? { x: s.pointer.x, y: s.pointer.y } : null,
  };
}

export interface ComposeOptions {
  /** Where the page goes on the canvas. */
  box: InkBox;
  /** Around the page (the canvas outside the box). */
  background?: string;
  /** Draws the page image into the box; false when there is none (the sheet stays white). */
  paintPage?: (ctx: Draw2D, box: InkBox) => void;
  /** Device pixels per CSS pixel, for the pointer's size. */
  pointerScale?: number;
}

/** The page under its ink (no pointer): what changes only with a turn or a finished stroke. */
export function composeBase(ctx: Draw2D, view: StageView, o: ComposeOptions): void {
  const { width, height } = ctx.canvas;
  ctx.fillStyle = o.background ?? "#000000";
  ctx.fillRect(0, 0, width, height);
  if (view.deck === null) return;
  ctx.fillStyle = "#ffffff";
  ctx.fillRect(o.box.x, o.box.y, o.box.width, o.box.height);
  o.paintPage?.(ctx, o.box);
  drawStrokes(ctx, view.strokes, o.box);
}

/** What moves on top of the base: strokes in progress and the pointer. */
export function composeTop(ctx: Draw2D, view: StageView, o: ComposeOptions): void {
  if (view.deck === null) return;
  drawStrokes(ctx, view.drawing, o.box);
  const p = view.pointer;
  if (p) drawPointer(ctx, o.box.x + (p.x / INK_SCALE) * o.box.width, o.box.y + (p.y / INK_SCALE) * o.box.height, o.pointerScale ?? 1);
}

export function composeFrame(ctx: Draw2D, view: StageView, o: ComposeOptions): void {
  composeBase(ctx, view, o);
  composeTop(ctx, view, o);
}
