/**
 * Draws ink (protocol Stroke: points in 0..INK_SCALE across the page) onto a canvas of any
 * pixel size. Presenter, followers, late joiners and replays all draw with this one
 * function from the same RoomState, so at the same size they produce the same pixels.
 */
import { INK_SCALE, type Stroke } from "../../../protocol/types.ts";

/** Highlighter ink is translucent; one stroke is one path, so it never darkens itself. */
const HIGHLIGHTER_ALPHA = 0.38;

export function clearInk(ctx: CanvasRenderingContext2D): void {
  ctx.clearRect(0, 0, ctx.canvas.width, ctx.canvas.height);
}

export function drawStrokes(ctx: CanvasRenderingContext2D, strokes: readonly Stroke[]): void {
  for (const s of strokes) drawStroke(ctx, s);
}

export function drawStroke(ctx: CanvasRenderingContext2D, s: Stroke): void {
  const { width: W, height: H } = ctx.canvas;
  const pts = s.points;
  if (pts.length < 2) return;
  const sx = W / INK_SCALE;
  const sy = H / INK_SCALE;
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
    ctx.arc(pts[0]! * sx, pts[1]! * sy, lineWidth / 2, 0, Math.PI * 2);
    ctx.fill();
  } else {
    ctx.beginPath();
    ctx.moveTo(pts[0]! * sx, pts[1]! * sy);
    // Quadratic curves through the midpoints: smooth, and still passes near every sample.
    for (let i = 2; i < pts.length - 2; i += 2) {
      const x = pts[i]! * sx;
      const y = pts[i + 1]! * sy;
      const nx = pts[i + 2]! * sx;
      const ny = pts[i + 3]! * sy;
      ctx.quadraticCurveTo(x, y, (x + nx) / 2, (y + ny) / 2);
    }
    ctx.lineTo(pts[pts.length - 2]! * sx, pts[pts.length - 1]! * sy);
    ctx.stroke();
  }
  ctx.restore();
}
