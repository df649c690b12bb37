/**
 * The export's renderer draws and converts only what changed (server/export/frames.ts), and
 * that is exact: over random sessions (strokes growing and finished, pen and highlighter,
 * undo, clear, pointer moves and hides, page turns, a second deck), after every frame the
 * I420 picture it keeps is the conversion of the whole picture drawn afresh: byte for byte
 * where only the page and finished ink are shown, above 50 dB PSNR with strokes in progress
 * or the pointer (antialiasing under a clip).
 * Page images are real PNG files drawn for the test (with a pattern, so a misplaced region
 * would show). The buffers frames go to ffmpeg in, brought up to date from the regions the
 * renderer reports, are the frame byte for byte. Also the conversion itself: BT.601 limited
 * range, as ffmpeg makes it.
 */
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { createCanvas } from "@napi-rs/canvas";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { stageView } from "../../client-core/draw/compose.ts";
import type { Bundle, DeckEvent } from "../../protocol/types.ts";
import { stateAt } from "../../server/export/export-session.ts";
import { FrameBuffers } from "../../server/export/frame-buffers.ts";
import { FrameRenderer, type ExportDecks } from "../../server/export/frames.ts";
import { I420Frame } from "../../server/export/i420.ts";
import { timeline } from "../../server/export/timeline.ts";
import { rng } from "../support/rng.ts";

const DECK_A = { id: "a".repeat(64), pages: 3, title: "A" };
const DECK_B = { id: "b".repeat(64), pages: 2, title: "B" };
let dir = "";
const files = new Map<string, string>();

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), "deckcast-export-frames-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** A page image with a pattern of its own (per deck and page), as the deck store would give a path to. */
const decks: ExportDecks = {
  get: (id) => (id === DECK_A.id ? { pages: 3, pageSizes: [{ width: 1600, height: 900 }, { width: 1600, height: 900 }, { width: 900, height: 1200 }] } : id === DECK_B.id ? { pages: 2, pageSizes: [{ width: 1000, height: 1000 }] } : null),
  async pageImage(id, page, width) {
    const key = `${id[0]}-${page}-${width}`;
    let file = files.get(key);
    if (!file) {
      const size = decks.get(id)!.pageSizes[page - 1] ?? decks.get(id)!.pageSizes[0]!;
      const h = Math.round((width * size.height) / size.width);
      const c = createCanvas(width, h);
      const ctx = c.getContext("2d");
      for (let y = 0; y < h; y += 8) for (let x = 0; x < width; x += 8) {
        ctx.fillStyle = `rgb(${(x * 3 + page * 40) % 256},${(y * 5) % 256},${id === DECK_A.id ? 200 : 60})`;
        ctx.fillRect(x, y, 8, 8);
      }
      file = path.join(dir, `${key}.png`);
      await writeFile(file, c.toBuffer("image/png"));
      files.set(key, file);
    }
    return { ok: true, value: file };
  },
};

function session(seed: number): Bundle[] {
  const r = rng(seed);
  const int = (n: number) => Math.floor(r() * n);
  const out: Bundle[] = [{ id: "b0", t: 0, seq: 1, events: [{ type: "deck-open", t: 0, deck: DECK_A }] }];
  const growing = new Map<string, number[]>();
  let t = 0;
  for (let seq = 2; seq < 90; seq++) {
    t += 20 + int(60);
    const events: DeckEvent[] = [];
    for (let k = 1 + int(3); k > 0; k--) {
      const page = 1 + int(2);
      const kind = ["page", "progress", "progress", "progress", "stroke", "pointer", "pointer", "hide", "undo", "clear", "deck"][int(11)]!;
      const id = `s${int(4)}`;
      const tool = r() < 0.3 ? "highlighter" : "pen";
      const width = 10 + int(300);
      if (kind === "page") events.push({ type: "page", t, page });
      else if (kind === "progress") {
        const pts = [...(growing.get(id) ?? []), int(10_000), int(10_000)];
        growing.set(id, pts);
        events.push({ type: "ink-progress", t, page, stroke: id, tool, color: "#1c7ed6", width, points: pts.slice(-4) });
      } else if (kind === "stroke") {
        events.push({ type: "ink-stroke", t, page, stroke: id, tool, color: "#e03131", width, points: growing.get(id) ?? [int(10_000), int(10_000)] });
        growing.delete(id);
      } else if (kind === "pointer") events.push({ type: "pointer", t, page, x: int(10_000), y: int(10_000) });
      else if (kind === "hide") events.push({ type: "pointer", t, page });
      else if (kind === "undo") events.push({ type: "ink-undo", t, page });
      else if (kind === "clear") events.push({ type: "ink-clear", t, page });
      else if (r() < 0.3) events.push({ type: "deck-open", t, deck: r() < 0.5 ? DECK_A : DECK_B });
    }
    out.push({ id: `b${seq}`, t, seq, events });
  }
  return out;
}

