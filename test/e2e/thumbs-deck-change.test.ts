/**
 * Right after a new deck is ready, the thumbnail strip must never show the previous deck's
 * pages. Real browser, real stack: Alice presents deck A, its thumbnails load; then she
 * uploads deck B while the server's answers for B's thumbnails are held back. Until they
 * are let through, no thumbnail may paint any page: the strip used to reuse A's <img>
 * elements, and Chromium keeps painting an <img>'s old picture until its new src has loaded
 * (while naturalWidth already says 0, so this is checked on the pixels). Afterwards every
 * thumbnail shows B's own page. And with more pages than the strip shows, the shown page's
 * thumbnail is kept wholly in view, the strip scrolling only when it was not.
 */
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import type { Route } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { launchBrowser, screenshot, type Person, type TestBrowser } from "../support/browser.ts";
import { makePdf } from "../support/decks-pdf.ts";
import { createMeeting, login, waitForPage } from "./support/meeting-page.ts";
import { PASSWORD, startWebStack, type WebStack } from "./support/stack.ts";

interface ThumbState { deck: string | null; imgs: { src: string; currentSrc: string; thumb: string; shown: boolean }[] }

/** What the strip shows now: its deck and, per <img>, its URL and whether a picture is drawn. */
function thumbs(alice: Person): Promise<ThumbState> {
  return alice.page.evaluate(() => {
    const meeting = document.querySelector("deckcast-app")?.shadowRoot?.querySelector("dc-meeting")?.shadowRoot;
    const strip = meeting?.querySelector("dc-thumbs") as (HTMLElement & { deck: string | null }) | null;
    const imgs = [...(strip?.shadowRoot?.querySelectorAll("img") ?? [])] as HTMLImageElement[];
    return {
      deck: strip?.deck ?? null,
      // `thumb`: which page the <img> is (its src is a blob: URL once the deck is held offline).
      imgs: imgs.map((i) => ({ src: i.src, currentSrc: i.currentSrc, thumb: i.dataset.thumb ?? "", shown: i.complete && i.naturalWidth > 0 })),
    };
  });
}

/** Grey-to-black pixels in the top half of thumbnail k as painted: the page's text (the page number badge is below). */
async function inkInThumb(alice: Person, k: number): Promise<number> {
  const png = await alice.page.locator("dc-thumbs img").nth(k).screenshot();
  const { createCanvas, loadImage } = await import("@napi-rs/canvas");
  const img = await loadImage(png);
  const ctx = createCanvas(img.width, img.height).getContext("2d");
  ctx.drawImage(img, 0, 0);
  // Inside the rounded corners (they show the button behind), above the number badge.
  const px = ctx.getImageData(6, 6, img.width - 12, Math.floor(img.height / 2) - 6).data;
  let dark = 0;
  for (let i = 0; i < px.length; i += 4) if (px[i]! < 200 && px[i + 1]! < 200 && px[i + 2]! < 200) dark++;
  return dark;
}

/** The strip's scroll position, and the parts of `page`'s thumbnail outside its view (px; 0, 0 when wholly in view). */
function stripView(alice: Person, page: number): Promise<{ scrollLeft: number; left: number; right: number }> {
  return alice.page.evaluate((page) => {
    const strip = document.querySelector("deckcast-app")?.shadowRoot?.querySelector("dc-meeting")?.shadowRoot?.querySelector("dc-thumbs") as HTMLElement;
    const view = strip.getBoundingClientRect();
    const thumb = strip.shadowRoot!.querySelector(`button[data-page="${page}"]`)!.getBoundingClientRect();
    return { scrollLeft: strip.scrollLeft, left: Math.max(0, Math.round(view.left - thumb.left)), right: Math.max(0, Math.round(thumb.right - view.right)) };
  }, page);
}

async function upload(alice: Person, file: string, deckBefore: string | null): Promise<string> {
  await alice.page.setInputFiles("dc-upload input[type=file]", file);
  await expect.poll(async () => (await thumbs(alice)).deck, { timeout: 60_000 }).not.toBe(deckBefore);
  return (await thumbs(alice)).deck!;
}

