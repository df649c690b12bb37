/**
 * The laser pointer as dc-stage shows it (its `.pointer` CSS): a 16 px dot, border-radius
 * 50%, `radial-gradient(circle, #ff2d2d 0 35%, rgb(255 45 45 / 0.45) 55%, transparent 72%)`.
 * A CSS circle gradient in a 16×16 box reaches the farthest corner (8√2 px), so the stops sit
 * at 35/55/72% of that radius, clipped to the 8 px circle. `scale` is device pixels per CSS
 * pixel (the stage's devicePixelRatio; the export's choice). Pure: any Draw2D context.
 */
import type { Draw2D } from "./context.ts";

export const POINTER_CSS_PX = 16;

export function drawPointer(ctx: Draw2D, cx: number, cy: number, scale = 1): void {
  const r = (POINTER_CSS_PX / 2) * scale;
  const far = r * Math.SQRT2;
  const g = ctx.createRadialGradient(cx, cy, 0, cx, cy, far);
  g.addColorStop(0, "rgba(255,45,45,1)");
  g.addColorStop(0.35, "rgba(255,45,45,1)");
  g.addColorStop(0.55, "rgba(255,45,45,0.45)");
  g.addColorStop(0.72, "rgba(255,45,45,0)"); // `transparent`, interpolated premultiplied in CSS
  g.addColorStop(1, "rgba(255,45,45,0)");
  ctx.save();
  ctx.globalAlpha = 1;
  ctx.beginPath();
  ctx.arc(cx, cy, r, 0, Math.PI * 2);
  ctx.clip();
  ctx.fillStyle = g;
  ctx.fillRect(cx - r, cy - r, 2 * r, 2 * r);
  ctx.restore();
}

/** Where drawPointer paints: its circle's bounds and a pixel or two of antialiasing. */
export function pointerExtent(cx: number, cy: number, scale = 1): { x: number; y: number; width: number; height: number } {
  const r = (POINTER_CSS_PX / 2) * scale + 2;
  const x = Math.floor(cx - r);
  const y = Math.floor(cy - r);
  return { x, y, width: Math.ceil(cx + r) - x, height: Math.ceil(cy + r) - y };
}