describe("the export renderer", () => {
  it("keeps, frame after frame, the whole picture's conversion (12 random sessions)", async () => {
    // Skia antialiases a path a little differently under a clip (it picks its rasteriser by
    // the clip), so where strokes in progress or the pointer were repainted in a region a few
    // edge pixels may differ by a few levels; the base (page and finished ink) is exact.
    let frames = 0;
    let worstDb = Infinity;
    for (let seed = 1; seed <= 12; seed++) {
      const tl = timeline(session(seed));
      const renderer = new FrameRenderer(320, 180, decks);
      const whole = new I420Frame(320, 180);
      // What ffmpeg is given: buffers brought up to date from the regions `next` reports, given
      // back one, two or three frames later. Each must be the frame, byte for byte.
      const r = rng(seed * 7);
      const buffers = new FrameBuffers(renderer.frame, 3, new Promise(() => undefined));
      const inFlight: Buffer[] = [];
      for (const t of tl.frames) {
        const state = stateAt(tl, "", t);
        const { regions } = await renderer.next(state);
        const changed = regions.length > 0;
        if (changed) {
          buffers.changed(regions);
          while (inFlight.length > 2 || (inFlight.length > 0 && r() < 0.4)) buffers.give(inFlight.shift()!);
          const taken = (await buffers.take())!;
          expect(taken.equals(renderer.frame.bytes), `seed ${seed}, t ${t}: the buffer given to ffmpeg is the frame`).toBe(true);
          inFlight.push(taken);
        }
        const before = Buffer.from(whole.bytes);
        whole.put(await renderer.render(state), { x: 0, y: 0, width: 320, height: 180 });
        const view = stageView(state);
        const at = `seed ${seed}, t ${t}`;
        if (view.drawing.length === 0 && view.pointer === null) {
          expect(Buffer.from(renderer.frame.bytes).equals(Buffer.from(whole.bytes)), `${at}: page and finished ink, byte for byte`).toBe(true);
          if (!before.equals(whole.bytes)) expect(changed, `${at}: a changed picture is reported as changed`).toBe(true);
        }
        const db = psnr(renderer.frame.bytes, whole.bytes);
        worstDb = Math.min(worstDb, db);
        expect(db, at).toBeGreaterThan(50);
        frames++;
      }
    }
    expect(frames).toBeGreaterThan(300);
    expect(worstDb).toBeGreaterThan(50);
  });

  it("repaints only a growing stroke's new end, and the picture stays the whole picture's", async () => {
    // A presenter's strokes: 5 new, distinct points a progress (no point repeated), pen and
    // highlighter, wide, at 640 × 360; after each progress the kept frame is compared with the
    // whole picture drawn afresh, and so is the frame after the stroke is finished.
    const r = rng(77);
    for (const [tool, width] of [["pen", 120], ["highlighter", 400], ["pen", 8]] as const) {
      const renderer = new FrameRenderer(640, 360, decks);
      const whole = new I420Frame(640, 360);
      const points: number[] = [];
      let x = 3000, y = 3000;
      const lines: Bundle[] = [{ id: "b0", t: 0, seq: 1, events: [{ type: "deck-open", t: 0, deck: DECK_A }] }];
      for (let k = 1; k <= 10; k++) {
        const add: number[] = [];
        for (let j = 0; j < 5; j++) {
          x = Math.max(0, Math.min(10_000, x + Math.floor(r() * 700) - 250));
          y = Math.max(0, Math.min(10_000, y + Math.floor(r() * 700) - 350));
          add.push(x, y);
        }
        points.push(...add);
        lines.push({ id: `b${k}`, t: k * 100, seq: k + 1, events: [{ type: "ink-progress", t: k * 100, page: 1, stroke: "s", tool, color: "#e03131", width, points: add }] });
      }
      lines.push({ id: "b11", t: 1100, seq: 12, events: [{ type: "ink-stroke", t: 1100, page: 1, stroke: "s", tool, color: "#e03131", width, points }] });
      const tl = timeline(lines);
      for (const t of tl.frames) {
        const state = stateAt(tl, "", t);
        await renderer.next(state);
        whole.put(await renderer.render(state), { x: 0, y: 0, width: 640, height: 360 });
        expect(psnr(renderer.frame.bytes, whole.bytes), `${tool} ${width}, t ${t}`).toBeGreaterThan(50);
      }
      expect(Buffer.from(renderer.frame.bytes).equals(Buffer.from(whole.bytes)), `${tool}: the finished stroke, byte for byte`).toBe(true);
    }
  });

  it("converts as ffmpeg does: BT.601 limited range, chroma from each 2×2 block", () => {
    const f = new I420Frame(2, 2);
    const px = (r: number, g: number, b: number) => [r, g, b, 255];
    expect(f.put(new Uint8Array([...px(255, 255, 255), ...px(255, 255, 255), ...px(255, 255, 255), ...px(255, 255, 255)]), { x: 0, y: 0, width: 2, height: 2 })).toBe(true);
    expect([...f.bytes]).toEqual([235, 235, 235, 235, 128, 128]);
    f.put(new Uint8Array([...px(0, 0, 0), ...px(0, 0, 0), ...px(0, 0, 0), ...px(0, 0, 0)]), { x: 0, y: 0, width: 2, height: 2 });
    expect([...f.bytes]).toEqual([16, 16, 16, 16, 128, 128]);
    f.put(new Uint8Array([...px(255, 0, 0), ...px(255, 0, 0), ...px(255, 0, 0), ...px(255, 0, 0)]), { x: 0, y: 0, width: 2, height: 2 });
    expect([...f.bytes]).toEqual([82, 82, 82, 82, 90, 240]);
    expect(f.put(new Uint8Array([...px(255, 0, 0), ...px(255, 0, 0), ...px(255, 0, 0), ...px(255, 0, 0)]), { x: 0, y: 0, width: 2, height: 2 }), "the same pixels again").toBe(false);
  });
});

