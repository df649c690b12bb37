/**
 * The ink recorder (web-client/src/ink/recorder.ts) in Node, with an injected clock and
 * timers: pen strokes grow in BATCH_MS batches and end in one ink-stroke, long strokes are
 * split seamlessly at MAX_POINTS, the eraser names each stroke it touches once per gesture,
 * the laser is throttled to POINTER_MS and hidden at release, finish() ends everything. The
 * recorded events are applied with the real reducer and validated as a follower would.
 */
import { describe, expect, it } from "vitest";
import { apply, initialState } from "../../protocol/reducer.ts";
import type { DeckEvent, RoomState } from "../../protocol/types.ts";
import { validateEvent } from "../../protocol/validate.ts";
import { BATCH_MS, ERASER_RADIUS, InkRecorder, MAX_POINTS, POINTER_MS, type RecorderTimers } from "../../web-client/src/ink/recorder.ts";
import { fakeClock, type FakeClock } from "../support/fake-clock.ts";

/** The recorder's timers on a clock the test moves. */
function fakeTimers() {
  const c = fakeClock(50_000);
  const timers: RecorderTimers & Pick<FakeClock, "advance" | "pending"> = { now: c.now, every: c.every, after: c.after, clear: c.clear, pending: c.pending, advance: c.advance };
  return timers;
}

/** A recorder whose session clock is the fake timers' clock minus 40 s; events are folded into `state`. */
function recorder() {
  const timers = fakeTimers();
  const r = {
    timers,
    sent: [] as DeckEvent[],
    state: { ...initialState("t"), started: true, deck: { id: "a".repeat(64), pages: 5, title: "" } } as RoomState,
    changed: 0,
    ink: null as unknown as InkRecorder,
  };
  r.ink = new InkRecorder(
    {
      clock: () => timers.now() - 40_000,
      send: (events) => {
        for (const e of events) {
          const v = validateEvent(e, "event");
          if (!v.ok) throw new Error(`invalid event: ${v.error.path}: ${v.error.message}`);
          r.state = apply(r.state, e);
        }
        r.sent.push(...events);
      },
      strokes: (page) => r.state.ink[page] ?? [],
      ratio: () => 1,
      changed: () => r.changed++,
    },
    timers,
  );
  return r;
}

const PEN = { color: "#e53935", width: 45 };
const types = (events: DeckEvent[]) => events.map((e) => e.type);

describe("ink recorder: pen and highlighter", () => {
  it("sends the new points every BATCH_MS while drawing, then the whole stroke at pen-up", () => {
    const r = recorder();
    r.ink.input("pen", PEN, 2, "down", [10, 10]);
    r.ink.input("pen", PEN, 2, "move", [20, 20]);
    expect(r.sent).toEqual([]);
    expect(r.ink.current).toMatchObject({ page: 2, tool: "pen", points: [10, 10, 20, 20] });
    r.timers.advance(BATCH_MS);
    r.ink.input("pen", PEN, 2, "move", [30, 30, 40, 40]);
    r.timers.advance(BATCH_MS);
    r.timers.advance(BATCH_MS); // nothing new: no event
    r.ink.input("pen", PEN, 2, "up", [50, 50]);
    expect(types(r.sent)).toEqual(["ink-progress", "ink-progress", "ink-stroke"]);
    const [p1, p2, done] = r.sent as Extract<DeckEvent, { type: "ink-progress" | "ink-stroke" }>[];
    expect(p1).toMatchObject({ t: 10_000 + BATCH_MS, page: 2, points: [10, 10, 20, 20] });
    expect(p2).toMatchObject({ t: 10_000 + 2 * BATCH_MS, points: [30, 30, 40, 40] });
    expect(done).toEqual({ type: "ink-stroke", t: 10_000 + 3 * BATCH_MS, page: 2, stroke: p1!.stroke, tool: "pen", color: "#e53935", width: 45, points: [10, 10, 20, 20, 30, 30, 40, 40, 50, 50] });
    expect(p2!.stroke).toBe(p1!.stroke);
    expect(r.state.ink[2]).toEqual([{ stroke: p1!.stroke, tool: "pen", color: "#e53935", width: 45, points: [10, 10, 20, 20, 30, 30, 40, 40, 50, 50] }]);
    expect(r.state.drawing).toEqual({});
    expect(r.ink.current).toBe(null);
    expect(r.timers.pending()).toBe(0);
    expect(r.changed).toBeGreaterThanOrEqual(3);
  });

  it("drops a point that repeats the one before it", () => {
    const r = recorder();
    r.ink.input("highlighter", PEN, 1, "down", [5, 5, 5, 5]);
    r.ink.input("highlighter", PEN, 1, "move", [5, 5, 6, 6, 6, 6]);
    r.ink.input("highlighter", PEN, 1, "up", [6, 6]);
    expect(r.sent).toEqual([expect.objectContaining({ type: "ink-stroke", tool: "highlighter", points: [5, 5, 6, 6] })]);
  });

  it("each stroke gets its own id; a new pen-down ends the stroke still open", () => {
    const r = recorder();
    r.ink.input("pen", PEN, 1, "down", [1, 1]);
    r.ink.input("pen", PEN, 1, "move", [2, 2]);
    r.ink.input("pen", PEN, 1, "down", [3, 3]); // the up was lost
    r.ink.input("pen", PEN, 1, "up", [4, 4]);
    const strokes = r.sent.filter((e) => e.type === "ink-stroke");
    expect(strokes.map((e) => e.points)).toEqual([[1, 1, 2, 2], [3, 3, 4, 4]]);
    expect(new Set(strokes.map((e) => e.stroke)).size).toBe(2);
    expect(r.timers.pending()).toBe(0);
  });

  it("a pen-down and -up without points sends nothing", () => {
    const r = recorder();
    r.ink.input("pen", PEN, 1, "down", []);
    r.timers.advance(BATCH_MS * 3);
    r.ink.input("pen", PEN, 1, "up", []);
    expect(r.sent).toEqual([]);
    expect(r.timers.pending()).toBe(0);
  });

  it("a stroke longer than MAX_POINTS is finished and continues in a new one from its last point", () => {
    const r = recorder();
    r.ink.input("pen", PEN, 1, "down", [0, 0]);
    const pts: number[] = [];
    for (let i = 1; i < MAX_POINTS + 10; i++) pts.push(i % 10000, i % 7);
    r.ink.input("pen", PEN, 1, "move", pts);
    r.ink.input("pen", PEN, 1, "up", []);
    const strokes = r.sent.filter((e) => e.type === "ink-stroke");
    expect(strokes.map((s) => s.points.length / 2)).toEqual([MAX_POINTS, 11]);
    const [a, b] = strokes;
    expect(b!.points.slice(0, 2)).toEqual(a!.points.slice(-2)); // seamless
    expect(b!.stroke).not.toBe(a!.stroke);
    expect(r.timers.pending()).toBe(0);
  });
});

