/**
 * Which strokes an eraser at (x, y) touches. Ink units are 1/10000 of the page's width
 * horizontally and of its height vertically; distances are measured in width units, so
 * `ratio` (page width / height) converts y.
 */
import type { Stroke } from "../../../protocol/types.ts";

export function strokesHit(strokes: readonly Stroke[], x: number, y: number, radius: number, ratio: number): string[] {
  const ys = 1 / ratio; // one y unit (1/10000 of the height) in x units (1/10000 of the width)
  const hit: string[] = [];
  for (const s of strokes) {
    const reach = radius + s.width / 2;
    const p = s.points;
    if (p.length === 2) {
      if (Math.hypot(p[0]! - x, (p[1]! - y) * ys) <= reach) hit.push(s.stroke);
      continue;
    }
    for (let i = 0; i + 3 < p.length; i += 2) {
      if (segmentDistance(x, y * ys, p[i]!, p[i + 1]! * ys, p[i + 2]!, p[i + 3]! * ys) <= reach) {
        hit.push(s.stroke);
        break;
      }
    }
  }
  return hit;
}

function segmentDistance(px: number, py: number, ax: number, ay: number, bx: number, by: number): number {
  const dx = bx - ax;
  const dy = by - ay;
  const len2 = dx * dx + dy * dy;
  const t = len2 === 0 ? 0 : Math.max(0, Math.min(1, ((px - ax) * dx + (py - ay) * dy) / len2));
  return Math.hypot(px - (ax + t * dx), py - (ay + t * dy));
}
