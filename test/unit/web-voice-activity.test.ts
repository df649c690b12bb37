/**
 * Whether a follower sees the presenter's microphone as on (web-client/src/app/voice-activity.ts):
 * off until relayed audio arrives, on while it keeps coming, off again after QUIET_MS of
 * silence. Timers are injected and advanced by hand.
 */
import { describe, expect, it } from "vitest";
import { QUIET_MS, VoiceActivity, type VoiceTimers } from "../../web-client/src/app/voice-activity.ts";

function fakeTimers() {
  let now = 0;
  let timers: { at: number; fn: () => void; id: number }[] = [];
  let n = 0;
  const t: VoiceTimers & { advance(ms: number): void; pending(): number } = {
    set: (fn, ms) => (timers.push({ at: now + ms, fn, id: ++n }), n),
    clear: (h) => (timers = timers.filter((x) => x.id !== h)),
    pending: () => timers.length,
    advance(ms) {
      const until = now + ms;
      for (;;) {
        const next = timers.filter((x) => x.at <= until).sort((a, b) => a.at - b.at)[0];
        if (!next) break;
        timers = timers.filter((x) => x !== next);
        now = next.at;
        next.fn();
      }
      now = until;
    },
  };
  return t;
}

describe("voice activity", () => {
  it("is off until audio arrives, stays on while it keeps coming, and goes off after QUIET_MS without any", () => {
    const timers = fakeTimers();
    const v = new VoiceActivity(timers);
    const seen: boolean[] = [];
    v.on("change", (on) => seen.push(on));
    expect(v.speaking).toBe(false);
    v.heard();
    expect(v.speaking).toBe(true);
    for (let i = 0; i < 10; i++) {
      timers.advance(100);
      v.heard(); // 100 ms pages
    }
    timers.advance(QUIET_MS - 1);
    expect(v.speaking).toBe(true);
    timers.advance(1);
    expect(v.speaking).toBe(false);
    v.heard();
    expect(seen).toEqual([true, false, true]); // one change each way, not one per page
    expect(timers.pending()).toBe(1);
  });

  it("stop() turns it off and leaves no timer behind", () => {
    const timers = fakeTimers();
    const v = new VoiceActivity(timers);
    v.heard();
    v.stop();
    expect(v.speaking).toBe(false);
    expect(timers.pending()).toBe(0);
  });
});
