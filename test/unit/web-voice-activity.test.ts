/**
 * Whether a follower sees the presenter's microphone as on (web-client/src/app/voice-activity.ts):
 * off until relayed audio arrives, on while it keeps coming, off again after QUIET_MS of
 * silence. Timers are injected and advanced by hand.
 */
import { describe, expect, it } from "vitest";
import { QUIET_MS, VoiceActivity, type VoiceTimers } from "../../web-client/src/app/voice-activity.ts";
import { fakeClock, type FakeClock } from "../support/fake-clock.ts";

/** Voice activity's timers on a clock the test moves. */
function fakeTimers() {
  const c = fakeClock(0);
  const timers: VoiceTimers & Pick<FakeClock, "advance" | "pending"> = { set: c.after, clear: c.clear, pending: c.pending, advance: c.advance };
  return timers;
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
