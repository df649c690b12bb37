// protocol/deck-prefetch.ts: the manifest a client fetches is hostile input (every field is
// checked, page counts and sizes bounded, urls must be the deck's own), and the fetch order puts
// the current and next pages first.
import { describe, expect, it } from "vitest";
import { deckManifestUrl, prefetchOrder, readDeckManifest, type DeckManifest } from "../../protocol/deck-prefetch.ts";
import { pageImageUrl, thumbUrl } from "../../protocol/deck-urls.ts";
import { LIMITS } from "../../protocol/namespaces.ts";
import { helloWidth, prefetchFrame, readPhoneFrame, type HelloFrame } from "../../protocol/phone.ts";

const DECK = "ab".repeat(32);
const HASH = "0f".repeat(32);

function manifest(pages: number, width = 1280): DeckManifest {
  const list = (url: (p: number) => string) => Array.from({ length: pages }, (_, i) => ({ page: i + 1, url: url(i + 1), sha256: HASH, bytes: 1000 + i }));
  return { v: 1, deck: DECK, width: width as DeckManifest["width"], pages: list((p) => pageImageUrl(DECK, p, width)), thumbs: list((p) => thumbUrl(DECK, p)) };
}

const errorOf = (v: unknown, asked?: { deck: string; width?: number }) => {
  const r = readDeckManifest(v, asked);
  return r.ok ? null : r.error;
};

describe("deckManifestUrl", () => {
  it("names the deck and a snapped width", () => {
    expect(deckManifestUrl(DECK, 1000)).toBe(`/decks/${DECK}/manifest?w=1024`);
    expect(deckManifestUrl(DECK, 99999)).toBe(`/decks/${DECK}/manifest?w=2560`);
  });
});

describe("readDeckManifest", () => {
  it("returns a manifest that checks, unchanged", () => {
    const m = manifest(3);
    const r = readDeckManifest(JSON.parse(JSON.stringify(m)), { deck: DECK, width: 1200 });
    expect(r).toEqual({ ok: true, value: m });
  });

  const m = manifest(2);
  const bad: [string, unknown, string][] = [
    ["not an object", "hello", "manifest"],
    ["an array", [m], "manifest"],
    ["another version", { ...m, v: 2 }, "manifest.v"],
    ["a deck id not hex", { ...m, deck: "../../etc" }, "manifest.deck"],
    ["an upper-case deck id", { ...m, deck: DECK.toUpperCase() }, "manifest.deck"],
    ["a width not snapped", { ...m, width: 1000 }, "manifest.width"],
    ["pages missing", { ...m, pages: undefined }, "manifest.pages"],
    ["no pages", { ...m, pages: [], thumbs: [] }, "manifest.pages"],
    ["too many pages", { ...m, pages: Array.from({ length: LIMITS.maxPages + 1 }, () => m.pages[0]) }, "manifest.pages"],
    ["pages out of order", { ...m, pages: [m.pages[1], m.pages[0]] }, "manifest.pages[1].page"],
    ["a page number not an integer", { ...m, pages: [{ ...m.pages[0], page: 1.5 }, m.pages[1]] }, "manifest.pages[1].page"],
    ["a url elsewhere", { ...m, pages: [{ ...m.pages[0], url: "https://evil.example/1.jpg" }, m.pages[1]] }, "manifest.pages[1].url"],
    ["a url at another width", { ...m, pages: [{ ...m.pages[0], url: pageImageUrl(DECK, 1, 640) }, m.pages[1]] }, "manifest.pages[1].url"],
    ["a thumb url for a page", { ...m, thumbs: [{ ...m.thumbs[0], url: m.pages[0]!.url }, m.thumbs[1]] }, "manifest.thumbs[1].url"],
    ["a short hash", { ...m, pages: [{ ...m.pages[0], sha256: "ab".repeat(31) }, m.pages[1]] }, "manifest.pages[1].sha256"],
    ["a long hash", { ...m, pages: [m.pages[0], { ...m.pages[1], sha256: "ab".repeat(33) }] }, "manifest.pages[2].sha256"],
    ["an upper-case hash", { ...m, thumbs: [{ ...m.thumbs[0], sha256: HASH.toUpperCase() }, m.thumbs[1]] }, "manifest.thumbs[1].sha256"],
    ["zero bytes", { ...m, pages: [{ ...m.pages[0], bytes: 0 }, m.pages[1]] }, "manifest.pages[1].bytes"],
    ["too many bytes", { ...m, pages: [{ ...m.pages[0], bytes: 2 ** 40 }, m.pages[1]] }, "manifest.pages[1].bytes"],
    ["bytes as a string", { ...m, pages: [{ ...m.pages[0], bytes: "9" }, m.pages[1]] }, "manifest.pages[1].bytes"],
    ["an entry not an object", { ...m, pages: [null, m.pages[1]] }, "manifest.pages[1]"],
    ["fewer thumbs than pages", { ...m, thumbs: [m.thumbs[0]] }, "manifest.thumbs"],
  ];
  it.each(bad)("refuses %s", (_what, body, path) => {
    expect(errorOf(body)).toMatchObject({ code: "bad-request", path });
  });

  it("refuses another deck's manifest or another width than asked", () => {
    expect(errorOf(m, { deck: "cd".repeat(32) })).toMatchObject({ path: "manifest.deck" });
    expect(errorOf(m, { deck: DECK, width: 640 })).toMatchObject({ path: "manifest.width" });
  });

  it("never reads inherited properties", () => {
    const body = Object.create({ v: 1, deck: DECK, width: 1280, pages: m.pages, thumbs: m.thumbs });
    expect(errorOf(body)).toMatchObject({ path: "manifest.v" });
  });
});

