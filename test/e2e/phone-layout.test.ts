/**
 * The meeting on phones, in real Chromium with phone viewports and pixel ratios (issue 11,
 * item 9), checked on element boxes: Alice (account, desktop, a fake microphone) presents a
 * 4:3 deck and then a 16:9 one; Pia follows on a 390×844 phone held upright, Lou on one held
 * sideways (844×390). Screenshots of each state go to test-artifacts/.
 */
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { launchBrowser, screenshot, type Person, type TestBrowser } from "../support/browser.ts";
import { boxOf, inViewport, overlaps, overSlide, pageText, slideBox } from "./support/layout.ts";
import { createMeeting, drawStroke, inkedPixels, join, login, snapshot, waitForPage } from "./support/meeting-page.ts";
import { PASSWORD, startWebStack, type WebStack } from "./support/stack.ts";
import { needFixtures } from "../support/fixtures.ts";

const need = needFixtures("decks/tbl-cell.pptx", "bench/deck5.pptx");
const [DECK_4_3, DECK_16_9] = need.paths as [string, string]; // 3 pages, 4:3; 5 pages, 16:9

const PORTRAIT = { width: 390, height: 844 };
const LANDSCAPE = { width: 844, height: 390 };

describe.skipIf(need.skip)(`the meeting on a phone${need.note}`, () => {
  let stack: WebStack;
  let browser: TestBrowser;
  let alice: Person;
  let pia: Person;
  let link = "";

  beforeAll(async () => {
    stack = await startWebStack();
    // A fake microphone for Alice (Chromium's own test tone), allowed without a prompt.
    browser = await launchBrowser({ extraArgs: ["--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream"] });
    alice = await browser.person("alice");
    pia = await browser.person("pia", { viewport: PORTRAIT, deviceScaleFactor: 3 });
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await stack?.stop();
  });

  async function upload(file: string, pages: number) {
    await alice.page.setInputFiles("dc-upload input[type=file]", file);
    await expect.poll(() => alice.page.locator("dc-upload").evaluate((el) => (el.shadowRoot ?? el).textContent ?? ""), { timeout: 90_000 }).toMatch(new RegExp(`ready: ${pages} pages`));
  }

  async function settle(...pages: Page[]) {
    for (const p of pages) await p.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
  }

  it("the presenter starts with the pen, its key shown, and dragging draws", async () => {
    await login(alice.page, stack.url, "alice", PASSWORD);
    link = await createMeeting(alice.page, "Phone check");
    await upload(DECK_4_3, 3);
    await waitForPage(alice.page, 1);
    const pen = alice.page.locator("dc-ink-toolbar button[aria-label='Pen']");
    expect(await pen.getAttribute("aria-pressed")).toBe("true");
    expect(await pen.locator("kbd").textContent()).toBe("P");
    expect(await pen.locator("kbd").isVisible()).toBe(true);
    await drawStroke(alice.page, [0.2, 0.3], [0.6, 0.4]);
    await expect.poll(async () => inkedPixels(await snapshot(alice.page, "ink"))).toBeGreaterThan(20);
    await alice.page.keyboard.press("Control+z");
    await expect.poll(async () => inkedPixels(await snapshot(alice.page, "ink"))).toBe(0);
  });

  it("the 'go to page' hint does not cover Undo or Clear", async () => {
    await alice.page.keyboard.type("2");
    await alice.page.waitForSelector("dc-meeting .digits");
    await screenshot(alice.page, "phone-layout-presenter-digits");
    const hint = await boxOf(alice.page, "dc-meeting .digits");
    for (const name of ["Undo", "Clear"]) expect(overlaps(hint, await boxOf(alice.page, `dc-ink-toolbar button:has-text('${name}')`)), `hint over ${name}`).toBe(false);
    await alice.page.keyboard.press("Enter");
    await waitForPage(alice.page, 2);
    await alice.page.keyboard.press("Home");
    await waitForPage(alice.page, 1);
  });

  it("upright, with a 4:3 deck: the chat box is on screen, and the microphone's state is said", async () => {
    await join(pia.page, link, "Pia");
    await waitForPage(pia.page, 1);
    await settle(pia.page);
    await screenshot(pia.page, "phone-layout-portrait-4x3");
    expect(inViewport(await boxOf(pia.page, "dc-chat input"), PORTRAIT), "chat input on screen").toBe(true);
    expect(inViewport(await boxOf(pia.page, "dc-chat button[type=submit]"), PORTRAIT), "send button on screen").toBe(true);
    expect(await pia.page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(PORTRAIT.width);
    expect(await pageText(pia.page)).toContain("Presenter's microphone is off");
    expect(await pia.page.locator("dc-listen button:has-text('Tap to listen')").count()).toBe(0);
  });

  it("browsing on her own, the ‹ › buttons stay on one row with the status between them", async () => {
    await pia.page.click("dc-meeting .nav button[aria-label='Next page']");
    await waitForPage(pia.page, 2);
    await expect.poll(() => pageText(pia.page)).toContain("Browsing on your own");
    await settle(pia.page);
    await screenshot(pia.page, "phone-layout-portrait-browsing");
    const prev = await boxOf(pia.page, "dc-meeting .nav button[aria-label='Previous page']");
    const next = await boxOf(pia.page, "dc-meeting .nav button[aria-label='Next page']");
    const bar = await boxOf(pia.page, "dc-meeting .nav dc-live-bar");
    expect(Math.abs(prev.y + prev.height / 2 - (next.y + next.height / 2)), "‹ and › on one row").toBeLessThan(2);
    expect(prev.x + prev.width, "status right of ‹").toBeLessThanOrEqual(bar.x + 0.5);
    expect(bar.x + bar.width, "status left of ›").toBeLessThanOrEqual(next.x + 0.5);
    expect(inViewport(next, PORTRAIT)).toBe(true);
    expect(inViewport(await boxOf(pia.page, "dc-chat input"), PORTRAIT), "chat input still on screen").toBe(true);
    await pia.page.click("dc-live-bar button");
    await waitForPage(pia.page, 1);
  });

  it("'Tap to listen' shows once the presenter's voice arrives, and goes when the microphone is off", async () => {
    await alice.page.click("dc-mic button.primary");
    await pia.page.waitForSelector("dc-listen button:has-text('Tap to listen')", { timeout: 20_000 });
    await screenshot(pia.page, "phone-layout-portrait-mic-on");
    expect(await pageText(pia.page)).not.toContain("microphone is off");
    await alice.page.click("dc-mic button:has-text('Switch off')");
    await pia.page.waitForSelector("dc-listen .off", { timeout: 20_000 });
    expect(await pia.page.locator("dc-listen button:has-text('Tap to listen')").count()).toBe(0);
  });

  it("sideways, with a 16:9 deck: the slide gets at least 60 % of the screen and nothing covers it", async () => {
    await upload(DECK_16_9, 5);
    await waitForPage(pia.page, 1);
    const lou = await browser.person("lou", { viewport: LANDSCAPE, deviceScaleFactor: 3 });
    await join(lou.page, link, "Lou");
    await waitForPage(lou.page, 1);
    await settle(lou.page);
    await screenshot(lou.page, "phone-layout-landscape-follower");
    const area = LANDSCAPE.width * LANDSCAPE.height;
    const slide = await slideBox(lou.page);
    expect((slide.width * slide.height) / area, "slide's share of the screen").toBeGreaterThanOrEqual(0.6);
    expect(inViewport(slide, LANDSCAPE)).toBe(true);
    expect(await overSlide(lou.page), "drawn over the slide").toEqual([]);
    expect(inViewport(await boxOf(lou.page, "dc-meeting .nav button[aria-label='Next page']"), LANDSCAPE)).toBe(true);
    expect(inViewport(await boxOf(lou.page, "dc-chat input"), LANDSCAPE), "chat input on screen").toBe(true);
    expect(await lou.page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(LANDSCAPE.width);
    // Browsing on her own does not move anything over the slide either.
    await lou.page.keyboard.press("ArrowRight");
    await waitForPage(lou.page, 2);
    await settle(lou.page);
    await screenshot(lou.page, "phone-layout-landscape-browsing");
    expect(await overSlide(lou.page)).toEqual([]);
    expect(inViewport(await boxOf(lou.page, "dc-chat input"), LANDSCAPE), "chat input on screen while browsing").toBe(true);
    expect(lou.errors).toEqual([]);
  });

  it("the presenter on a phone, upright and sideways", async () => {
    await alice.page.setViewportSize(PORTRAIT);
    await settle(alice.page);
    await screenshot(alice.page, "phone-layout-presenter-portrait");
    const toolbar = await boxOf(alice.page, "dc-meeting dc-ink-toolbar");
    expect(overlaps(toolbar, await slideBox(alice.page))).toBe(false);
    await alice.page.keyboard.type("3");
    const hint = await boxOf(alice.page, "dc-meeting .digits");
    for (const name of ["Undo", "Clear"]) expect(overlaps(hint, await boxOf(alice.page, `dc-ink-toolbar button:has-text('${name}')`)), `hint over ${name}`).toBe(false);
    await alice.page.keyboard.press("Escape"); // drops the page number, keeps the pen
    await alice.page.waitForSelector("dc-meeting .digits", { state: "detached" });
    expect(await alice.page.locator("dc-ink-toolbar button[aria-label='Pen']").getAttribute("aria-pressed")).toBe("true");
    await alice.page.setViewportSize(LANDSCAPE);
    await settle(alice.page);
    await screenshot(alice.page, "phone-layout-presenter-landscape");
    const slide = await slideBox(alice.page);
    expect((slide.width * slide.height) / (LANDSCAPE.width * LANDSCAPE.height)).toBeGreaterThanOrEqual(0.6);
    expect(await overSlide(alice.page)).toEqual([]);
    await alice.page.setViewportSize({ width: 1280, height: 800 });
  });

  it("nobody's page logged an error", () => {
    for (const p of [alice, pia]) expect(p.errors, `${p.name}'s console`).toEqual([]);
  });
});
