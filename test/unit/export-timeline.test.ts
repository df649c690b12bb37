/**
 * The export's timeline (server/export/timeline.ts) against the replay's reducer: for random
 * sessions (times that go back between lines, strokes in progress, undo, clear, pointer,
 * page turns, a second deck) the room the exporter draws at t — the events whose effective
 * time is ≤ t — is what `applyUntil` (the replay player's rule) gives at t, at every frame
 * time and between them; strokes in progress and pointer moves make at most 30 frames a
 * second; chapters are the page changes. And the Matroska frames (mkv-frames.ts) reach
 * ffmpeg with exactly their timestamps (real ffprobe).
 */
import { execFile, spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { applyUntil, initialState } from "../../protocol/reducer.ts";
import type { Bundle, DeckEvent, RoomState } from "../../protocol/types.ts";
import { stateAt } from "../../server/export/export-session.ts";
import { ffmpegArgs } from "../../server/export/ffmpeg-args.ts";
import { mkvFrame, mkvHeader } from "../../server/export/mkv-frames.ts";
import { timeline } from "../../server/export/timeline.ts";
import { rng } from "../support/rng.ts";

const run = promisify(execFile);
const DECK_A = { id: "a".repeat(64), pages: 5, title: "A" };
const DECK_B = { id: "b".repeat(64), pages: 3, title: "B" };

function session(seed: number): Bundle[] {
  const r = rng(seed);
  const out: Bundle[] = [];
  let t = 0;
  let n = 0;
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(r() * xs.length)]!;
  out.push({ id: "b0", t: 0, seq: 1, events: [{ type: "deck-open", t: 0, deck: DECK_A }] });
  for (let seq = 2; seq < 120; seq++) {
    t += Math.floor(r() * 80) - 15; // sometimes a line starts before the one before it ended
    t = Math.max(0, t);
    const events: DeckEvent[] = [];
    let et = t;
    for (let k = Math.floor(r() * 4); k > 0; k--) {
      et += Math.floor(r() * 40);
      const page = 1 + Math.floor(r() * 3);
      const kind = pick(["page", "progress", "progress", "stroke", "pointer", "pointer", "undo", "clear", "hide", "deck"] as const);
      const id = `s${Math.floor(r() * 6)}`;
      if (kind === "page") events.push({ type: "page", t: et, page });
      else if (kind === "progress") events.push({ type: "ink-progress", t: et, page, stroke: id, tool: "pen", color: "#112233", width: 5, points: [n++, 2, 3, 4] });
      else if (kind === "stroke") events.push({ type: "ink-stroke", t: et, page, stroke: id, tool: "highlighter", color: "#445566", width: 9, points: [1, 2, n++, 4] });
      else if (kind === "pointer") events.push({ type: "pointer", t: et, page, x: n++, y: 7 });
      else if (kind === "hide") events.push({ type: "pointer", t: et, page });
      else if (kind === "undo") events.push({ type: "ink-undo", t: et, page });
      else if (kind === "clear") events.push({ type: "ink-clear", t: et, page });
      else if (r() < 0.2) events.push({ type: "deck-open", t: et, deck: pick([DECK_A, DECK_B]) });
    }
    out.push({ id: `b${seq}`, t, seq, events });
  }
  return out;
}

/** What the stage shows of a room. */
const pictured = (s: RoomState) => ({ deck: s.deck?.id ?? null, page: s.page, ink: s.ink, drawing: s.drawing, pointer: s.pointer });

