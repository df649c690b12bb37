/**
 * The meeting's controls (web-client/src/app/presenter-controls.ts) in Node: synthetic key
 * presses and toolbar/pointer input in, protocol events out, stamped with an injected session
 * clock; the room's view is folded from those events by the real reducer, as the presenter's
 * MeetingSession does. Timers (ink batches, the digits' expiry) are injected and advanced.
 */
import { describe, expect, it } from "vitest";
import { apply, initialState } from "../../protocol/reducer.ts";
import type { DeckEvent, RoomState } from "../../protocol/types.ts";
import { DIGITS_MS, type KeyPress } from "../../web-client/src/app/keys.ts";
import { HIGHLIGHTER_SCALE, PresenterControls } from "../../web-client/src/app/presenter-controls.ts";
import { BATCH_MS, type RecorderTimers } from "../../web-client/src/ink/recorder.ts";
import { fakeClock, type FakeClock } from "../support/fake-clock.ts";

/** The recorder's timers on a clock the test moves. */
function fakeTimers() {
  const c = fakeClock(1_000_000);
  const timers: RecorderTimers & Pick<FakeClock, "advance" | "pending"> = { now: c.now, every: c.every, after: c.after, clear: c.clear, pending: c.pending, advance: c.advance };
  return timers;
}

const DECK = { id: "d".repeat(64), pages: 20, title: "Deck" };

/** A meeting as the controls see it: the view is the reducer's fold of everything presented. */
function meeting(opts: { presenting?: boolean; page?: number } = {}) {
  const timers = fakeTimers();
  let session = 5000;
  const m = {
    timers,
    view: { ...initialState("Talk"), started: true, presenter: "Ann", deck: DECK, page: opts.page ?? 1 } as RoomState | null,
    presenting: opts.presenting ?? true,
    sent: [] as DeckEvent[],
    changes: 0,
    fullscreens: 0,
    /** Moves the session clock (and the timers) on. */
    tick(ms: number) {
      session += ms;
      timers.advance(ms);
    },
    controls: null as unknown as PresenterControls,
  };
  m.controls = new PresenterControls(
    {
      view: () => m.view,
      presenting: () => m.presenting,
      clock: () => session,
      present: (events) => {
        if (!m.presenting) return;
        m.sent.push(...events);
        for (const e of events) m.view = apply(m.view!, e);
      },
      ratio: () => 16 / 9,
    },
    { color: "#e53935", width: 45 },
    timers,
  );
  m.controls.on("change", () => m.changes++);
  m.controls.on("fullscreen", () => m.fullscreens++);
  m.controls.sync();
  return m;
}

const key = (k: string, mods: Omit<KeyPress, "key"> = {}): KeyPress => ({ key: k, ...mods });
const pages = (events: DeckEvent[]) => events.map((e) => (e.type === "page" ? e.page : `(${e.type})`));

