import { describe, expect, it } from "vitest";
import { validateBundle, validateEvent } from "../../protocol/validate.ts";

describe("validation of plain objects", () => {
  it("returns a normalised copy holding only known fields", () => {
    const input = { type: "ink-stroke", t: 1, page: 2, stroke: "s", tool: "pen", color: "#ABCDEF", width: 3, points: [1, 2], extra: true };
    const r = validateEvent(input, "bundle/ink-stroke[1]");
    expect(r).toEqual({ ok: true, value: { type: "ink-stroke", t: 1, page: 2, stroke: "s", tool: "pen", color: "#abcdef", width: 3, points: [1, 2] } });
    expect(r.ok && r.value).not.toBe(input);
  });

  it("names unknown types and non-objects", () => {
    expect(validateEvent({ type: "zoom", t: 1 }, "bundle/events[1]")).toEqual({ ok: false, error: { code: "bad-bundle", message: 'unknown event type "zoom"', path: "bundle/events[1]" } });
    expect(validateEvent(null, "p").ok).toBe(false);
    expect(validateEvent({ type: "toString" }, "p").ok).toBe(false);
  });

  it("counts events per type in paths, like the wire form", () => {
    const r = validateBundle({ id: "b", t: 0, events: [{ type: "page", t: 0, page: 1 }, { type: "ink-undo", t: 0, page: 1 }, { type: "page", t: 0, page: -1 }] });
    expect(!r.ok && r.error.path).toBe("bundle/page[2]@page");
  });

  it("checks audio data, stamps and event lists", () => {
    expect(validateBundle({ id: "b", t: 0, events: [], audio: { t: 0, data: [1, 2] } })).toMatchObject({ ok: false, error: { path: "bundle/audio[1]/text()" } });
    expect(validateBundle({ id: "b", t: 0, events: {} })).toMatchObject({ ok: false, error: { path: "bundle", message: "events must be an array, got an object" } });
    expect(validateBundle({ id: "b", t: 0, events: [], seq: 1, ts: 2 })).toMatchObject({ ok: false, error: { path: "bundle@from" } });
    expect(validateBundle({ id: "b", t: 0, events: [], seq: 1, ts: 2, from: "a" })).toEqual({ ok: true, value: { id: "b", t: 0, events: [], seq: 1, ts: 2, from: "a" } });
  });

  it("bounds erase lists and ids", () => {
    const erase = (strokes: unknown) => validateEvent({ type: "ink-erase", t: 0, page: 1, strokes }, "e");
    expect(erase(Array.from({ length: 1000 }, (_, i) => `s${i}`)).ok).toBe(true);
    expect(erase(Array.from({ length: 1001 }, (_, i) => `s${i}`))).toMatchObject({ ok: false, error: { path: "e@strokes" } });
    expect(erase([])).toMatchObject({ ok: false, error: { message: "strokes must list at least one id, got an array" } });
    expect(erase(["x".repeat(33)])).toMatchObject({ ok: false, error: { message: "strokes is 33 characters; at most 32 allowed" } });
  });
});
