import { describe, expect, it } from "vitest";
import { fallbackBody } from "../../protocol/fallback.ts";
import type { Bundle, DeckEvent } from "../../protocol/types.ts";

const bundle = (...events: DeckEvent[]): Bundle => ({ id: "b", t: 0, events });
const DECK = { id: "c".repeat(64), pages: 12, title: "Q3 review" };

describe("fallback body", () => {
  it("describes what a person would want to read", () => {
    expect(fallbackBody(bundle({ type: "page", t: 1, page: 5 }), 12)).toBe("Page 5 of 12");
    expect(fallbackBody(bundle({ type: "page", t: 1, page: 5 }))).toBe("Page 5");
    expect(fallbackBody(bundle({ type: "page", t: 1, page: 50 }), 12)).toBe("Page 12 of 12");
    expect(fallbackBody(bundle({ type: "deck-open", t: 1, deck: DECK }))).toBe("Opened deck “Q3 review” (12 pages)");
    expect(fallbackBody(bundle({ type: "deck-open", t: 1, deck: { ...DECK, pages: 1, title: "" } }))).toBe("Opened a deck (1 page)");
    expect(fallbackBody(bundle({ type: "presenter", t: 1, nick: "bob" }))).toBe("Presenter is now bob");
    expect(fallbackBody(bundle({ type: "session-start", t: 0, title: "Title", presenter: "a" }))).toBe("Session started: Title");
    expect(fallbackBody(bundle({ type: "session-stop", t: 0 }))).toBe("Session ended");
    expect(fallbackBody(bundle({ type: "recording", t: 0, state: "failed", bytes: 1, duration: 1, reason: "disk full" }))).toBe("Recording: failed (disk full)");
  });

  it("joins several lines, and a deck opened in the bundle counts for later page turns", () => {
    expect(fallbackBody(bundle({ type: "deck-open", t: 1, deck: DECK }, { type: "page", t: 2, page: 3 }), 4)).toBe(
      "Opened deck “Q3 review” (12 pages)\nPage 3 of 12",
    );
  });

  it("is null for ink, pointer and audio", () => {
    const b: Bundle = {
      ...bundle(
        { type: "ink-stroke", t: 1, page: 1, stroke: "s", tool: "pen", color: "#000000", width: 1, points: [1, 1] },
        { type: "ink-erase", t: 1, page: 1, strokes: ["s"] },
        { type: "ink-undo", t: 1, page: 1 },
        { type: "ink-clear", t: 1, page: 1 },
        { type: "pointer", t: 1, page: 1, x: 1, y: 1 },
      ),
      audio: { t: 0, data: new Uint8Array([1]) },
    };
    expect(fallbackBody(b, 3)).toBeNull();
    expect(fallbackBody(bundle())).toBeNull();
  });

  it("keeps periodic recording reports silent when the previous state is known", () => {
    const progress: DeckEvent = { type: "recording", t: 5, state: "recording", bytes: 900, duration: 9000 };
    expect(fallbackBody(bundle(progress), undefined, "recording")).toBeNull();
    expect(fallbackBody(bundle(progress), undefined, null)).toBe("Recording: on");
    expect(fallbackBody(bundle(progress, { ...progress, state: "paused" }, { ...progress, state: "paused" }), undefined, "recording")).toBe("Recording: paused");
  });
});