describe("presenter controls: keys", () => {
  it("turns the room's page with arrows, PageUp/PageDown, Space and Shift+Space, stamped with the session clock", () => {
    const m = meeting({ page: 5 });
    const c = m.controls;
    for (const k of [key("ArrowRight"), key("ArrowDown"), key("PageDown"), key(" "), key("n")]) {
      expect(c.key(k), k.key).toBe(true);
      m.tick(10);
    }
    for (const k of [key("ArrowLeft"), key("ArrowUp"), key("PageUp"), key(" ", { shiftKey: true })]) {
      expect(c.key(k), k.key).toBe(true);
      m.tick(10);
    }
    expect(pages(m.sent)).toEqual([6, 7, 8, 9, 10, 9, 8, 7, 6]);
    expect(m.sent.map((e) => e.t)).toEqual([5000, 5010, 5020, 5030, 5040, 5050, 5060, 5070, 5080]);
    expect(m.view!.page).toBe(6);
  });

  it("Home and End go to the first and last page; no event past either end", () => {
    const m = meeting({ page: 5 });
    m.controls.key(key("End"));
    m.controls.key(key("ArrowRight"));
    m.controls.key(key("Home"));
    m.controls.key(key("PageUp"));
    expect(pages(m.sent)).toEqual([20, 1]);
  });

  it("number then Enter goes to that page (clamped to the deck); the number shows while typed", () => {
    const m = meeting();
    const c = m.controls;
    expect(c.key(key("1"))).toBe(true);
    expect(c.key(key("2"))).toBe(true);
    expect(c.digits).toBe("12");
    expect(m.sent).toEqual([]);
    expect(c.key(key("Enter"))).toBe(true);
    expect(c.digits).toBe("");
    c.key(key("9"));
    c.key(key("9"));
    c.key(key("Enter"));
    expect(pages(m.sent)).toEqual([12, 20]);
  });

  it("a page number typed too long ago is forgotten and taken off screen", () => {
    const m = meeting();
    const c = m.controls;
    c.key(key("3"));
    const before = m.changes;
    m.tick(DIGITS_MS - 1);
    expect(c.digits).toBe("3");
    m.tick(2);
    expect(c.digits).toBe("");
    expect(m.changes).toBeGreaterThan(before); // the element redraws without the number
    expect(c.key(key("Enter"))).toBe(false);
    expect(m.sent).toEqual([]);
  });

  it("P H L E pick a tool for the presenter; Esc drops a page number being typed, then leaves the tool", () => {
    const m = meeting();
    const c = m.controls;
    expect(c.tool).toBe("pen"); // a new presenter can draw at once
    for (const [k, tool] of [["h", "highlighter"], ["L", "laser"], ["e", "eraser"], ["p", "pen"]] as const) {
      expect(c.key(key(k)), k).toBe(true);
      expect(c.tool, k).toBe(tool);
    }
    c.key(key("4"));
    expect(c.key(key("Escape"))).toBe(true);
    expect(c.digits).toBe("");
    expect(c.tool).toBe("pen");
    expect(c.key(key("Escape"))).toBe(true);
    expect(c.tool).toBe(null);
    expect(c.key(key("Enter"))).toBe(false); // the dropped number is gone
    expect(m.sent).toEqual([]);
  });

  it("F and F5 ask for fullscreen; Alt combinations and unknown keys are let through", () => {
    const m = meeting();
    expect(m.controls.key(key("f"))).toBe(true);
    expect(m.controls.key(key("F5"))).toBe(true);
    expect(m.fullscreens).toBe(2);
    expect(m.controls.key(key("ArrowRight", { altKey: true }))).toBe(false);
    expect(m.controls.key(key("x"))).toBe(false);
    expect(m.controls.key(key("c", { ctrlKey: true }))).toBe(false);
    expect(m.sent).toEqual([]);
  });

  it("does nothing before the room's state arrived", () => {
    const m = meeting();
    m.view = null;
    expect(m.controls.key(key("ArrowRight"))).toBe(false);
    expect(m.controls.key(key("1"))).toBe(false);
    expect(m.controls.digits).toBe("");
  });

  it("digits are used only when a deck is open", () => {
    const m = meeting();
    m.view = { ...m.view!, deck: null };
    expect(m.controls.key(key("2"))).toBe(false);
  });
});

describe("presenter controls: a follower", () => {
  it("browses on their own: no events, Esc and reaching the live page go back to live", () => {
    const m = meeting({ presenting: false, page: 3 });
    const c = m.controls;
    expect(c.tool).toBe(null);
    expect(c.key(key("ArrowRight"))).toBe(true);
    expect(c.privatePage).toBe(4);
    expect(c.shownPage).toBe(4);
    expect(c.key(key("Escape"))).toBe(true);
    expect(c.privatePage).toBe(null);
    expect(c.shownPage).toBe(3);
    c.goTo(7);
    expect(c.shownPage).toBe(7);
    m.view = { ...m.view!, page: 7 }; // the presenter came to the same page
    c.sync();
    expect(c.privatePage).toBe(null);
    c.goTo(5);
    c.goTo(7);
    expect(c.privatePage).toBe(null); // the live page is not a private one
    c.goTo(2);
    m.view = { ...m.view!, deck: { ...DECK, id: "e".repeat(64) } }; // a new deck
    c.sync();
    expect(c.privatePage).toBe(null);
    c.goTo(9);
    c.backToLive();
    expect(c.shownPage).toBe(7);
    expect(m.sent).toEqual([]);
  });

  it("tools and undo keys are not theirs: P and Ctrl+Z are let through", () => {
    const m = meeting({ presenting: false });
    expect(m.controls.key(key("p"))).toBe(false);
    expect(m.controls.key(key("z", { ctrlKey: true }))).toBe(false);
    expect(m.controls.tool).toBe(null);
  });

  it("pointer input does nothing", () => {
    const m = meeting({ presenting: false });
    m.controls.pick({ tool: "pen" });
    m.controls.ink("down", [10, 10]);
    m.controls.ink("up", [20, 20]);
    expect(m.sent).toEqual([]);
  });
});

