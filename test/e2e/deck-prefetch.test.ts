/**
 * The deck goes to followers before they need it (issue 14, item 2), in real Chromium against
 * the real stack: Alice presents a 20-page deck; Fern follows and reaches "Deck ready offline"
 * (every page image fetched and checked against the manifest's sha256). Then every request for
 * that deck's files is refused in Fern's browser, and 10 page turns still paint on her stage
 * the page Alice shows — from the held bytes, without one page image request, decoded by the
 * page image decoder's worker. A second deck
 * opened mid-meeting becomes ready offline the same way, for her and for the presenter.
 */
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { launchBrowser, screenshot, type Person, type TestBrowser } from "../support/browser.ts";
import { makePdf } from "../support/decks-pdf.ts";
import { createMeeting, difference, join, login, shown, snapshot, textOf, waitForPage } from "./support/meeting-page.ts";
import { PASSWORD, startWebStack, type WebStack } from "./support/stack.ts";

/** Mean per-channel difference under which two stages "show the same" (as in meeting.test.ts). */
const SAME = 6;
const PAGES = 20;

/** The deck the status names once it says "ready" (null before). */
function readyDeck(p: Person): Promise<string | null> {
  return p.page.evaluate(() => {
    const el = document.querySelector("deckcast-app")?.shadowRoot?.querySelector("dc-meeting")?.shadowRoot?.querySelector("dc-deck-offline");
    return el?.hasAttribute("data-deck-ready") ? el.getAttribute("data-deck") : null;
  });
}

describe("deck prefetch", () => {
  let stack: WebStack;
  let browser: TestBrowser;
  let alice: Person;
  let fern: Person;
  let dir: string;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), "deckcast-prefetch-"));
    stack = await startWebStack();
    browser = await launchBrowser();
    alice = await browser.person("alice");
    fern = await browser.person("fern");
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await stack?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  async function settle(p: Person) {
    await p.page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
  }

  async function upload(file: string, before: string | null): Promise<string> {
    await alice.page.setInputFiles("dc-upload input[type=file]", file);
    await expect.poll(async () => (await shown(alice.page)).deck, { timeout: 90_000 }).not.toBe(before);
    return (await shown(alice.page)).deck!;
  }

  it("a follower holds the whole deck, and 10 turns paint with the deck's files unreachable", async () => {
    const a = path.join(dir, "deck-a.pdf");
    await writeFile(a, makePdf(Array.from({ length: PAGES }, (_, i) => `Page ${i + 1}\n${"#".repeat(i + 1)}`), { title: "Prefetch A" }));
    await login(alice.page, stack.url, "alice", PASSWORD);
    const link = await createMeeting(alice.page, "Prefetch");
    await join(fern.page, link, "Fern");
    // Every page image Fern's browser asks for: the stage waits for the prefetcher's fetch, never repeats it.
    const pageAsks: string[] = [];
    fern.page.on("request", (r) => void (r.url().includes("/pages/") && pageAsks.push(r.url())));
    const deckA = await upload(a, null);
    await waitForPage(fern.page, 1, 30_000);

    await expect.poll(() => readyDeck(fern), { timeout: 60_000 }).toBe(deckA);
    await expect.poll(() => readyDeck(alice), { timeout: 60_000 }).toBe(deckA);
    expect(await textOf(fern.page, "dc-deck-offline")).toBe("Deck ready offline");
    expect(pageAsks.filter((u, i) => pageAsks.indexOf(u) !== i), `page images fetched twice (of ${pageAsks.length}: ${pageAsks.map((u) => u.replace(/^.*\/pages\//, "")).join(" ")})`).toEqual([]);
    await screenshot(fern.page, "deck-prefetch-ready");

    // From now on nothing of deck A comes from the network in Fern's browser.
    const asked: string[] = [];
    await fern.page.route(`**/decks/${deckA}/**`, (route) => {
      asked.push(route.request().url());
      void route.abort("internetdisconnected");
    });
    for (let n = 2; n <= 11; n++) {
      await alice.page.keyboard.press("PageDown");
      await waitForPage(alice.page, n);
      await waitForPage(fern.page, n);
      await settle(alice);
      const reference = await snapshot(alice.page);
      await expect.poll(async () => difference(await snapshot(fern.page), reference), { timeout: 5000, message: `Fern shows page ${n}` }).toBeLessThan(SAME);
    }
    expect(asked.filter((u) => u.includes("/pages/")), "page images asked of the network after ready").toEqual([]);
    // Those pages were decoded off Fern's main thread, by the page image decoder's worker (render/image-decoder.ts).
    expect(fern.page.workers().map((w) => w.url()).filter((u) => /\/assets\/image-decode-worker-[\w-]+\.js$/.test(u))).toHaveLength(1);
    // The thumbnail strip is held too: every thumbnail shows from its checked bytes, none from the network.
    const thumbs = await fern.page.evaluate(async () => {
      const meeting = document.querySelector("deckcast-app")?.shadowRoot?.querySelector("dc-meeting")?.shadowRoot;
      const imgs = [...(meeting?.querySelector("dc-thumbs")?.shadowRoot?.querySelectorAll("img") ?? [])];
      for (const img of imgs) {
        img.loading = "eager";
        await img.decode().catch(() => undefined);
      }
      return imgs.map((img) => ({ blob: img.src.startsWith("blob:"), shown: img.naturalWidth > 0 }));
    });
    expect(thumbs.length).toBe(20);
    expect(thumbs.filter((t) => !t.blob || !t.shown), "thumbnails not shown from held bytes").toEqual([]);
    expect(asked.filter((u) => u.includes("/thumbs/")), "thumbnails asked of the network after ready").toEqual([]);
    await screenshot(fern.page, "deck-prefetch-offline-turns");
  }, 240_000);

  it("a deck opened mid-meeting becomes ready offline too", async () => {
    const deckA = (await shown(alice.page)).deck;
    const b = path.join(dir, "deck-b.pdf");
    await writeFile(b, makePdf(["B one", "B two", "B three", "B four"], { title: "Prefetch B" }));
    const deckB = await upload(b, deckA);
    await expect.poll(async () => (await shown(fern.page)).deck, { timeout: 30_000 }).toBe(deckB);
    await expect.poll(() => readyDeck(fern), { timeout: 60_000 }).toBe(deckB);
    await expect.poll(() => readyDeck(alice), { timeout: 60_000 }).toBe(deckB);
    await alice.page.keyboard.press("PageDown");
    await waitForPage(fern.page, 2);
    await settle(alice);
    const reference = await snapshot(alice.page);
    await expect.poll(async () => difference(await snapshot(fern.page), reference), { timeout: 5000 }).toBeLessThan(SAME);
  }, 180_000);
});
