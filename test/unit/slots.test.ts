/**
 * Slots (server/slots.ts): at most `limit` jobs run at once, the rest wait in order, and with
 * `maxWaiting` one more is refused at once (SlotsFull) rather than held: what an edge answers
 * 503 edge-busy with when a flood of image requests would pile up.
 */
import { describe, expect, it } from "vitest";
import { Slots, SlotsFull } from "../../server/slots.ts";

describe("slots", () => {
  it("runs at most `limit` at once, in order, and refuses past maxWaiting", async () => {
    const slots = new Slots(2, { maxWaiting: 2 });
    let running = 0;
    let most = 0;
    const order: number[] = [];
    const gates: (() => void)[] = [];
    const job = (n: number) => () =>
      new Promise<number>((resolve) => {
        running++;
        most = Math.max(most, running);
        gates.push(() => {
          running--;
          order.push(n);
          resolve(n);
        });
      });
    const runs = [1, 2, 3, 4].map((n) => slots.run(job(n)));
    await expect(slots.run(job(5))).rejects.toBeInstanceOf(SlotsFull);
    while (order.length < 4) {
      await new Promise((r) => setTimeout(r, 0));
      gates.shift()?.();
    }
    expect(await Promise.all(runs)).toEqual([1, 2, 3, 4]);
    expect(order).toEqual([1, 2, 3, 4]);
    expect(most).toBe(2);
    expect(await slots.run(async () => "free again")).toBe("free again");
  });
});
