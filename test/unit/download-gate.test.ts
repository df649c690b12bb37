/**
 * Session downloads at once (server/http/download-gate.ts): a token holder asking for many
 * downloads gets `busy` (429) past DOWNLOADS_AT_ONCE per session or in all, and every place
 * is given back exactly once when a download ends.
 */
import { describe, expect, it } from "vitest";
import { DOWNLOADS_AT_ONCE } from "../../protocol/archive.ts";
import { createDownloadGate } from "../../server/http/download-gate.ts";

describe("downloads at once", () => {
  it("bounds one session's downloads and all of them, and frees each place once", () => {
    const gate = createDownloadGate(DOWNLOADS_AT_ONCE);
    const a = Array.from({ length: DOWNLOADS_AT_ONCE.perSession }, () => gate.enter("s1"));
    expect(a.filter((x) => x === null)).toEqual([]);
    expect(gate.enter("s1")).toBeNull(); // one session's limit
    a[0]!();
    a[0]!(); // a second close of the same download frees nothing more
    expect(gate.active).toBe(DOWNLOADS_AT_ONCE.perSession - 1);
    const again = gate.enter("s1");
    expect(again).not.toBeNull();
    expect(gate.enter("s1")).toBeNull();
    const others: (() => void)[] = [];
    for (let i = 0; gate.active < DOWNLOADS_AT_ONCE.total; i++) others.push(gate.enter(`other-${i}`)!);
    expect(gate.active).toBe(DOWNLOADS_AT_ONCE.total);
    expect(gate.enter("fresh")).toBeNull(); // the server's limit
    for (const leave of [...others, again!, a[1]!]) leave();
    expect(gate.active).toBe(0);
    expect(gate.enter("fresh")).not.toBeNull();
  });
});
