/**
 * Turns the presenter's pointer input on a page into deckcast events
 * (docs/protocol.md §Events):
 *
 * - pen / highlighter: `ink-progress` with the new points every BATCH_MS while drawing (so
 *   followers see the stroke grow), then `ink-stroke` with all points at pen-up. A stroke
 *   longer than MAX_POINTS is finished and a new one continues from its last point, which
 *   keeps every stanza far below the server's 64 KiB limit.
 * - eraser: `ink-erase` for the strokes it touches, as it touches them.
 * - laser: `pointer` at most every POINTER_MS, and a hidden `pointer` at release.
 *
 * Timers come from RecorderTimers (the browser's by default; tests give their own clock).
 */
import type { DeckEvent, InkTool, Stroke } from "../../../protocol/types.ts";
import { randomId } from "../app/ids.ts";
import { strokesHit } from "./hit-test.ts";

export type Tool = InkTool | "laser" | "eraser";

export interface InkStyle {
  color: string;
  /** Line width in ink units (1/10000 of the page width). */
  width: number;
}

export interface RecorderHost {
  /** Session clock for event times. */
  clock(): number;
  send(events: DeckEvent[]): void;
  /** Finished strokes on `page` as the presenter sees them (for the eraser). */
  strokes(page: number): readonly Stroke[];
  /** Page width / height (for the eraser's distances). */
  ratio(): number;
  /** The stroke being drawn changed (redraw it without waiting for the next batch). */
  changed(): void;
}

/** The recorder's clock and timers (ms). */
export interface RecorderTimers {
  now(): number;
  /** Calls `fn` every `ms` until cleared. */
  every(fn: () => void, ms: number): unknown;
  /** Calls `fn` once after `ms` unless cleared. */
  after(fn: () => void, ms: number): unknown;
  clear(handle: unknown): void;
}

/** The browser's (and Node's) clock and timers. */
export const browserTimers: RecorderTimers = {
  now: () => Date.now(),
  every: (fn, ms) => setInterval(fn, ms),
  after: (fn, ms) => setTimeout(fn, ms),
  // One list of timers behind both (HTML and Node alike): clearTimeout ends an interval too.
  clear: (h) => clearTimeout(h as ReturnType<typeof setTimeout>),
};

export const BATCH_MS = 50;
export const POINTER_MS = 40;
/** Points per stroke (x, y pairs); ~10 characters each on the wire. */
export const MAX_POINTS = 2000;
/** Eraser reach in ink units. */
export const ERASER_RADIUS = 120;

interface Current {
  stroke: string;
  page: number;
  tool: InkTool;
  color: string;
  width: number;
  points: number[];
  /** Numbers already sent in ink-progress events. */
  sent: number;
}

export class InkRecorder {
  #current: Current | null = null;
  #timer: unknown = null;
  #pointerAt = 0;
  #pointerPending: { page: number; x: number; y: number } | null = null;
  #pointerTimer: unknown = null;
  #erased = new Set<string>();
  #n = 0;
  readonly #prefix = randomId(6);
  readonly #host: RecorderHost;
  readonly #timers: RecorderTimers;

  constructor(host: RecorderHost, timers: RecorderTimers = browserTimers) {
    this.#host = host;
    this.#timers = timers;
  }

  /** The stroke being drawn right now, with every point so far (null when none). */
  get current(): (Stroke & { page: number }) | null {
    const c = this.#current;
    return c && { stroke: c.stroke, page: c.page, tool: c.tool, color: c.color, width: c.width, points: c.points };
  }

  input(tool: Tool, style: InkStyle, page: number, phase: "down" | "move" | "up", points: number[]): void {
    switch (tool) {
      case "pen":
      case "highlighter":
        return this.#ink(tool, style, page, phase, points);
      case "eraser":
        return this.#erase(page, phase, points);
      case "laser":
        return this.#laser(page, phase, points);
    }
  }

