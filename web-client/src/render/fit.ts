/** Largest box of aspect `ratio` (width / height) that fits in `maxW` × `maxH`. */
export function fitBox(maxW: number, maxH: number, ratio: number): { width: number; height: number } {
  if (maxW <= 0 || maxH <= 0 || !(ratio > 0)) return { width: 0, height: 0 };
  return maxW / maxH > ratio ? { width: Math.floor(maxH * ratio), height: Math.floor(maxH) } : { width: Math.floor(maxW), height: Math.floor(maxW / ratio) };
}