describe("thumbnails after a deck change", () => {
  let stack: WebStack;
  let browser: TestBrowser;
  let alice: Person;
  let dir: string;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), "deckcast-thumbs-"));
    stack = await startWebStack();
    browser = await launchBrowser();
    alice = await browser.person("alice");
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await stack?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it("never shows the previous deck's pages, even while the new thumbnails load", async () => {
    const a = path.join(dir, "deck-a.pdf");
    const b = path.join(dir, "deck-b.pdf");
    await writeFile(a, makePdf(["A one", "A two", "A three"]));
    await writeFile(b, makePdf(["B one", "B two", "B three"]));

    await login(alice.page, stack.url, "alice", PASSWORD);
    await createMeeting(alice.page, "Thumbnails");
    const deckA = await upload(alice, a, null);
    await expect.poll(async () => (await thumbs(alice)).imgs.filter((i) => i.shown).length, { timeout: 30_000 }).toBe(3);
    for (let k = 0; k < 3; k++) await expect.poll(() => inkInThumb(alice, k), { timeout: 10_000 }).toBeGreaterThan(0);

    // Hold every thumbnail answer that is not deck A's until B's strip has been looked at.
    const held: Route[] = [];
    let holding = true;
    await alice.page.route("**/decks/*/thumbs/*", (route) => {
      if (!holding || route.request().url().includes(`/decks/${deckA}/`)) void route.continue();
      else held.push(route);
    });
    const deckB = await upload(alice, b, deckA);
    expect(deckB).not.toBe(deckA);
    await expect.poll(() => held.length, { timeout: 15_000 }).toBeGreaterThan(0);
    const whileHeld = await thumbs(alice);
    await screenshot(alice.page, "thumbs-deck-change-held");
    expect(whileHeld.imgs).toHaveLength(3);
    for (const [k, img] of whileHeld.imgs.entries()) {
      expect(img.src).toContain(`/decks/${deckB}/`);
      // The DOM says "nothing loaded" even when Chromium still paints the old picture: look at the pixels.
      expect(await inkInThumb(alice, k), `thumbnail ${k + 1} still paints deck A's page while deck B's loads`).toBe(0);
    }

    holding = false;
    for (const r of held.splice(0)) await r.continue();
    // Each <img> shows B's page, by URL or, once the deck is held offline, by a blob: URL of it.
    // Polled as a whole: the strip may swap a URL for its blob between two looks.
    const showsB = (i: ThumbState["imgs"][number]) => i.shown && i.thumb.includes(`/decks/${deckB}/`) && (i.currentSrc.startsWith("blob:") || i.currentSrc.includes(`/decks/${deckB}/`));
    await expect.poll(async () => (await thumbs(alice)).imgs.map((i) => (showsB(i) ? "B" : JSON.stringify(i))), { timeout: 30_000 }).toEqual(["B", "B", "B"]);
    for (let k = 0; k < 3; k++) await expect.poll(() => inkInThumb(alice, k), { timeout: 10_000 }).toBeGreaterThan(0);
    expect(alice.errors).toEqual([]);
  }, 180_000);

  it("keeps the shown page's thumbnail in view, scrolling only when it is not", async () => {
    const c = path.join(dir, "deck-c.pdf");
    await writeFile(c, makePdf(Array.from({ length: 24 }, (_, i) => `C ${i + 1}`)));
    const before = (await thumbs(alice)).deck;
    await upload(alice, c, before);
    await waitForPage(alice.page, 1);
    await expect.poll(() => stripView(alice, 1)).toMatchObject({ scrollLeft: 0, left: 0, right: 0 });
    expect((await stripView(alice, 24)).right, "the strip shows all 24 thumbnails at once: the test needs more").toBeGreaterThan(0);

    await alice.page.keyboard.press("End");
    await waitForPage(alice.page, 24);
    await expect.poll(() => stripView(alice, 24)).toMatchObject({ left: 0, right: 0 });
    const atEnd = (await stripView(alice, 24)).scrollLeft;
    expect(atEnd).toBeGreaterThan(0);
    // Page 23's thumbnail is in view already: going back to it does not move the strip.
    await alice.page.keyboard.press("PageUp");
    await waitForPage(alice.page, 23);
    await alice.page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
    expect(await stripView(alice, 23)).toEqual({ scrollLeft: atEnd, left: 0, right: 0 });

    await alice.page.keyboard.press("Home");
    await waitForPage(alice.page, 1);
    await expect.poll(() => stripView(alice, 1)).toMatchObject({ left: 0, right: 0 });
    expect((await stripView(alice, 1)).scrollLeft).toBeLessThan(atEnd);
    expect(alice.errors).toEqual([]);
  }, 120_000);
});