  /** Ends whatever is in progress (tool change, page turn, leaving). */
  finish(): void {
    if (this.#current) this.#endStroke();
    if (this.#pointerPending || this.#pointerTimer) this.#laser(this.#pointerPending?.page ?? 1, "up", []);
    this.#erased.clear();
  }

  #ink(tool: InkTool, style: InkStyle, page: number, phase: "down" | "move" | "up", points: number[]) {
    if (phase === "down") {
      if (this.#current) this.#endStroke();
      this.#current = { stroke: `${this.#prefix}${++this.#n}`, page, tool, color: style.color, width: style.width, points: [], sent: 0 };
      this.#timer = this.#timers.every(() => this.#flushProgress(), BATCH_MS);
    }
    let c = this.#current;
    if (!c) return;
    for (let i = 0; i + 1 < points.length; i += 2) {
      const n = c.points.length;
      if (n >= 2 && c.points[n - 2] === points[i] && c.points[n - 1] === points[i + 1]) continue;
      c.points.push(points[i]!, points[i + 1]!);
      if (c.points.length >= MAX_POINTS * 2) {
        // Too long for one stroke: finish it and carry on seamlessly in a new one.
        const [x, y] = [points[i]!, points[i + 1]!];
        this.#endStroke();
        // The rest of this batch goes on in the new stroke (the one sent must not grow).
        c = this.#current = { ...c, stroke: `${this.#prefix}${++this.#n}`, points: [x, y], sent: 0 };
        this.#timer = this.#timers.every(() => this.#flushProgress(), BATCH_MS);
      }
    }
    this.#host.changed();
    if (phase === "up") this.#endStroke();
  }

  #flushProgress() {
    const c = this.#current;
    if (!c || c.points.length <= c.sent) return;
    const t = this.#host.clock();
    this.#host.send([{ type: "ink-progress", t, page: c.page, stroke: c.stroke, tool: c.tool, color: c.color, width: c.width, points: c.points.slice(c.sent) }]);
    c.sent = c.points.length;
  }

  #endStroke() {
    const c = this.#current;
    if (this.#timer) this.#timers.clear(this.#timer);
    this.#timer = null;
    this.#current = null;
    if (!c || c.points.length === 0) return;
    const t = this.#host.clock();
    this.#host.send([{ type: "ink-stroke", t, page: c.page, stroke: c.stroke, tool: c.tool, color: c.color, width: c.width, points: c.points }]);
    this.#host.changed();
  }

  #erase(page: number, phase: "down" | "move" | "up", points: number[]) {
    if (phase === "down") this.#erased.clear();
    const strokes = this.#host.strokes(page).filter((s) => !this.#erased.has(s.stroke));
    const hit = new Set<string>();
    for (let i = 0; i + 1 < points.length; i += 2) {
      for (const id of strokesHit(strokes, points[i]!, points[i + 1]!, ERASER_RADIUS, this.#host.ratio())) hit.add(id);
    }
    if (hit.size > 0) {
      for (const id of hit) this.#erased.add(id);
      this.#host.send([{ type: "ink-erase", t: this.#host.clock(), page, strokes: [...hit] }]);
    }
    if (phase === "up") this.#erased.clear();
  }

  #laser(page: number, phase: "down" | "move" | "up", points: number[]) {
    if (phase === "up") {
      if (this.#pointerTimer) this.#timers.clear(this.#pointerTimer);
      this.#pointerTimer = null;
      this.#pointerPending = null;
      this.#host.send([{ type: "pointer", t: this.#host.clock(), page }]);
      return;
    }
    if (points.length < 2) return;
    this.#pointerPending = { page, x: points[points.length - 2]!, y: points[points.length - 1]! };
    const wait = this.#pointerAt + POINTER_MS - this.#timers.now();
    if (wait <= 0) this.#sendPointer();
    else this.#pointerTimer ??= this.#timers.after(() => this.#sendPointer(), wait);
  }

  #sendPointer() {
    this.#pointerTimer = null;
    const p = this.#pointerPending;
    if (!p) return;
    this.#pointerPending = null;
    this.#pointerAt = this.#timers.now();
    this.#host.send([{ type: "pointer", t: this.#host.clock(), page: p.page, x: p.x, y: p.y }]);
  }
}