describe("prefetchOrder", () => {
  const pagesOf = (items: { kind: string; page: number }[]) => items.map((i) => `${i.kind[0]}${i.page}`);

  it("fetches the current and next pages first, then the rest by distance, ahead first", () => {
    expect(pagesOf(prefetchOrder(manifest(6), 3))).toEqual(["p3", "p4", "p2", "p5", "p1", "p6"]);
    expect(pagesOf(prefetchOrder(manifest(4), 1))).toEqual(["p1", "p2", "p3", "p4"]);
    expect(pagesOf(prefetchOrder(manifest(4), 4))).toEqual(["p4", "p3", "p2", "p1"]);
  });

  it("with small, puts the thumbs of the current and next pages before all, the other thumbs last", () => {
    expect(pagesOf(prefetchOrder(manifest(4), 2, true))).toEqual(["t2", "t3", "p2", "p3", "p1", "p4", "t1", "t4"]);
    expect(pagesOf(prefetchOrder(manifest(1), 1, true))).toEqual(["t1", "p1"]);
  });

  it("clamps a current page outside the deck", () => {
    expect(pagesOf(prefetchOrder(manifest(3), 99))).toEqual(["p3", "p2", "p1"]);
    expect(pagesOf(prefetchOrder(manifest(3), Number.NaN))).toEqual(["p1", "p2", "p3"]);
  });

  it("carries each entry's url, hash and size", () => {
    const [first] = prefetchOrder(manifest(2), 1);
    expect(first).toEqual({ kind: "page", page: 1, url: pageImageUrl(DECK, 1, 1280), sha256: HASH, bytes: 1000 });
  });
});

describe("phones' prefetch lists (protocol/phone.ts)", () => {
  const hello = (extra: Record<string, unknown>) => {
    const text = JSON.stringify({ type: "hello", v: 1, meeting: "abcd1234", name: "Fern", ...extra });
    return readPhoneFrame(text, text.length);
  };

  it("reads a hello's width and snaps it; 1280 without one", () => {
    const r = hello({ width: 1170 });
    expect(r).toMatchObject({ ok: true, frame: { width: 1170 } });
    expect(r.ok && helloWidth(r.frame as HelloFrame)).toBe(1280);
    const none = hello({});
    expect(none.ok && helloWidth(none.frame as HelloFrame)).toBe(1280);
    const small = hello({ width: 300 });
    expect(small.ok && helloWidth(small.frame as HelloFrame)).toBe(320);
  });

  it.each([["a string", "800"], ["a fraction", 800.5], ["zero", 0], ["too wide", 1e9]])("closes on a hello width that is %s", (_what, width) => {
    expect(hello({ width })).toMatchObject({ ok: false, close: "badFrame" });
  });

  it("makes the manifest's URLs absolute on the base", () => {
    const f = prefetchFrame(manifest(2), "http://10.0.0.5:8080/");
    expect(f).toMatchObject({ type: "prefetch", deck: DECK, width: 1280 });
    expect(f.pages[1]).toEqual({ page: 2, url: `http://10.0.0.5:8080${pageImageUrl(DECK, 2, 1280)}`, sha256: HASH, bytes: 1001 });
    expect(f.thumbs[0]!.url).toBe(`http://10.0.0.5:8080${thumbUrl(DECK, 1)}`);
  });
});