describe("the export timeline", () => {
  it("shows at every time what applyUntil shows (20 random sessions)", () => {
    for (let seed = 1; seed <= 20; seed++) {
      const lines = session(seed);
      const tl = timeline(lines);
      const times = new Set<number>(tl.frames);
      for (let t = 0; t <= tl.duration + 50; t += 7) times.add(t);
      for (const t of times) {
        expect(pictured(stateAt(tl, "", t)), `seed ${seed}, t ${t}`).toEqual(pictured(applyUntil(initialState(""), lines, t).state));
      }
    }
  });

  it("makes at most 30 frames a second for strokes in progress and pointer moves", () => {
    const lines: Bundle[] = [{ id: "d", t: 0, seq: 1, events: [{ type: "deck-open", t: 0, deck: DECK_A }] }];
    for (let i = 0; i < 600; i++) {
      lines.push({ id: `p${i}`, t: 1000 + i * 5, seq: i + 2, events: [i % 2 ? { type: "pointer", t: 1000 + i * 5, page: 1, x: i, y: i } : { type: "ink-progress", t: 1000 + i * 5, page: 1, stroke: "s", tool: "pen", color: "#000000", width: 3, points: [i, i] }] });
    }
    const tl = timeline(lines);
    // (The session's end is a frame of its own: a grid frame past the end is shown at the end.)
    const during = tl.frames.filter((f) => f >= 1000 && f < tl.duration);
    expect(during.length).toBeLessThanOrEqual(91);
    for (let i = 1; i < during.length; i++) expect(during[i]! - during[i - 1]!).toBeGreaterThanOrEqual(1000 / 30 - 0.01);
    // The last move is still shown: a frame at or after it.
    expect(tl.frames.at(-1)!).toBeGreaterThanOrEqual(1000 + 599 * 5);
  });

  it("has one chapter per page change (a deck-open is page 1; a turn to the same page is none)", () => {
    const lines: Bundle[] = [
      { id: "a", t: 0, seq: 1, events: [{ type: "deck-open", t: 0, deck: DECK_A }, { type: "page", t: 0, page: 1 }] },
      { id: "b", t: 500, seq: 2, events: [{ type: "page", t: 500, page: 3 }, { type: "page", t: 600, page: 3 }] },
      { id: "c", t: 700, seq: 3, events: [{ type: "page", t: 700, page: 99 }] },
      { id: "d", t: 900, seq: 4, events: [{ type: "deck-open", t: 900, deck: DECK_B }] },
    ];
    expect(timeline(lines).chapters).toEqual([
      { start: 0, deck: DECK_A.id, page: 1 },
      { start: 500, deck: DECK_A.id, page: 3 },
      { start: 700, deck: DECK_A.id, page: 5 },
      { start: 900, deck: DECK_B.id, page: 1 },
    ]);
  });
});

describe("Matroska frames for ffmpeg", () => {
  it("ffprobe reads each frame at its own timestamp, the last one with its duration", async () => {
    const w = 32;
    const h = 18;
    const times = [0, 1000, 1033, 1067, 5000];
    const chunks: Buffer[] = [mkvHeader(w, h, "RGBA")];
    times.forEach((t, i) => chunks.push(...mkvFrame(t, new Uint8Array(w * h * 4).fill(40 * i), i === times.length - 1 ? 2000 : undefined)));
    const probe = spawn("ffprobe", ["-v", "error", "-f", "matroska", "-i", "pipe:0", "-show_entries", "packet=pts_time,duration_time:stream=codec_name,width,height,pix_fmt", "-of", "json"], { stdio: ["pipe", "pipe", "inherit"] });
    let out = "";
    probe.stdout.setEncoding("utf8").on("data", (d: string) => (out += d));
    probe.stdin.end(Buffer.concat(chunks));
    await new Promise((r) => probe.once("close", r));
    const j = JSON.parse(out) as { packets: { pts_time: string; duration_time?: string }[]; streams: { codec_name: string; width: number; height: number; pix_fmt: string }[] };
    expect(j.streams[0]).toMatchObject({ codec_name: "rawvideo", width: w, height: h, pix_fmt: "rgba" });
    expect(j.packets.map((p) => Math.round(Number(p.pts_time) * 1000))).toEqual(times);
    expect(Number(j.packets.at(-1)!.duration_time)).toBe(2);
  });

  for (const format of ["mp4", "webm"] as const) {
    it(`the ${format} encoder keeps each frame at its own millisecond (no rate guessed from the first frames), the last one until the end`, async () => {
      const w = 64;
      const h = 64;
      const times = [0, 15, 1015, 1016, 2007];
      const dir = await mkdtemp(path.join(os.tmpdir(), "deckcast-export-times-"));
      try {
        const out = path.join(dir, `t.${format}`);
        const ff = spawn("ffmpeg", ffmpegArgs({ format, durationMs: 3000, audio: null, metadata: null, subtitles: null, out }), { stdio: ["pipe", "ignore", "inherit"] });
        const chunks: Buffer[] = [mkvHeader(w, h, "I420")];
        times.forEach((t, i) => chunks.push(...mkvFrame(t, new Uint8Array(w * h * 1.5).fill(16 + 40 * i), i === times.length - 1 ? 993 : undefined)));
        ff.stdin.end(Buffer.concat(chunks));
        expect(await new Promise((r) => ff.once("close", r))).toBe(0);
        const probe = await run("ffprobe", ["-v", "error", "-select_streams", "v:0", "-show_entries", "frame=pts_time", "-of", "csv=p=0", out]);
        const length = await run("ffprobe", ["-v", "error", "-show_entries", "format=duration", "-of", "csv=p=0", out]);
        expect(Number(length.stdout.trim()), "the last frame lasts until the file's end").toBe(3);
        expect(probe.stdout.split("\n").map((x) => x.replace(/,$/, "").trim()).filter((x) => x !== "").map((x) => Math.round(Number(x) * 1000))).toEqual(times);
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    });
  }
});
