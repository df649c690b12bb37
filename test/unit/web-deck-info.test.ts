// The web client reads GET /decks/<id> with protocol/deck-info.ts: a body that does not check,
// or that is another deck's, is a clear error instead of a layout built on it.
import { describe, expect, it } from "vitest";
import { pageRatio, readDeckInfo } from "../../web-client/src/app/deck-info.ts";

const ID = "ab".repeat(32);
const record = { id: ID, sourceType: "pdf", pages: 1, pageSizes: [{ width: 720, height: 405 }], title: "T", createdAt: "2026-12-01T10:00:00.000Z" };

describe("readDeckInfo", () => {
  it("returns a record that checks", () => {
    const info = readDeckInfo(ID, record);
    expect(info).toEqual(record);
    expect(pageRatio(info, 1)).toBeCloseTo(720 / 405);
  });

  it.each([
    ["an HTML error page", undefined, /cannot read \(deck: a deck record must be an object, got nothing\)/],
    ["page sizes missing", { ...record, pageSizes: undefined }, /cannot read \(deck\.pageSizes: /],
    ["a negative width", { ...record, pageSizes: [{ width: -1, height: 1 }] }, /deck\.pageSizes\[1\]\.width/],
    ["another deck's record", { ...record, id: "cd".repeat(32) }, /another deck/],
  ])("refuses %s with a clear error", (_what, body, message) => {
    expect(() => readDeckInfo(ID, body)).toThrow(message);
  });
});
