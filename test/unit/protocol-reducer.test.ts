import { describe, expect, it } from "vitest";
import { apply, applyBundle, applyUntil, initialState } from "../../protocol/reducer.ts";
import type { Bundle, DeckEvent, InkStrokeEvent, RoomState } from "../../protocol/types.ts";
import { LIMITS } from "../../protocol/namespaces.ts";
import { decodeState, encodeState } from "../../protocol/state-codec.ts";

const DECK = { id: "b".repeat(64), pages: 12, title: "Q3 review" };
const fold = (events: DeckEvent[], s: RoomState = initialState()): RoomState => events.reduce(apply, s);
const stroke = (id: string, page = 5, points = [1, 2]): InkStrokeEvent => ({
  type: "ink-stroke", t: 10, page, stroke: id, tool: "pen", color: "#000000", width: 4, points,
});
const done = (id: string, points = [1, 2]) => ({ stroke: id, tool: "pen", color: "#000000", width: 4, points });

describe("reducer", () => {
  it("starts empty", () => {
    expect(initialState("Weekly")).toEqual({
      title: "Weekly", presenter: null, started: false, ended: false, deck: null, page: 1,
      ink: {}, drawing: {}, pointer: null, recording: null, clock: 0, seq: 0,
    });
  });

  it("session-start sets started, title and presenter; session-stop ends", () => {
    const s = fold([{ type: "session-start", t: 0, title: "Q3", presenter: "alice" }, { type: "session-stop", t: 90000 }]);
    expect(s).toMatchObject({ started: true, ended: true, title: "Q3", presenter: "alice", clock: 90000 });
  });

  it("deck-open sets the deck, goes to page 1 and wipes ink, drawing and pointer", () => {
    const before = fold([
      { type: "page", t: 1, page: 3 }, stroke("s1", 3),
      { type: "ink-progress", t: 2, page: 3, stroke: "s2", tool: "pen", color: "#000000", width: 1, points: [5, 5] },
      { type: "pointer", t: 3, page: 3, x: 1, y: 1 },
    ]);
    const s = apply(before, { type: "deck-open", t: 4, deck: DECK });
    expect(s).toMatchObject({ deck: DECK, page: 1, ink: {}, drawing: {}, pointer: null });
  });

  it("page turns clamp to the deck and ignore pages below 1", () => {
    const s = fold([{ type: "deck-open", t: 0, deck: DECK }, { type: "page", t: 1, page: 5 }]);
    expect(s.page).toBe(5);
    expect(apply(s, { type: "page", t: 2, page: 40 }).page).toBe(12);
    expect(apply(s, { type: "page", t: 2, page: 0 }).page).toBe(5);
    expect(apply(initialState(), { type: "page", t: 2, page: 40 }).page).toBe(40);
  });

  it("ink-progress creates then extends a drawing stroke", () => {
    const progress = (points: number[]): DeckEvent => ({ type: "ink-progress", t: 1, page: 2, stroke: "s1", tool: "highlighter", color: "#ffeb3b", width: 200, points });
    const s = fold([progress([1, 2]), progress([3, 4, 5, 6])]);
    expect(s.drawing).toEqual({ s1: { stroke: "s1", tool: "highlighter", color: "#ffeb3b", width: 200, points: [1, 2, 3, 4, 5, 6], page: 2 } });
  });

  it("a stroke being drawn keeps at most maxPointNumbers numbers, and at most maxDrawing strokes are drawn at once, so every state stays readable", () => {
    const progress = (id: string, points: number[], t = 1): DeckEvent => ({ type: "ink-progress", t, page: 1, stroke: id, tool: "pen", color: "#000000", width: 4, points });
    const chunk = Array.from({ length: 6000 }, (_, i) => i % 10000);
    // 4 × 6000 numbers: the last chunk is cut at 20000, and later points change nothing but the clock.
    let s = fold([progress("long", chunk), progress("long", chunk), progress("long", chunk), progress("long", chunk)]);
    expect(s.drawing.long!.points).toHaveLength(LIMITS.maxPointNumbers);
    expect(s.drawing.long!.points.slice(-2)).toEqual(chunk.slice(1998, 2000));
    const full = s;
    s = apply(s, progress("long", [1, 2], 99));
    expect(s.drawing).toBe(full.drawing);
    expect(s.clock).toBe(99);
    // Its ink-stroke still finishes it whole.
    expect(apply(s, { ...stroke("long", 1), points: [7, 7] }).drawing).toEqual({});

    const many = fold(Array.from({ length: LIMITS.maxDrawing + 3 }, (_, i) => progress(`s${i}`, [i, i])));
    expect(Object.keys(many.drawing)).toHaveLength(LIMITS.maxDrawing);
    expect(Object.hasOwn(many.drawing, `s${LIMITS.maxDrawing}`)).toBe(false);
    // An ongoing stroke still grows; a finished one frees a place.
    expect(apply(many, progress("s0", [9, 9])).drawing.s0!.points).toEqual([0, 0, 9, 9]);
    const freed = fold([stroke("s0", 1), progress("late", [3, 3])], many);
    expect(freed.drawing.late!.points).toEqual([3, 3]);

    for (const state of [full, many]) expect(decodeState(encodeState(state))).toEqual({ ok: true, value: state });
  });

  it("ink-stroke finishes the drawing stroke and is idempotent by id", () => {
    const s = fold([
      { type: "ink-progress", t: 1, page: 5, stroke: "s1", tool: "pen", color: "#000000", width: 4, points: [1, 2] },
      stroke("s1"), stroke("s2"), stroke("s1", 5, [9, 9]),
    ]);
    expect(s.drawing).toEqual({});
    expect(s.ink).toEqual({ 5: [done("s1", [9, 9]), done("s2")] });
  });

  it("keeps ink for pages beyond the deck", () => {
    const s = fold([{ type: "deck-open", t: 0, deck: { ...DECK, pages: 2 } }, stroke("s1", 7)]);
    expect(s.ink).toEqual({ 7: [done("s1")] });
  });

  it("ink-erase removes the ids on that page, finished or drawing", () => {
    const s = fold([
      stroke("s1"), stroke("s2"), stroke("s3"), stroke("s1", 6),
      { type: "ink-progress", t: 1, page: 5, stroke: "s7", tool: "pen", color: "#000000", width: 4, points: [1, 2] },
      { type: "ink-erase", t: 2, page: 5, strokes: ["s1", "s7", "nope"] },
    ]);
    expect(s.ink).toEqual({ 5: [done("s2"), done("s3")], 6: [done("s1")] });
    expect(s.drawing).toEqual({});
    expect(apply(s, { type: "ink-erase", t: 3, page: 5, strokes: ["s2", "s3"] }).ink).toEqual({ 6: [done("s1")] });
  });

  it("ink-undo removes the last finished stroke and leaves no empty page behind", () => {
    const s = fold([stroke("s1"), stroke("s2"), { type: "ink-undo", t: 3, page: 5 }]);
    expect(s.ink).toEqual({ 5: [done("s1")] });
    expect(apply(s, { type: "ink-undo", t: 4, page: 5 }).ink).toEqual({});
    expect(apply(initialState(), { type: "ink-undo", t: 4, page: 5 }).ink).toEqual({});
  });

  it("ink-clear empties one page and its drawing strokes", () => {
    const s = fold([
      stroke("s1", 5), stroke("s2", 6),
      { type: "ink-progress", t: 1, page: 5, stroke: "d5", tool: "pen", color: "#000000", width: 4, points: [1, 2] },
      { type: "ink-progress", t: 1, page: 6, stroke: "d6", tool: "pen", color: "#000000", width: 4, points: [1, 2] },
      { type: "ink-clear", t: 2, page: 5 },
    ]);
    expect(s.ink).toEqual({ 6: [done("s2")] });
    expect(Object.keys(s.drawing)).toEqual(["d6"]);
  });

  it("pointer shows and hides", () => {
    const s = apply(initialState(), { type: "pointer", t: 1, page: 2, x: 5000, y: 2500 });
    expect(s.pointer).toEqual({ page: 2, x: 5000, y: 2500 });
    expect(apply(s, { type: "pointer", t: 2, page: 2 }).pointer).toBeNull();
  });

  it("presenter and recording are recorded", () => {
    const s = fold([
      { type: "presenter", t: 1, nick: "bob" },
      { type: "recording", t: 2, state: "failed", bytes: 10, duration: 20, reason: "disk full" },
    ]);
    expect(s.presenter).toBe("bob");
    expect(s.recording).toEqual({ state: "failed", bytes: 10, duration: 20, reason: "disk full" });
    expect(apply(s, { type: "recording", t: 3, state: "recording", bytes: 1, duration: 2 }).recording).toEqual({ state: "recording", bytes: 1, duration: 2 });
  });

  it("stroke ids that are Object.prototype names stay plain data", () => {
    const s = fold([
      { type: "ink-progress", t: 1, page: 1, stroke: "__proto__", tool: "pen", color: "#000000", width: 4, points: [1, 2] },
      { type: "ink-progress", t: 1, page: 1, stroke: "constructor", tool: "pen", color: "#000000", width: 4, points: [3, 4] },
    ]);
    expect(Object.keys(s.drawing).sort()).toEqual(["__proto__", "constructor"]);
    expect(Object.getPrototypeOf(s.drawing)).toBe(Object.prototype);
    expect(JSON.parse(JSON.stringify(s))).toEqual(s);
  });

  it("applyBundle applies in order, takes the bundle's seq and the latest time seen", () => {
    const s = applyBundle(initialState(), {
      id: "b", t: 500, seq: 7, ts: 1, from: "alice",
      events: [{ type: "page", t: 900, page: 2 }, { type: "page", t: 800, page: 3 }],
    });
    expect(s).toMatchObject({ page: 3, seq: 7, clock: 900 });
    expect(applyBundle(s, { id: "c", t: 950, events: [] })).toMatchObject({ seq: 7, clock: 950 });
    expect(applyBundle(s, { id: "d", t: 10, events: [], audio: { t: 1000, data: new Uint8Array([1]) } }).clock).toBe(1000);
  });
});

