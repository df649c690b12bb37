// The deck wire shapes in protocol/: deck-status (element and JSON), the deck record of
// GET /decks/<id>, deck error bodies, and the deck URLs both the client and the server use.
import { describe, expect, it } from "vitest";
import { DECK_ERROR_CODES, validateDeckErrorBody } from "../../protocol/deck-errors.ts";
import { validateDeckInfo } from "../../protocol/deck-info.ts";
import { decodeDeckStatus, deckStatusOf, deckText, encodeDeckStatus, encodeDeckStatusJson, validateDeckStatus, type DeckStatus } from "../../protocol/deck-status.ts";
import { deckInfoUrl, IMAGE_WIDTHS, pageImageUrl, pageOfImageName, pendingDeckPath, slotOfUploadPath, snapWidth, thumbUrl, uploadPutPath, uploadStatusUrl, widthOfQuery } from "../../protocol/deck-urls.ts";
import { parseXml } from "../../protocol/parse.ts";
import { DECK_ERRORS } from "../../server/decks/errors.ts";

const DECK = "9ecf8054".padEnd(64, "0");
const ready: DeckStatus = { slot: "Jq0v3b0bq1xQmS2y5nTQhw", state: "ready", deck: DECK, pages: 30, title: "Q3 <review> & \"more\"", message: "Q3 is ready: 30 pages." };
const all: DeckStatus[] = [
  { slot: "s1", state: "uploaded", deck: DECK, message: "q3.pptx was uploaded." },
  { slot: "s1", state: "converting", deck: DECK, progress: 0, message: "Converting q3.pptx…" },
  { slot: "s1", state: "converting", deck: DECK, progress: 100, message: "" },
  ready,
  { slot: "s1", state: "failed", deck: DECK, code: "zip-bomb", message: "no" },
  { slot: "s1", state: "failed", code: "internal", message: "Something went wrong on the server." },
];

/** A deck-status element with these attributes (strings as given) and text. */
const el = (attrs: Record<string, string>, text = "x") =>
  parseXml(`<deck-status xmlns="urn:deckcast:0"${Object.entries(attrs).map(([k, v]) => ` ${k}="${v}"`).join("")}>${text}</deck-status>`);
const base = { slot: "s1", state: "ready", deck: DECK, pages: "3", title: "T" };
const without = (key: keyof typeof base) => Object.fromEntries(Object.entries(base).filter(([k]) => k !== key));

