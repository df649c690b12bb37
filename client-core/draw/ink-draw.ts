/**
 * Draws ink (protocol Stroke: points in 0..INK_SCALE across the page) onto a canvas of any
 * pixel size. Presenter, followers, late joiners, replays (web-client dc-stage) and the
 * server's video export (server/export/) all draw with these functions from the same
 * RoomState, so at the same size they produce the same pixels. Pure: any Draw2D context.
 */
import { INK_SCALE, type Stroke } from "../../protocol/types.ts";
import type { Draw2D } from "./context.ts";

/** Highlighter ink is translucent; one stroke is one path, so it never darkens itself. */
const HIGHLIGHTER_ALPHA = 0.38;

export function clearInk(ctx: Draw2D): void {
  ctx.clearRect(0, 0, ctx.canvas.width, ctx.canvas.height);
}

export function drawStrokes(ctx: Draw2D, strokes: readonly Stroke[], box?: InkBox): void {
  for (const s of strokes) drawStroke(ctx, s, box);
}

/** Where the page is on the canvas (default: the whole canvas). */
export interface InkBox {
  x: number;
  y: number;
  width: number;
  height: number;
}

/** Pixels past a shape's edge that antialiasing may touch. */
const AA_PX = 2;

/**
 * Where drawStroke paints `s` in `box`: the points' bounds (the curves through their
 * midpoints stay inside them) grown by half the line (round caps and joins) and the
 * antialiasing; null for a stroke it does not draw.
 */
export function strokeExtent(s: Stroke, box: InkBox): InkBox | null {
  const pts = s.points;
  if (pts.length < 2) return null;
  let x0 = Infinity, y0 = Infinity, x1 = -Infinity, y1 = -Infinity;
  for (let i = 0; i + 1 < pts.length; i += 2) {
    const x = pts[i]!, y = pts[i + 1]!;
    if (x < x0) x0 = x;
    if (x > x1) x1 = x;
    if (y < y0) y0 = y;
    if (y > y1) y1 = y;
  }
  const sx = box.width / INK_SCALE;
  const sy = box.height / INK_SCALE;
  const pad = Math.max(1, s.width * sx) / 2 + AA_PX;
  const left = box.x + x0 * sx - pad;
  const top = box.y + y0 * sy - pad;
  return { x: Math.floor(left), y: Math.floor(top), width: Math.ceil(box.x + x1 * sx + pad) - Math.floor(left), height: Math.ceil(box.y + y1 * sy + pad) - Math.floor(top) };
}

export function drawStroke(ctx: Draw2D, s: Stroke, box?: InkBox): void {
  const { x: ox, y: oy, width: W, height: H } = box ?? { x: 0, y: 0, width: ctx.canvas.width, height: ctx.canvas.height };
  const pts = s.points;
  if (pts.length < 2) return;
  const sx = W / INK_SCALE;
  const sy = H / INK_SCALE;
  const px = (v: number) => ox + v * sx;
  const py = (v: number) => oy + v * sy;
  const lineWidth = Math.max(1, s.width * sx);
  ctx.save();
  ctx.globalAlpha = s.tool === "highlighter" ? HIGHLIGHTER_ALPHA : 1;
  ctx.strokeStyle = s.color;
  ctx.fillStyle = s.color;
  ctx.lineCap = "round";
  ctx.lineJoin = "round";
  ctx.lineWidth = lineWidth;
  if (pts.length === 2) {
    ctx.beginPath();
    ctx.arc(px(pts[0]!), py(pts[1]!), lineWidth / 2, 0, Math.PI * 2);
    ctx.fill();
  } else {
    ctx.beginPath();
    ctx.moveTo(px(pts[0]!), py(pts[1]!));
    // Quadratic curves through the midpoints: smooth, and still passes near every sample.
    for (let i = 2; i < pts.length - 2; i += 2) {
      const x = px(pts[i]!);
      const y = py(pts[i + 1]!);
      const nx = px(pts[i + 2]!);
      const ny = py(pts[i + 3]!);
      ctx.quadraticCurveTo(x, y, (x + nx) / 2, (y + ny) / 2);
    }
    ctx.lineTo(px(pts[pts.length - 2]!), py(pts[pts.length - 1]!));
    ctx.stroke();
  }
  ctx.restore();
}