describe("presenter controls: ink", () => {
  it("a pen stroke grows in batches and ends in one ink-stroke on the page shown, with the session clock", () => {
    const m = meeting({ page: 2 });
    const c = m.controls;
    c.ink("down", [100, 100]);
    c.ink("move", [200, 200, 300, 300]);
    expect(c.drawing(2).map((s) => s.points)).toEqual([[100, 100, 200, 200, 300, 300]]); // shown before it is sent
    m.tick(BATCH_MS);
    expect(m.sent).toEqual([{ type: "ink-progress", t: 5000 + BATCH_MS, page: 2, stroke: expect.any(String), tool: "pen", color: "#e53935", width: 45, points: [100, 100, 200, 200, 300, 300] }]);
    c.ink("up", [400, 400]);
    const last = m.sent.at(-1)!;
    expect(last).toMatchObject({ type: "ink-stroke", t: 5000 + BATCH_MS, page: 2, points: [100, 100, 200, 200, 300, 300, 400, 400] });
    expect(m.view!.ink[2]?.length).toBe(1);
    expect(c.drawing(2)).toEqual([]);
    expect(m.timers.pending()).toBe(0);
  });

  it("the highlighter draws wider; the toolbar's colour and width are used", () => {
    const m = meeting();
    m.controls.pick({ tool: "highlighter", color: "#1e88e5", width: 20 });
    m.controls.ink("down", [1, 1]);
    m.controls.ink("up", [2, 2]);
    expect(m.sent).toEqual([expect.objectContaining({ type: "ink-stroke", tool: "highlighter", color: "#1e88e5", width: 20 * HIGHLIGHTER_SCALE })]);
  });

  it("a page turn, a tool change or losing the role finishes the stroke being drawn first", () => {
    const m = meeting();
    const c = m.controls;
    c.ink("down", [1, 1]);
    c.ink("move", [5, 5]);
    c.key(key("PageDown"));
    expect(m.sent.map((e) => e.type)).toEqual(["ink-stroke", "page"]);
    expect(m.sent[0]).toMatchObject({ page: 1 });
    c.ink("down", [1, 1]);
    c.ink("move", [5, 5]);
    c.key(key("h"));
    expect(m.sent.map((e) => e.type)).toEqual(["ink-stroke", "page", "ink-stroke"]);
    c.key(key("p"));
    c.ink("down", [1, 1]);
    c.ink("move", [6, 6]);
    expect(m.timers.pending()).toBe(1); // the stroke's batches
    m.presenting = false; // handed over (the session no longer sends what this person draws)
    c.sync();
    expect(c.tool).toBe(null);
    expect(c.drawing(2)).toEqual([]);
    expect(m.timers.pending()).toBe(0);
    c.ink("down", [1, 1]);
    expect(c.drawing(2)).toEqual([]);
  });

  it("no tool (Esc): pointer input draws nothing", () => {
    const m = meeting();
    m.controls.key(key("Escape"));
    m.controls.ink("down", [1, 1]);
    m.controls.ink("up", [9, 9]);
    expect(m.sent).toEqual([]);
  });

  it("Ctrl/Cmd+Z and the toolbar undo the last stroke, Clear empties the page; nothing is sent for a page without ink", () => {
    const m = meeting();
    const c = m.controls;
    expect(c.key(key("z", { ctrlKey: true }))).toBe(true);
    c.command("clear");
    expect(m.sent).toEqual([]);
    for (const x of [10, 20, 30]) {
      c.ink("down", [x, x]);
      c.ink("up", [x + 5, x + 5]);
    }
    m.sent.length = 0;
    c.key(key("Z", { metaKey: true }));
    expect(m.view!.ink[1]?.length).toBe(2);
    c.command("undo");
    c.command("clear");
    expect(m.sent).toEqual([
      { type: "ink-undo", t: 5000, page: 1 },
      { type: "ink-undo", t: 5000, page: 1 },
      { type: "ink-clear", t: 5000, page: 1 },
    ]);
    expect(m.view!.ink[1] ?? []).toEqual([]);
    expect(c.key(key("z", { ctrlKey: true, shiftKey: true }))).toBe(false); // redo is not a thing
  });

  it("the eraser erases the strokes it touches on the page shown", () => {
    const m = meeting();
    const c = m.controls;
    c.ink("down", [1000, 1000]);
    c.ink("up", [2000, 1000]);
    c.ink("down", [1000, 4000]);
    c.ink("up", [2000, 4000]);
    const [first] = m.view!.ink[1]!;
    m.sent.length = 0;
    c.key(key("e"));
    c.ink("down", [1500, 1010]);
    c.ink("up", [1500, 1010]);
    expect(m.sent).toEqual([{ type: "ink-erase", t: 5000, page: 1, strokes: [first!.stroke] }]);
    expect(m.view!.ink[1]?.length).toBe(1);
  });

  it("opening an uploaded deck sends deck-open with the session clock", () => {
    const m = meeting();
    const deck = { id: "f".repeat(64), pages: 3, title: "Other" };
    m.tick(250);
    m.controls.openDeck(deck);
    expect(m.sent).toEqual([{ type: "deck-open", t: 5250, deck }]);
  });
});
