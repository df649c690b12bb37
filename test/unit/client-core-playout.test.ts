/**
 * Sync mode (client-core/playout.ts): a follower's view shows each event when its
 * audio is heard, in order, and ends exactly at the confirmed state; without a clock (not
 * listening, muted) it shows everything at once.
 */
import { describe, expect, it } from "vitest";
import { applyBundle, initialState } from "../../protocol/reducer.ts";
import type { DeckEvent, RoomState, StampedBundle } from "../../protocol/types.ts";
import { Playout, VISUAL_LEAD_MS, type PlayoutTimers } from "../../client-core/playout.ts";
import { fakeClock, type FakeClock } from "../support/fake-clock.ts";

/** Playout's clock and timers, moved by the test. */
function fakeTimers() {
  const c = fakeClock(0);
  const timers: PlayoutTimers & Pick<FakeClock, "advance" | "pending"> = { now: c.now, set: c.after, clear: c.clear, pending: c.pending, advance: c.advance };
  return timers;
}

const deck = { id: "a".repeat(64), pages: 9, title: "" };
let seq = 1;
function bundle(state: RoomState, events: DeckEvent[]): [StampedBundle, RoomState] {
  const b: StampedBundle = { id: `b${seq}`, seq: ++seq, ts: 0, from: "alice", t: events[0]?.t ?? 0, events };
  return [b, applyBundle(state, b)];
}

describe("playout", () => {
  it("shows each page when its time is heard (the clock: session ms + 1000 on the wall clock)", () => {
    const timers = fakeTimers();
    const p = new Playout(timers);
    let s: RoomState = { ...initialState("t"), deck, page: 1 };
    p.reset(s);
    p.setClock({ heardAt: (t) => t + 1000 });
    const [b1, s1] = bundle(s, [{ type: "page", t: 100, page: 2 }, { type: "page", t: 150, page: 3 }]);
    p.push(b1, (s = s1));
    const [b2, s2] = bundle(s, [{ type: "page", t: 400, page: 4 }]);
    p.push(b2, (s = s2));
    expect(p.state!.page).toBe(1);
    expect(p.held).toBe(3);
    timers.advance(1100 - VISUAL_LEAD_MS);
    expect(p.state!.page).toBe(2);
    timers.advance(50);
    expect(p.state).toEqual(s1);
    timers.advance(249);
    expect(p.state!.page).toBe(3);
    timers.advance(1);
    expect(p.state).toEqual(s2);
    expect(p.held).toBe(0);
  });

  it("shows everything at once without a clock, and when the clock goes away (mute)", () => {
    const timers = fakeTimers();
    const p = new Playout(timers);
    let s: RoomState = { ...initialState("t"), deck, page: 1 };
    p.reset(s);
    const [b1, s1] = bundle(s, [{ type: "page", t: 100, page: 2 }]);
    p.push(b1, (s = s1));
    expect(p.state).toEqual(s1);
    p.setClock({ heardAt: (t) => t + 1000 });
    const [b2, s2] = bundle(s, [{ type: "page", t: 300, page: 5 }]);
    p.push(b2, (s = s2));
    expect(p.state!.page).toBe(2);
    p.setClock(null);
    expect(p.state).toEqual(s2);
  });

  it("keeps order: an audio-only bundle behind a held event waits for it", () => {
    const timers = fakeTimers();
    const p = new Playout(timers);
    let s: RoomState = { ...initialState("t"), deck, page: 1 };
    p.reset(s);
    p.setClock({ heardAt: (t) => t + 1000 });
    const [b1, s1] = bundle(s, [{ type: "page", t: 500, page: 2 }]);
    p.push(b1, (s = s1));
    const [b2, s2] = bundle(s, []);
    p.push(b2, (s = s2));
    expect(p.state!.seq).toBeLessThan(b1.seq);
    timers.advance(1500);
    expect(p.state).toEqual(s2);
  });
});
