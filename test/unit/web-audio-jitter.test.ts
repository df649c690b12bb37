/**
 * The follower's jitter buffer policy (web-client/src/audio/jitter.ts), driven by arrival
 * times: chunks of 100 ms arriving on time, late, all at once after a reconnect.
 */
import { describe, expect, it } from "vitest";
import { JitterPolicy, type Placement } from "../../web-client/src/audio/jitter.ts";

const lead = (p: Placement) => ("drop" in p ? null : Math.round(p.lead));

/** Chunk k covers session [k·100, k·100 + 100) ms and arrives at `arrive(k)` seconds. */
function feed(j: JitterPolicy, from: number, to: number, arrive: (k: number) => number): (number | null)[] {
  const out: (number | null)[] = [];
  for (let k = from; k < to; k++) out.push(lead(j.place(arrive(k), k * 100, k * 100 + 100)));
  return out;
}

describe("the jitter buffer", () => {
  it("starts with a small lead and keeps it while chunks arrive steadily", () => {
    const j = new JitterPolicy();
    const leads = feed(j, 0, 20, (k) => 10 + k * 0.1 + 0.1);
    expect(leads[0]).toBe(80);
    expect(new Set(leads)).toEqual(new Set([80]));
  });

  it("moves later when a chunk comes too late to play whole, then keeps the larger lead", () => {
    const j = new JitterPolicy();
    feed(j, 0, 10, (k) => 10 + k * 0.1);
    const late = j.place(10 + 10 * 0.1 + 0.075, 1000, 1100); // 75 ms later than usual: 5 ms left
    expect(lead(late)).toBe(j.opts.growToMs);
    expect(feed(j, 11, 14, (k) => 10 + k * 0.1)).toEqual([135, 135, 135]);
  });

  it("catches up once a whole window arrived with time to spare: the delay does not keep growing", () => {
    const j = new JitterPolicy();
    feed(j, 0, 5, (k) => 10 + k * 0.1);
    j.place(10 + 0.5 + 0.2, 500, 600); // one hiccup: lead grows to 60 for it, 260 for the steady ones
    const after = feed(j, 6, 60, (k) => 10 + k * 0.1);
    expect(Math.max(...(after as number[]))).toBeGreaterThan(200);
    expect(after.at(-1)).toBe(j.opts.minLeadMs);
  });

  it("after a reconnect drops what is long due, and the backlog that arrives at once does not add delay", () => {
    const j = new JitterPolicy();
    feed(j, 0, 20, (k) => 10 + k * 0.1);
    // Offline for 3 s: chunks 20..49 arrive together at 15.0 s, then live ones again.
    const burst = feed(j, 20, 50, () => 15.0);
    expect(burst.slice(0, 25).flatMap((l, i) => (l === null ? [] : [`chunk ${20 + i}: lead ${l}`])), "long-due chunks played").toEqual([]);
    const live = feed(j, 50, 55, (k) => 15.0 + (k - 49) * 0.1);
    expect(Math.max(...(live as number[]))).toBeLessThanOrEqual(j.opts.ceilingMs);
  });

  it("times a long chunk (the component's silence before the first word) by its last page", () => {
    const j = new JitterPolicy();
    expect(lead(j.place(10, 0, 2300))).toBe(80); // as if it began at 2200
    expect(lead(j.place(10.1, 2300, 2400))).toBe(80);
  });

  it("starts over when chunks keep arriving far too late (the stream itself moved)", () => {
    const j = new JitterPolicy();
    feed(j, 0, 10, (k) => 10 + k * 0.1);
    const shifted = feed(j, 10, 30, (k) => 12 + k * 0.1); // from now on 1 s later than before
    expect(shifted[0]).toBeNull();
    expect(shifted.at(-1)).toBe(80);
  });
});
