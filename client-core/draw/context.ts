/**
 * The part of a 2D canvas context the shared drawing code uses: both the browser's
 * CanvasRenderingContext2D and @napi-rs/canvas's SKRSContext2D satisfy it, so the web
 * client's stage and the server's video export draw ink and the pointer with the same code.
 * Pure types, no DOM.
 */

/** A colour gradient as both canvases make it. */
export interface Gradient2D {
  addColorStop(offset: number, color: string): void;
}

export interface Draw2D {
  readonly canvas: { width: number; height: number };
  globalAlpha: number;
  strokeStyle: string | object;
  fillStyle: string | object;
  lineCap: string;
  lineJoin: string;
  lineWidth: number;
  save(): void;
  restore(): void;
  clearRect(x: number, y: number, w: number, h: number): void;
  fillRect(x: number, y: number, w: number, h: number): void;
  beginPath(): void;
  moveTo(x: number, y: number): void;
  lineTo(x: number, y: number): void;
  quadraticCurveTo(cpx: number, cpy: number, x: number, y: number): void;
  arc(x: number, y: number, r: number, start: number, end: number): void;
  stroke(): void;
  fill(): void;
  clip(): void;
  createRadialGradient(x0: number, y0: number, r0: number, x1: number, y1: number, r1: number): Gradient2D;
}