describe("ink recorder: eraser", () => {
  it("erases each stroke it touches once per gesture, and again in a new gesture", () => {
    const r = recorder();
    r.ink.input("pen", PEN, 1, "down", [1000, 1000]);
    r.ink.input("pen", PEN, 1, "up", [3000, 1000]);
    r.ink.input("pen", PEN, 1, "down", [1000, 5000]);
    r.ink.input("pen", PEN, 1, "up", [3000, 5000]);
    r.ink.input("pen", PEN, 2, "down", [1000, 1000]);
    r.ink.input("pen", PEN, 2, "up", [3000, 1000]);
    const [top, bottom] = r.state.ink[1]!;
    r.sent.length = 0;
    r.ink.input("eraser", PEN, 1, "down", [2000, 1000 + ERASER_RADIUS]);
    r.ink.input("eraser", PEN, 1, "move", [2100, 1000]);
    r.ink.input("eraser", PEN, 1, "move", [2000, 3000]); // between the two: touches nothing
    r.ink.input("eraser", PEN, 1, "move", [1500, 5000, 1600, 5000]);
    r.ink.input("eraser", PEN, 1, "up", []);
    expect(r.sent).toEqual([
      { type: "ink-erase", t: 10_000, page: 1, strokes: [top!.stroke] },
      { type: "ink-erase", t: 10_000, page: 1, strokes: [bottom!.stroke] },
    ]);
    expect(r.state.ink[1] ?? []).toEqual([]);
    expect(r.state.ink[2]?.length).toBe(1); // another page is untouched
  });
});

describe("ink recorder: laser", () => {
  it("sends the pointer at most every POINTER_MS, the newest position last, and hides it at release", () => {
    const r = recorder();
    r.ink.input("laser", PEN, 3, "down", [100, 100]);
    r.ink.input("laser", PEN, 3, "move", [110, 110]);
    r.ink.input("laser", PEN, 3, "move", [120, 120, 130, 130]);
    expect(r.sent).toEqual([{ type: "pointer", t: 10_000, page: 3, x: 100, y: 100 }]);
    r.timers.advance(POINTER_MS);
    expect(r.sent.at(-1)).toEqual({ type: "pointer", t: 10_000 + POINTER_MS, page: 3, x: 130, y: 130 });
    r.timers.advance(POINTER_MS);
    expect(r.sent.length).toBe(2); // nothing new, nothing sent
    r.ink.input("laser", PEN, 3, "move", [140, 140]); // the wait is over: sent at once
    expect(r.sent.length).toBe(3);
    r.ink.input("laser", PEN, 3, "move", [150, 150]);
    r.ink.input("laser", PEN, 3, "up", []);
    expect(r.sent.at(-1)).toEqual({ type: "pointer", t: 10_000 + 2 * POINTER_MS, page: 3 });
    expect(r.state.pointer).toBe(null);
    r.timers.advance(POINTER_MS * 5);
    expect(r.sent.length).toBe(4); // the position held back died with the release
    expect(r.timers.pending()).toBe(0);
  });
});

describe("ink recorder: finish()", () => {
  it("ends the stroke being drawn and hides the pointer (tool change, page turn, leaving)", () => {
    const r = recorder();
    r.ink.input("pen", PEN, 1, "down", [1, 1]);
    r.ink.input("pen", PEN, 1, "move", [2, 2]);
    r.ink.finish();
    expect(types(r.sent)).toEqual(["ink-stroke"]);
    r.ink.input("laser", PEN, 4, "move", [7, 7]);
    r.ink.input("laser", PEN, 4, "move", [8, 8]);
    r.ink.finish();
    expect(r.sent.slice(1)).toEqual([
      { type: "pointer", t: 10_000, page: 4, x: 7, y: 7 },
      { type: "pointer", t: 10_000, page: 4 },
    ]);
    r.ink.finish(); // nothing left: nothing sent
    expect(r.sent.length).toBe(3);
    expect(r.timers.pending()).toBe(0);
  });
});
