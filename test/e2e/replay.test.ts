/**
 * The replay (issue 12) in real browsers, against the real stack (Prosody, the component,
 * LibreOffice), read as what happens:
 *
 *   Alice presents with a fake microphone (beeps) and turns pages, draws (one stroke left in
 *   progress for a while), Fern follows and chats; Fern's canvas is captured at five moments
 *   with her session time. Fern rewinds the live meeting (R) and returns to live (L). Alice
 *   ends the meeting and finds it under "Your sessions": a share link opened by Vera (a fresh
 *   browser, no login) shows at each captured time the same pixels Fern saw live; search
 *   finds a word on a slide and jumps to when it was shown; a wrong and a revoked link say so;
 *   the downloaded zip's replay.html plays from file:// with every network request refused.
 *
 * Pixels are compared on the stage scaled to one width (support/meeting-page.ts snapshot's
 * way), with the small tolerance meeting.test.ts uses for stages of different sizes.
 */
import { execFile } from "node:child_process";
import { mkdtemp, readdir, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { launchBrowser, screenshot, type Person, type TestBrowser } from "../support/browser.ts";
import { needFixtures } from "../support/fixtures.ts";
import { beepWav, fakeMicFlags } from "./support/audio-probes.ts";
import { boxOf, inViewport, overlaps } from "./support/layout.ts";
import { createMeeting, difference, drawStroke, inkedPixels, join, login, stagePixels, waitForPage, type Snapshot } from "./support/meeting-page.ts";
import { PASSWORD, startWebStack, type WebStack } from "./support/stack.ts";

const need = needFixtures("bench/deck5.pptx");
const [DECK] = need.paths as [string];
/** Mean per-channel difference under which two stages "show the same" (as meeting.test.ts). */
const SAME = 6;
/** Ink-only snapshots of the same strokes drawn at different sizes (as meeting.test.ts). */
const SAME_INK = 4;
const BAD_LINK = "This replay link is not valid or was revoked.";

/** Two animation frames and a little time: decoded page images reach the canvas. */
async function settle(page: Page, ms = 400) {
  await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
  await page.waitForTimeout(ms);
}

interface PlayerHandle {
  position: number;
  duration: number;
  playing: boolean;
  view: { page: number; deck: { id: string } | null; ink: Record<number, unknown[]>; drawing: Record<string, unknown> } | null;
  seek(t: number): Promise<void>;
}

/** The player on a page (window.__deckcastReplay), read in the page. */
function player<T>(page: Page, fn: (p: PlayerHandle) => T): Promise<T> {
  return page.evaluate(`(${fn.toString()})(window.__deckcastReplay)`) as Promise<T>;
}

/** Waits for the replay stage to show `pageNo` of a deck and settles. */
async function replayShows(page: Page, stage: string, pageNo: number) {
  await page.locator(stage).evaluate(
    (el, n) =>
      new Promise<void>((resolve, reject) => {
        const s = el as HTMLElement & { page: number; deck: string | null };
        const until = Date.now() + 15_000;
        const check = () => (s.deck && s.page === n ? resolve() : Date.now() > until ? reject(new Error(`stage shows ${s.page}, not ${n}`)) : setTimeout(check, 30));
        check();
      }),
    pageNo,
  );
  await settle(page);
}

/** What a room shows, in numbers: page, finished strokes on it, strokes in progress with their points. */
interface Room {
  page: number;
  strokes: number;
  drawing: number[];
}
const ROOM = `(v) => ({ page: v.page, strokes: (v.ink[v.page] ?? []).length, drawing: Object.values(v.drawing).filter((d) => d.page === v.page).map((d) => d.points.length) })`;
const liveRoom = (page: Page) => page.evaluate(`(${ROOM})(window.__deckcast.session.view)`) as Promise<Room>;
const replayRoom = (page: Page) => page.evaluate(`(${ROOM})(window.__deckcastReplay.view)`) as Promise<Room>;

describe.skipIf(need.skip)(`replay in real browsers${need.note}`, () => {
  let stack: WebStack;
  let browser: TestBrowser;
  let alice: Person;
  let fern: Person;
  let dir = "";
  let deckId = "";
  /** Fern's live canvas at known session times, with the page she was on. */
  const captures: { t: number; page: number; pixels: Snapshot; ink: Snapshot; room: Room; what: string }[] = [];
  let shareLink = "";
  /** Pages shown live, in order. */
  const pagesShown = new Set<number>();

  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), "deckcast-replay-"));
    const [s, wav] = await Promise.all([startWebStack(), beepWav(dir, { seconds: 4 })]);
    stack = s;
    browser = await launchBrowser({ extraArgs: fakeMicFlags(wav) });
    alice = await browser.person("alice");
    fern = await browser.person("fern");
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    await stack?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  /** Fern's canvas now, and her session time: nothing happens around it (actions wait before and after). */
  async function capture(what: string, pageNo: number) {
    await waitForPage(fern.page, pageNo);
    await settle(fern.page, 600);
    const t = await fern.page.evaluate(() => (window as unknown as { __deckcast: { session: { clock(): number } } }).__deckcast.session.clock());
    const stage = "dc-meeting dc-stage";
    captures.push({ t, page: pageNo, pixels: await stagePixels(fern.page, stage), ink: await stagePixels(fern.page, stage, "ink"), room: await liveRoom(fern.page), what });
    await fern.page.waitForTimeout(400);
  }

  it("records a meeting with page turns, ink (one stroke in progress), chat and voice; Fern's canvas is captured live", async () => {
    await login(alice.page, stack.url, "alice", PASSWORD);
    const link = await createMeeting(alice.page, "Replay review");
    await alice.page.setInputFiles("dc-upload input[type=file]", DECK);
    await alice.page.waitForSelector("dc-thumbs", { timeout: 90_000 });
    await join(fern.page, link, "Fern");
    await alice.page.click("dc-mic button:has-text('Switch microphone on')");
    await alice.page.waitForSelector("dc-mic dc-level-meter");
    deckId = await alice.page.locator("dc-meeting dc-stage").evaluate((el) => (el as HTMLElement & { deck: string }).deck);

    pagesShown.add(1);
    await capture("page 1", 1);
    await alice.page.keyboard.press("PageDown");
    pagesShown.add(2);
    await capture("page 2", 2);
    await drawStroke(alice.page, [0.2, 0.3], [0.7, 0.6]);
    await fern.page.waitForFunction(() => {
      const v = (window as unknown as { __deckcast: { session: { view: { ink: Record<number, unknown[]> } } } }).__deckcast.session.view;
      return (v.ink[2]?.length ?? 0) === 1;
    });
    await capture("page 2 with a stroke", 2);

    // A stroke in progress: the button held down, the pointer still.
    const box = (await alice.page.locator("dc-meeting dc-stage canvas.ink").boundingBox())!;
    await alice.page.mouse.move(box.x + box.width * 0.3, box.y + box.height * 0.75);
    await alice.page.mouse.down();
    for (let i = 1; i <= 10; i++) {
      await alice.page.mouse.move(box.x + box.width * (0.3 + i * 0.04), box.y + box.height * (0.75 - i * 0.02));
      await alice.page.waitForTimeout(16);
    }
    await fern.page.waitForFunction(() => {
      const v = (window as unknown as { __deckcast: { session: { view: { drawing: Record<string, unknown> } } } }).__deckcast.session.view;
      return Object.keys(v.drawing).length === 1;
    });
    await fern.page.waitForTimeout(300);
    await capture("a stroke in progress", 2);
    await alice.page.mouse.up();

    await fern.page.fill("dc-chat input", "Can we see the next slide?");
    await fern.page.click("dc-chat button[type=submit]");
    await alice.page.waitForTimeout(300);
    await alice.page.keyboard.press("PageDown");
    pagesShown.add(3);
    await waitForPage(fern.page, 3);
    await alice.page.waitForTimeout(500);
    await alice.page.keyboard.press("PageDown");
    pagesShown.add(4);
    await capture("page 4", 4);
    await alice.page.keyboard.press("PageUp");
    pagesShown.add(3);
    await capture("back on page 3", 3);
    expect(captures).toHaveLength(6);
    // The captures tell the moments apart: no ink, a stroke, a stroke and one in progress.
    expect(inkedPixels(captures[1]!.ink)).toBe(0);
    expect(inkedPixels(captures[2]!.ink)).toBeGreaterThan(20);
    expect(difference(captures[2]!.ink, captures[3]!.ink)).toBeGreaterThan(0);
    expect(captures[3]!.room.drawing).toHaveLength(1);
    for (let i = 1; i < captures.length; i++) expect(captures[i]!.t).toBeGreaterThan(captures[i - 1]!.t);
  }, 180_000);

  it("Fern rewinds the live meeting (R), sees it as it was, and returns to live (L)", async () => {
    await fern.page.keyboard.press("r");
    await fern.page.waitForSelector("dc-meeting dc-replay dc-stage");
    await fern.page.waitForFunction(() => !!(window as unknown as { __deckcastReplay?: { view: unknown } }).__deckcastReplay?.view);
    const second = captures[1]!;
    await player(fern.page, (p) => void p.seek(0)); // warm: the rewind opened 30 s back
    await fern.page.evaluate(`window.__deckcastReplay.seek(${second.t})`);
    await replayShows(fern.page, "dc-meeting dc-replay dc-stage", 2);
    expect(difference(await stagePixels(fern.page, "dc-meeting dc-replay dc-stage"), second.pixels), "the rewind shows page 2 as it was").toBeLessThan(SAME);
    expect(await fern.page.locator("dc-meeting dc-replay button.rewind").textContent()).toContain("Back to live");
    await screenshot(fern.page, "replay-rewind");
    await fern.page.keyboard.press("l");
    await fern.page.waitForFunction(() => !document.querySelector("deckcast-app")?.shadowRoot?.querySelector("dc-meeting")?.shadowRoot?.querySelector("dc-replay"));
    await waitForPage(fern.page, 3);
    // The button does the same.
    await fern.page.click("dc-meeting header button.rewind");
    await fern.page.waitForSelector("dc-meeting dc-replay");
    await fern.page.click("dc-meeting dc-replay button.rewind");
    await fern.page.waitForFunction(() => !document.querySelector("deckcast-app")?.shadowRoot?.querySelector("dc-meeting")?.shadowRoot?.querySelector("dc-replay"));
    // On a phone the Rewind button is on screen beside the other header buttons, and works.
    const viewport = { width: 390, height: 844 };
    const gus = await browser.person("gus", { viewport, deviceScaleFactor: 2 });
    await join(gus.page, fern.page.url(), "Gus");
    await waitForPage(gus.page, 3);
    const rewind = await boxOf(gus.page, "dc-meeting header button.rewind");
    expect(inViewport(rewind, viewport)).toBe(true);
    expect(overlaps(rewind, await boxOf(gus.page, "dc-meeting dc-stage .sheet"))).toBe(false);
    await gus.page.click("dc-meeting header button.rewind");
    await gus.page.waitForSelector("dc-meeting dc-replay dc-stage");
    await screenshot(gus.page, "replay-rewind-phone");
    await gus.page.click("dc-meeting dc-replay button.rewind");
    await gus.page.waitForFunction(() => !document.querySelector("deckcast-app")?.shadowRoot?.querySelector("dc-meeting")?.shadowRoot?.querySelector("dc-replay"));
    await gus.context.close();
  }, 60_000);

  it("Alice ends the meeting; Your sessions lists it with a share link", async () => {
    alice.page.once("dialog", (d) => void d.accept());
    await alice.page.click("dc-meeting button.danger");
    await alice.page.waitForSelector("dc-create-meeting");
    await alice.page.click("a[href='/sessions']");
    await alice.page.waitForSelector("dc-sessions li.session");
    const facts = await alice.page.locator("dc-sessions li.session .facts").first().textContent();
    expect(facts).toMatch(/\d+ pages/);
    expect(await alice.page.locator("dc-sessions li.session h2").first().textContent()).toBe("Replay review");
    await alice.page.click("dc-sessions li.session button:has-text('Share')");
    await alice.page.waitForSelector("dc-sessions .share input");
    shareLink = await alice.page.locator("dc-sessions .share input").inputValue();
    expect(shareLink).toMatch(new RegExp(`^${stack.url}/replay/dcr1-[0-9a-f]{64}$`));
    await screenshot(alice.page, "replay-sessions");
  }, 60_000);

  it("the share link, in a fresh browser without login, shows at each captured time what Fern saw live", async () => {
    const vera = await browser.person("vera");
    await vera.page.goto(shareLink);
    await vera.page.waitForSelector("dc-replay dc-stage");
    await vera.page.waitForFunction(() => !!(window as unknown as { __deckcastReplay?: { view: unknown } }).__deckcastReplay?.view);
    for (const c of captures) {
      await vera.page.evaluate(`window.__deckcastReplay.seek(${c.t})`);
      await replayShows(vera.page, "dc-replay dc-stage", c.page);
      expect(await replayRoom(vera.page), `${c.what} at ${c.t} ms`).toEqual(c.room);
      const diff = difference(await stagePixels(vera.page, "dc-replay dc-stage"), c.pixels);
      expect(diff, `${c.what} at ${c.t} ms`).toBeLessThan(SAME);
      const inkDiff = difference(await stagePixels(vera.page, "dc-replay dc-stage", "ink"), c.ink);
      expect(inkDiff, `${c.what} at ${c.t} ms (ink)`).toBeLessThan(SAME_INK);
    }
    // Chat beside, in time: Fern's message only after she sent it.
    await vera.page.evaluate(`window.__deckcastReplay.seek(${captures[0]!.t})`);
    await expect.poll(() => vera.page.locator("dc-replay .chat").textContent()).not.toContain("next slide");
    await vera.page.evaluate(`window.__deckcastReplay.seek(${captures[4]!.t})`);
    await expect.poll(() => vera.page.locator("dc-replay .chat").textContent()).toContain("Can we see the next slide?");
    // Seek bar: one mark per page change; hovering shows the page there as a thumbnail.
    expect(await vera.page.locator("dc-replay dc-seek-bar .mark").count()).toBeGreaterThanOrEqual(5);
    const bar = await boxOf(vera.page, "dc-replay dc-seek-bar .track");
    const duration = await player(vera.page, (p) => p.duration);
    await vera.page.mouse.move(bar.x + (bar.width * (captures[4]!.t + 200)) / duration, bar.y + bar.height / 2);
    await vera.page.waitForSelector("dc-replay dc-seek-bar .hover img");
    expect(await vera.page.locator("dc-replay dc-seek-bar .hover").textContent()).toContain("page 4");
    expect(await vera.page.locator("dc-replay dc-seek-bar .hover img").getAttribute("src")).toBe(`/decks/${deckId}/thumbs/4.jpg`);
    // Keys: Home, End, a digit.
    await vera.page.keyboard.press("Home");
    await expect.poll(() => player(vera.page, (p) => p.position)).toBe(0);
    await vera.page.keyboard.press("4");
    await replayShows(vera.page, "dc-replay dc-stage", 4);
    // Play at 2×: time moves on.
    await vera.page.selectOption("dc-replay select", "2");
    const before = await player(vera.page, (p) => p.position);
    await vera.page.keyboard.press(" ");
    await expect.poll(() => player(vera.page, (p) => p.position), { timeout: 10_000 }).toBeGreaterThan(before + 500);
    expect(await vera.page.locator("dc-replay audio").evaluate((a) => (a as HTMLAudioElement).preservesPitch && (a as HTMLAudioElement).playbackRate)).toBe(2);
    // The clock is the session's audio (audio.opus played), not the silent stand-in.
    expect(await vera.page.evaluate("window.__deckcastReplay.media instanceof HTMLAudioElement && window.__deckcastReplay.media.currentTime > 0")).toBe(true);
    await vera.page.keyboard.press(" ");
    await screenshot(vera.page, "replay-share-link");
    expect(vera.errors).toEqual([]);
  }, 120_000);

  it("on a 390×844 phone, portrait and landscape, the slide, the controls and the seek bar fit on screen", async () => {
    for (const viewport of [{ width: 390, height: 844 }, { width: 844, height: 390 }]) {
      const phone = await browser.person(`phone-${viewport.width}`, { viewport, deviceScaleFactor: 2 });
      await phone.page.goto(shareLink);
      await phone.page.waitForSelector("dc-replay dc-stage");
      await phone.page.evaluate(`window.__deckcastReplay.seek(${captures[2]!.t})`);
      await replayShows(phone.page, "dc-replay dc-stage", 2);
      const sheet = await boxOf(phone.page, "dc-replay dc-stage .sheet");
      const play = await boxOf(phone.page, "dc-replay button.play");
      const bar = await boxOf(phone.page, "dc-replay dc-seek-bar");
      for (const [name, b] of [["slide", sheet], ["play", play], ["seek bar", bar]] as const) expect(inViewport(b, viewport), `${name} on a ${viewport.width}×${viewport.height} screen`).toBe(true);
      expect(sheet.width, "the slide uses the screen").toBeGreaterThan(viewport.width * 0.5);
      expect(overlaps(sheet, play) || overlaps(sheet, bar)).toBe(false);
      await screenshot(phone.page, `replay-phone-${viewport.width}x${viewport.height}`);
      await phone.context.close();
    }
  }, 60_000);

  it("search finds a word on a slide and lists the times its page was shown; a click jumps there", async () => {
    const info = (await (await fetch(`${stack.url}/decks/${deckId}?text=1`)).json()) as { text: string[] };
    // A word on exactly one page that was shown.
    let word = "";
    let wordPage = 0;
    for (const p of [...pagesShown].sort()) {
      const words = (info.text[p - 1] ?? "").split(/[^A-Za-z]+/).filter((w) => w.length >= 5);
      const only = words.find((w) => info.text.every((t, i) => i === p - 1 || !t.toLowerCase().includes(w.toLowerCase())));
      if (only) {
        word = only;
        wordPage = p;
        break;
      }
    }
    expect(word, "a word on one slide of deck5").not.toBe("");
    const vera = await browser.person("vera-search");
    await vera.page.goto(shareLink);
    await vera.page.waitForSelector("dc-replay dc-stage");
    await vera.page.fill("dc-replay input[type=search]", word.toUpperCase());
    await vera.page.click("dc-replay form[role=search] button");
    await vera.page.waitForSelector("dc-replay .hits li");
    expect(await vera.page.locator("dc-replay .hits li").first().textContent()).toContain(`Page ${wordPage}`);
    await vera.page.locator("dc-replay .hits li button.jump").first().click();
    await replayShows(vera.page, "dc-replay dc-stage", wordPage);
  }, 60_000);

  it("a wrong link and a revoked share link say the link is not valid, and reveal nothing", async () => {
    const eve = await browser.person("eve");
    await eve.page.goto(`${stack.url}/replay/dcr1-${"0".repeat(64)}`);
    await expect.poll(() => eve.page.locator("dc-replay-page .bad-link").textContent()).toBe(BAD_LINK);
    await eve.page.goto(`${stack.url}/replay/not-a-token`);
    await expect.poll(() => eve.page.locator("dc-replay-page .bad-link").textContent()).toBe(BAD_LINK);
    const token = shareLink.split("/").at(-1)!;
    const res = await fetch(`${stack.url}/api/replay/dcr1-${"0".repeat(64)}/manifest.json`);
    expect(res.status).toBe(404);
    // Alice revokes the share: the link stops working.
    await alice.page.click("dc-sessions .share li button:has-text('Revoke')");
    await expect.poll(() => alice.page.locator("dc-sessions .share li").count()).toBe(0);
    expect((await fetch(`${stack.url}/api/replay/${token}/manifest.json`)).status).toBe(404);
    await eve.page.goto(shareLink);
    await expect.poll(() => eve.page.locator("dc-replay-page .bad-link").textContent()).toBe(BAD_LINK);
  }, 60_000);

  it("the downloaded zip's replay.html plays from file:// with every network request refused", async () => {
    const [download] = await Promise.all([alice.page.waitForEvent("download"), alice.page.click("dc-sessions li.session button:has-text('Download')")]);
    const zip = path.join(dir, "session.zip");
    await download.saveAs(zip);
    const out = path.join(dir, "unzipped");
    await promisify(execFile)("unzip", ["-q", zip, "-d", out]);
    const files = await readdir(out);
    for (const f of ["replay.html", "replay.js", "replay-data.js", "audio.opus", "manifest.json"]) expect(files).toContain(f);
    const offline = await browser.person("offline");
    const refused: string[] = [];
    await offline.context.route("**", (route) => {
      const url = route.request().url();
      if (url.startsWith("file:")) return route.continue();
      refused.push(url);
      return route.abort();
    });
    await offline.page.goto(`file://${path.join(out, "replay.html")}`);
    await offline.page.waitForSelector("dc-replay dc-stage");
    await offline.page.waitForFunction(() => !!(window as unknown as { __deckcastReplay?: { view: unknown } }).__deckcastReplay?.view);
    for (const c of captures.slice(0, 2)) {
      await offline.page.evaluate(`window.__deckcastReplay.seek(${c.t})`);
      await replayShows(offline.page, "dc-replay dc-stage", c.page);
    }
    // The page image was drawn (file:// images taint the canvas: asked of the element, not its pixels).
    const painted = await offline.page.locator("dc-replay dc-stage").evaluate((el) => {
      const c = el.shadowRoot!.querySelector("canvas.page") as HTMLCanvasElement;
      return c.width > 1;
    });
    expect(painted).toBe(true);
    const before = await player(offline.page, (p) => p.position);
    await offline.page.keyboard.press(" ");
    await expect.poll(() => player(offline.page, (p) => p.position), { timeout: 10_000 }).toBeGreaterThan(before + 300);
    await screenshot(offline.page, "replay-offline");
    expect(refused).toEqual([]);
    expect(offline.errors.filter((e) => !/favicon/.test(e))).toEqual([]);
  }, 90_000);

  it("Replay opens the session for its owner; Delete (confirmed) removes it and its links", async () => {
    await alice.page.click("dc-sessions li.session button:has-text('Replay')");
    await alice.page.waitForSelector("dc-replay dc-stage");
    const ownerLink = alice.page.url();
    expect(new URL(ownerLink).pathname).toMatch(/^\/replay\/dcr1-[0-9a-f]{64}$/);
    await alice.page.goBack();
    await alice.page.waitForSelector("dc-sessions li.session");
    const archives = path.join(stack.dataDir, "archives");
    expect(await readdir(archives)).toHaveLength(1);
    alice.page.once("dialog", (d) => void d.accept());
    await alice.page.click("dc-sessions li.session button:has-text('Delete')");
    await expect.poll(() => alice.page.locator("dc-sessions li.session").count()).toBe(0);
    expect((await fetch(`${stack.url}/api/replay/${ownerLink.split("/").at(-1)}/manifest.json`)).status).toBe(404);
    await expect.poll(() => readdir(archives)).toEqual([]);
  }, 60_000);
});