describe("deck-status", () => {
  it.each(all)("round-trips through the element and through JSON: %j", (s) => {
    const wire = parseXml(encodeDeckStatus(s).toString());
    expect(decodeDeckStatus(wire)).toEqual({ ok: true, value: s });
    expect(validateDeckStatus(JSON.parse(JSON.stringify(encodeDeckStatusJson(s))))).toEqual({ ok: true, value: s });
  });

  it("is found in the message around it; a message without one gives null", () => {
    const msg = parseXml(`<message from="deckcast.localhost">${encodeDeckStatus(ready).toString()}</message>`);
    expect(deckStatusOf(msg)).toEqual({ ok: true, value: ready });
    expect(deckStatusOf(parseXml("<message><body>hi</body></message>"))).toBeNull();
    expect(deckStatusOf(parseXml('<message><deck-status xmlns="urn:other" slot="s1" state="ready"/></message>'))).toBeNull();
  });

  it.each([
    ["no slot", without("slot"), "deck-status@slot"],
    ["a slot that is not an id", { ...base, slot: "a/b" }, "deck-status@slot"],
    ["a slot over 64 characters", { ...base, slot: "a".repeat(65) }, "deck-status@slot"],
    ["no state", without("state"), "deck-status@state"],
    ["a state not in the list", { ...base, state: "done" }, "deck-status@state"],
    ["a deck that is not 64 hex digits", { ...base, deck: "abc" }, "deck-status@deck"],
    ["an upper-case deck id", { ...base, deck: DECK.toUpperCase() }, "deck-status@deck"],
    ["ready without a deck", without("deck"), "deck-status@deck"],
    ["ready without pages", without("pages"), "deck-status@pages"],
    ["ready without a title", without("title"), "deck-status@title"],
    ["pages 0", { ...base, pages: "0" }, "deck-status@pages"],
    ["pages over the limit", { ...base, pages: "501" }, "deck-status@pages"],
    ["pages not a number", { ...base, pages: "12abc" }, "deck-status@pages"],
    ["pages not an integer", { ...base, pages: "1.5" }, "deck-status@pages"],
    ["a title over 200 code points", { ...base, title: "t".repeat(201) }, "deck-status@title"],
    ["failed without a code", { slot: "s1", state: "failed" }, "deck-status@code"],
    ["a code not in the catalogue", { slot: "s1", state: "failed", code: "exploded" }, "deck-status@code"],
    ["progress over 100", { slot: "s1", state: "converting", progress: "101" }, "deck-status@progress"],
    ["negative progress", { slot: "s1", state: "converting", progress: "-1" }, "deck-status@progress"],
  ])("refuses %s", (_what, attrs, path) => {
    const r = decodeDeckStatus(el(attrs as Record<string, string>));
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error).toMatchObject({ code: "bad-request", path });
  });

  it("refuses a message over 1000 code points, and a control character in it", () => {
    const long = decodeDeckStatus(el(base, "m".repeat(1001)));
    expect(long.ok || long.error.path).toBe("deck-status/text()");
    const ctl = decodeDeckStatus(el(base, "a&#x7f;b"));
    expect(ctl.ok || ctl.error.path).toBe("deck-status/text()");
  });

  it("refuses an element of another name or namespace", () => {
    expect(decodeDeckStatus(parseXml('<deck-status xmlns="urn:other" slot="s1" state="uploaded"/>')).ok).toBe(false);
    expect(decodeDeckStatus(parseXml('<status xmlns="urn:deckcast:0" slot="s1" state="uploaded"/>')).ok).toBe(false);
  });

  it.each([
    ["not an object", "ready"],
    ["an array", [ready]],
    ["pages as a string", { ...ready, pages: "30" }],
    ["progress as a fraction", { slot: "s1", state: "converting", progress: 0.5, message: "" }],
    ["no message", { slot: "s1", state: "uploaded" }],
    ["a message that is not a string", { slot: "s1", state: "uploaded", message: 5 }],
    ["an inherited state", Object.assign(Object.create({ state: "ready" }), { slot: "s1", message: "" })],
  ])("the JSON form refuses %s", (_what, v) => {
    expect(validateDeckStatus(v).ok).toBe(false);
  });

  it("the encoders make text safe and bounded, so the server never sends what clients drop", () => {
    const s: DeckStatus = { slot: "s1", state: "ready", deck: DECK, pages: 1, title: `x\u007fy${"t".repeat(300)}`, message: `${"m".repeat(2000)}\u0001` };
    const back = decodeDeckStatus(parseXml(encodeDeckStatus(s).toString()));
    expect(back.ok).toBe(true);
    if (!back.ok) return;
    expect([...back.value.title!]).toHaveLength(200);
    expect(back.value.title!.startsWith("x\ufffdy")).toBe(true);
    expect([...back.value.message]).toHaveLength(1000);
    expect(back.value.message.endsWith("…")).toBe(true);
    expect(validateDeckStatus(encodeDeckStatusJson(s)).ok).toBe(true);
    expect(deckText("😀".repeat(3), 2)).toBe("😀…");
  });
});

describe("deck error codes", () => {
  it("the server's catalogue holds exactly the protocol's codes", () => {
    expect(Object.keys(DECK_ERRORS).sort()).toEqual([...DECK_ERROR_CODES].sort());
  });

  it("error bodies are checked before their text is shown", () => {
    expect(validateDeckErrorBody({ error: { code: "too-large", message: "The file is too big." } }).ok).toBe(true);
    expect(validateDeckErrorBody({ error: { code: "nope", message: "x" } }).ok).toBe(false);
    expect(validateDeckErrorBody({ error: { code: "too-large", message: "x".repeat(1001) } }).ok).toBe(false);
    expect(validateDeckErrorBody({ error: { code: "too-large" } }).ok).toBe(false);
    expect(validateDeckErrorBody({ message: "x" }).ok).toBe(false);
    expect(validateDeckErrorBody(null).ok).toBe(false);
  });
});

