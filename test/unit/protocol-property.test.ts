import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { decodeBundle, decodeState, encodeBundle, encodeState } from "../../protocol/codec.ts";
import { parseXml } from "../../protocol/parse.ts";
import { apply, applyBundle, initialState } from "../../protocol/reducer.ts";
import type { Bundle, RoomState } from "../../protocol/types.ts";
import { bundleArb, bundleSequenceArb, scenarioEventArb } from "../support/arbitraries.ts";

const RUNS = { numRuns: 200 };
const fold = (bs: readonly Bundle[], s: RoomState = initialState()): RoomState => bs.reduce(applyBundle, s);

function deepFreeze<T>(o: T): T {
  if (typeof o === "object" && o !== null && !Object.isFrozen(o) && !ArrayBuffer.isView(o)) {
    Object.freeze(o);
    for (const v of Object.values(o)) deepFreeze(v);
  }
  return o;
}

describe("protocol properties", () => {
  it("any valid bundle round-trips through the element and through text", () => {
    fc.assert(
      fc.property(bundleArb(), (b) => {
        const el = encodeBundle(b);
        expect(decodeBundle(el)).toEqual({ ok: true, value: b });
        expect(decodeBundle(parseXml(el.toString()))).toEqual({ ok: true, value: b });
      }),
      RUNS,
    );
  });

  it("a state snapshot at any point, then the rest of the stream, equals the whole stream", () => {
    fc.assert(
      fc.property(bundleSequenceArb(), fc.nat(), (bundles, cut) => {
        const k = cut % (bundles.length + 1);
        const all = fold(bundles);
        const snapshot = encodeState(fold(bundles.slice(0, k))).toString();
        const restored = decodeState(parseXml(snapshot));
        expect(restored.ok).toBe(true);
        if (!restored.ok) return;
        expect(fold(bundles.slice(k), restored.value)).toEqual(all);
        expect(JSON.parse(JSON.stringify(all))).toEqual(all);
      }),
      RUNS,
    );
  });

  it("the reducer never mutates its input", () => {
    fc.assert(
      fc.property(bundleSequenceArb(6), fc.array(scenarioEventArb(), { maxLength: 10 }), (bundles, events) => {
        const before = deepFreeze(fold(bundles));
        const copy = structuredClone(before);
        deepFreeze(events);
        const after = events.reduce(apply, before);
        expect(before).toEqual(copy);
        deepFreeze(after);
        for (const b of deepFreeze(bundles)) applyBundle(after, b);
      }),
      RUNS,
    );
  });

  it("the state stays canonical: no empty ink pages", () => {
    fc.assert(
      fc.property(bundleSequenceArb(), (bundles) => {
        for (const strokes of Object.values(fold(bundles).ink)) expect(strokes.length).toBeGreaterThan(0);
      }),
      RUNS,
    );
  });
});