describe("applyUntil: the room at a session time", () => {
  const b = (seq: number, ts: number[]): Bundle => ({ id: `b${seq}`, seq, t: ts[0]!, ts: 0, from: "a", events: ts.map((t, i) => ({ type: "page", t, page: seq * 10 + i })) });
  const bundles = [b(1, [100]), b(2, [200, 250, 300]), b(3, [400])];

  it("applies whole bundles up to t, then the next one's events up to the first after t", () => {
    const start = initialState("x");
    expect(applyUntil(start, bundles, 50)).toEqual({ state: start, seq: 0, events: 0 });
    const at260 = applyUntil(start, bundles, 260);
    expect(at260.seq).toBe(1);
    expect(at260.events).toBe(2);
    expect(at260.state.page).toBe(21);
    const all = applyUntil(start, bundles, 10_000);
    expect(all.state).toEqual(bundles.reduce(applyBundle, start));
    expect(all.seq).toBe(3);
  });

  it("agrees with folding event by event, at every time", () => {
    const start = initialState("x");
    for (let t = 0; t <= 450; t += 10) {
      const events = bundles.flatMap((x) => x.events).filter((e) => e.t <= t);
      expect(applyUntil(start, bundles, t).state.page, `t=${t}`).toBe(events.reduce(apply, start).page);
    }
  });
});