describe("deck record (GET /decks/<id>)", () => {
  const record = { id: DECK, sourceType: "pptx", pages: 2, pageSizes: [{ width: 720, height: 405 }, { width: 595.28, height: 841.89 }], title: "Q3", createdAt: "2026-12-01T10:00:00.000Z" };

  it("reads a record, with and without the page texts", () => {
    expect(validateDeckInfo(record)).toEqual({ ok: true, value: record });
    expect(validateDeckInfo({ ...record, text: ["one", ""] })).toEqual({ ok: true, value: { ...record, text: ["one", ""] } });
  });

  it.each([
    ["not an object", "deck", "deck"],
    ["a bad id", { ...record, id: "x" }, "deck.id"],
    ["an unknown source type", { ...record, sourceType: "exe" }, "deck.sourceType"],
    ["no pages", { ...record, pages: undefined }, "deck.pages"],
    ["pages over the limit", { ...record, pages: 501 }, "deck.pages"],
    ["pageSizes not an array", { ...record, pageSizes: {} }, "deck.pageSizes"],
    ["fewer page sizes than pages", { ...record, pageSizes: [{ width: 1, height: 1 }] }, "deck.pageSizes"],
    ["a page size that is not an object", { ...record, pageSizes: [{ width: 1, height: 1 }, 5] }, "deck.pageSizes[2]"],
    ["a zero height", { ...record, pageSizes: [{ width: 1, height: 1 }, { width: 1, height: 0 }] }, "deck.pageSizes[2].height"],
    ["a width that is a string", { ...record, pageSizes: [{ width: "1", height: 1 }, { width: 1, height: 1 }] }, "deck.pageSizes[1].width"],
    ["an infinite width", { ...record, pageSizes: [{ width: 1e309, height: 1 }, { width: 1, height: 1 }] }, "deck.pageSizes[1].width"],
    ["an empty title", { ...record, title: "" }, "deck.title"],
    ["a title over 200 code points", { ...record, title: "t".repeat(201) }, "deck.title"],
    ["no createdAt", { ...record, createdAt: undefined }, "deck.createdAt"],
    ["text not one string per page", { ...record, text: ["one"] }, "deck.text"],
    ["text that is not strings", { ...record, text: ["one", 2] }, "deck.text[2]"],
  ])("refuses %s", (_what, v, path) => {
    const r = validateDeckInfo(v);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error).toMatchObject({ code: "bad-request", path });
  });
});

describe("deck URLs", () => {
  it("snap widths up to the server's sizes, clamped, NaN to the default", () => {
    expect([snapWidth(1), snapWidth(64), snapWidth(300), snapWidth(1280), snapWidth(1281), snapWidth(99999), snapWidth(Number.NaN)])
      .toEqual([64, 64, 320, 1280, 1600, 2560, 1280]);
    for (const w of IMAGE_WIDTHS) expect(snapWidth(w)).toBe(w);
  });

  it("build the paths the server's routes read back", () => {
    expect(deckInfoUrl(DECK)).toBe(`/decks/${DECK}`);
    expect(deckInfoUrl(DECK, { text: true })).toBe(`/decks/${DECK}?text=1`);
    const page = new URL(pageImageUrl(DECK, 7, 1000), "http://x");
    expect(page.pathname).toBe(`/decks/${DECK}/pages/7.jpg`);
    expect(widthOfQuery(page.searchParams.get("w"))).toBe(1024);
    expect(pageOfImageName(page.pathname.split("/").at(-1)!)).toBe(7);
    expect(thumbUrl(DECK, 3)).toBe(`/decks/${DECK}/thumbs/3.jpg`);
    expect(uploadStatusUrl("Jq0v3b0bq1xQmS2y5nTQhw")).toBe("/upload/Jq0v3b0bq1xQmS2y5nTQhw/status");
    const put = new URL(uploadPutPath("Jq0v3b0bq1xQmS2y5nTQhw", "1767000300000.mXo+/="), "http://x");
    expect(slotOfUploadPath(put.pathname)).toBe("Jq0v3b0bq1xQmS2y5nTQhw");
    expect(put.searchParams.get("token")).toBe("1767000300000.mXo+/=");
    expect(pendingDeckPath("Jq0v3b0bq1xQmS2y5nTQhw")).toBe("/decks/pending/Jq0v3b0bq1xQmS2y5nTQhw");
  });

  it("refuse image names and upload paths they do not make", () => {
    expect([pageOfImageName("7.png"), pageOfImageName("123456.jpg"), pageOfImageName("../7.jpg"), pageOfImageName("7.jpg.exe")]).toEqual([null, null, null, null]);
    expect([slotOfUploadPath("/upload/"), slotOfUploadPath("/upload/a/b"), slotOfUploadPath("/decks/x")]).toEqual([null, null, null]);
    expect([widthOfQuery(undefined), widthOfQuery(["100", "200"]), widthOfQuery("abc")]).toEqual([1280, 1280, 1280]);
  });
});