function psnr(a: Uint8Array, b: Uint8Array): number {
  let se = 0;
  for (let i = 0; i < a.length; i++) se += (a[i]! - b[i]!) ** 2;
  return se === 0 ? Infinity : 10 * Math.log10((255 * 255) / (se / a.length));
}

describe("the frame buffers", () => {
  /** Random opaque pixels for a w × h region. */
  const noise = (r: () => number, w: number, h: number) => {
    const px = new Uint8Array(w * h * 4);
    for (let i = 0; i < px.length; i++) px[i] = i % 4 === 3 ? 255 : Math.floor(r() * 256);
    return px;
  };

  it("hand out the frame as it is, however long a buffer was away, and wait for one when all are out", async () => {
    const r = rng(5);
    const frame = new I420Frame(64, 32);
    let exit!: () => void;
    const buffers = new FrameBuffers(frame, 2, new Promise<void>((resolve) => (exit = resolve)));
    const away = (await buffers.take())!; // kept out for 40 changes, more than the buffers remember
    let other = (await buffers.take())!;
    const third = buffers.take();
    let waited = false;
    void third.then(() => (waited = true));
    await Promise.resolve();
    expect(waited, "no buffer is free: take waits").toBe(false);
    for (let i = 0; i < 40; i++) {
      const w = 2 + 2 * Math.floor(r() * (i % 10 === 9 ? 32 : 6));
      const h = 2 + 2 * Math.floor(r() * (i % 10 === 9 ? 16 : 6));
      const at = frame.even({ x: Math.floor(r() * (64 - w)), y: Math.floor(r() * (32 - h)), width: w, height: h })!;
      frame.put(noise(r, at.width, at.height), at);
      buffers.changed([at]);
      buffers.give(other);
      other = (await (i === 0 ? third : buffers.take()))!;
      expect(other.equals(frame.bytes), `change ${i + 1}`).toBe(true);
    }
    buffers.give(away);
    buffers.give(other);
    expect((await buffers.take())!.equals(frame.bytes), "the buffer away for 40 changes").toBe(true);
    exit();
    await new Promise((resolve) => setTimeout(resolve, 0));
    expect(await buffers.take(), "ffmpeg gone: no buffer").toBeNull();
  });
});
