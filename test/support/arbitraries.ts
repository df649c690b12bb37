/**
 * fast-check arbitraries for deckcast's wire model. Everything generated here is valid
 * per protocol/validate.ts, so codec round-trips hold exactly (colours are lowercase).
 *
 * Two flavours: `eventArb()` roams the whole value space; `scenarioEventArb()` draws from
 * small pools of pages and stroke ids so erase/undo/replace actually meet each other in
 * sequences (including ids like "constructor" and "__proto__", which must stay plain data).
 */

import fc from "fast-check";
import { LIMITS } from "../../protocol/namespaces.ts";
import {
  INK_SCALE,
  INK_TOOLS,
  RECORDING_STATES,
  type AudioChunk,
  type Bundle,
  type DeckEvent,
  type DeckRef,
  type StampedBundle,
} from "../../protocol/types.ts";

const CHARS = ["a", "b", "Z", "0", " ", "&", "<", ">", '"', "'", "]", "é", "“", "”", "中", "😀", "\u00a0"];

/** Human text XML can carry: escapes, non-ASCII, astral characters. */
export const textArb = (minLength = 0, maxLength = 24): fc.Arbitrary<string> =>
  fc.string({ unit: fc.constantFrom(...CHARS), minLength, maxLength });
export const nickArb = textArb(1, 16);
export const timeArb = fc.nat({ max: 10_000_000 });
export const tokenArb = (maxLength: number): fc.Arbitrary<string> =>
  fc.stringMatching(new RegExp(`^[A-Za-z0-9_-]{1,${maxLength}}$`));
export const colorArb = fc
  .array(fc.constantFrom(..."0123456789abcdef"), { minLength: 6, maxLength: 6 })
  .map((d) => `#${d.join("")}`);
export const deckIdArb = fc
  .array(fc.constantFrom(..."0123456789abcdef"), { minLength: 64, maxLength: 64 })
  .map((d) => d.join(""));
export const coordArb = fc.integer({ min: 0, max: INK_SCALE });
export const pointsArb = (maxPoints = 12): fc.Arbitrary<number[]> =>
  fc.array(fc.tuple(coordArb, coordArb), { minLength: 1, maxLength: maxPoints }).map((ps) => ps.flat());
export const audioArb: fc.Arbitrary<AudioChunk> = fc.record({ t: timeArb, data: fc.uint8Array({ minLength: 1, maxLength: 96 }) });

interface Pools {
  page: fc.Arbitrary<number>;
  stroke: fc.Arbitrary<string>;
  deckPages: fc.Arbitrary<number>;
}

const WIDE: Pools = {
  page: fc.integer({ min: 1, max: LIMITS.maxPages }),
  stroke: tokenArb(LIMITS.maxStrokeId),
  deckPages: fc.integer({ min: 1, max: LIMITS.maxPages }),
};
const SMALL: Pools = {
  page: fc.integer({ min: 1, max: 4 }),
  stroke: fc.constantFrom("a", "b", "c", "constructor", "__proto__"),
  deckPages: fc.integer({ min: 1, max: 5 }),
};

function eventsFrom(p: Pools): fc.Arbitrary<DeckEvent> {
  const t = timeArb;
  const deck: fc.Arbitrary<DeckRef> = fc.record({ id: deckIdArb, pages: p.deckPages, title: textArb() });
  const style = { t, page: p.page, stroke: p.stroke, tool: fc.constantFrom(...INK_TOOLS), color: colorArb, width: fc.integer({ min: 1, max: LIMITS.maxWidth }), points: pointsArb() };
  return fc.oneof(
    fc.record({ type: fc.constant("session-start" as const), t, title: textArb(), presenter: nickArb }),
    fc.record({ type: fc.constant("session-stop" as const), t }),
    fc.record({ type: fc.constant("deck-open" as const), t, deck }),
    { arbitrary: fc.record({ type: fc.constant("page" as const), t, page: p.page }), weight: 3 },
    { arbitrary: fc.record({ type: fc.constant("ink-progress" as const), ...style }), weight: 3 },
    { arbitrary: fc.record({ type: fc.constant("ink-stroke" as const), ...style }), weight: 4 },
    fc.record({ type: fc.constant("ink-erase" as const), t, page: p.page, strokes: fc.array(p.stroke, { minLength: 1, maxLength: 3 }) }),
    fc.record({ type: fc.constant("ink-undo" as const), t, page: p.page }),
    fc.record({ type: fc.constant("ink-clear" as const), t, page: p.page }),
    fc.record({ type: fc.constant("pointer" as const), t, page: p.page, x: coordArb, y: coordArb }),
    fc.record({ type: fc.constant("pointer" as const), t, page: p.page }),
    fc.record({ type: fc.constant("presenter" as const), t, nick: nickArb }),
    fc.record(
      { type: fc.constant("recording" as const), t, state: fc.constantFrom(...RECORDING_STATES), bytes: fc.nat(), duration: fc.nat(), reason: textArb(0, 12) },
      { requiredKeys: ["type", "t", "state", "bytes", "duration"] },
    ),
  );
}

/** Any valid event, across the whole value space. */
export const eventArb = (): fc.Arbitrary<DeckEvent> => eventsFrom(WIDE);
/** A valid event over pages 1..4 and five stroke ids, so events interact. */
export const scenarioEventArb = (): fc.Arbitrary<DeckEvent> => eventsFrom(SMALL);

/** A valid bundle, stamped or not, with or without audio. */
export function bundleArb(events: fc.Arbitrary<DeckEvent> = eventArb(), maxEvents = 8): fc.Arbitrary<Bundle> {
  return fc
    .record(
      {
        id: tokenArb(LIMITS.maxBundleId),
        t: timeArb,
        events: fc.array(events, { maxLength: maxEvents }),
        audio: audioArb,
        stamp: fc.record({ seq: fc.integer({ min: 1, max: 1_000_000 }), ts: fc.nat(), from: nickArb }),
      },
      { requiredKeys: ["id", "t", "events"] },
    )
    .map(({ stamp, ...b }) => (stamp ? { ...b, ...stamp } : b));
}

/** Consecutive stamped bundles (seq 1, 2, …) from the interacting scenario pools. */
export function bundleSequenceArb(maxBundles = 12): fc.Arbitrary<StampedBundle[]> {
  return fc
    .array(bundleArb(scenarioEventArb(), 6), { minLength: 1, maxLength: maxBundles })
    .map((bs) => bs.map((b, i) => ({ ...b, seq: i + 1, ts: 1_763_770_000_000 + i, from: b.from ?? "alice" })));
}
