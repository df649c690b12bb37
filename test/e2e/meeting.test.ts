/**
 * A live meeting in real browsers: Chromium (system, headless) through playwright-core,
 * against a real Prosody, the real component and a real LibreOffice, through the deckcast
 * HTTP server's same-origin WebSocket proxy. Read it as the meeting it is:
 *
 *   Alice (account, desktop) creates a meeting and presents; Fern (guest, desktop) and Gus
 *   (guest, a 390×844 phone at 2× pixels) join by the link; Hal joins late.
 *
 * What followers see is checked on the pixels of their canvases, scaled to one size and
 * compared with the presenter's, not only on DOM state. Screenshots go to test-artifacts/.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { launchBrowser, screenshot, type Person, type TestBrowser } from "../support/browser.ts";
import { createMeeting, difference, drawStroke, inkedPixels, join, login, shown, snapshot, textOf, waitForPage, type Snapshot } from "./support/meeting-page.ts";
import { PASSWORD, startWebStack, type WebStack } from "./support/stack.ts";
import { needFixtures } from "../support/fixtures.ts";

const need = needFixtures("bench/deck5.pptx");
const [DECK] = need.paths as [string];

/** Mean per-channel difference under which two stages "show the same" (sizes and JPEG widths differ). */
const SAME = 6;
/** Ink-only snapshots of the same strokes drawn at different sizes. */
const SAME_INK = 4;

describe.skipIf(need.skip)(`a live meeting in real browsers${need.note}`, () => {
  let stack: WebStack;
  let browser: TestBrowser;
  let alice: Person;
  let fern: Person;
  let gus: Person;
  let link = "";
  /** Console errors a test expects (the browser's own report of a refused WebSocket while offline). */
  const expected = (e: string) => /WebSocket connection to .* failed/.test(e);

  beforeAll(async () => {
    stack = await startWebStack();
    browser = await launchBrowser();
    alice = await browser.person("alice");
    fern = await browser.person("fern");
    gus = await browser.person("gus", { viewport: { width: 390, height: 844 }, deviceScaleFactor: 2 });
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await stack?.stop();
  });

  const followers = () => [fern, gus];

  /** Waits until every follower shows `page` and looks like the presenter. */
  async function everyoneOn(page: number, presenter = alice, viewers = followers()): Promise<Snapshot> {
    await waitForPage(presenter.page, page);
    for (const f of viewers) await waitForPage(f.page, page);
    await settle();
    const reference = await snapshot(presenter.page);
    for (const f of viewers) expect(difference(await snapshot(f.page), reference), `${f.name} shows page ${page}`).toBeLessThan(SAME);
    return reference;
  }

  /** Lets decoded page images reach the canvases. */
  async function settle() {
    for (const p of [alice, fern, gus]) await p.page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
    await alice.page.waitForTimeout(150);
  }

  it("a wrong password and a meeting that does not exist are told in plain words", async () => {
    await alice.page.goto(stack.url);
    await alice.page.fill("dc-login #user", "alice");
    await alice.page.fill("dc-login #password", "not-the-password");
    await alice.page.click("dc-login button[type=submit]");
    await expect.poll(() => textOf(alice.page, "dc-login .error")).toBe("Wrong user name or password.");
    await fern.page.goto(`${stack.url}/m/zzzzzz`);
    await fern.page.fill("dc-join #nick", "Fern");
    await fern.page.click("dc-join button[type=submit]");
    await expect.poll(() => textOf(fern.page, "dc-join .error")).toMatch(/^There is no meeting with this code/);
  });

  it("Alice logs in, creates a meeting and gets a join link with a QR code", async () => {
    await login(alice.page, stack.url, "alice", PASSWORD);
    link = await createMeeting(alice.page, "Quarterly review");
    expect(link).toMatch(new RegExp(`^${stack.url}/m/[a-z2-9]{6}$`));
    expect(await alice.page.locator("dc-share .qr svg").count()).toBe(1);
    // The server listens on loopback only: the invite panel says a phone cannot use this link.
    await expect.poll(() => textOf(alice.page, "dc-share .warn")).toMatch(/^This link only works on this computer\. To let phones join, restart deckcast with DECKCAST_HTTP_HOST=0\.0\.0\.0/);
    await expect.poll(() => alice.page.locator("dc-meeting header").textContent()).toContain("You are presenting");
  });

  it("Fern and Gus open the link, pick a name and join without an account", async () => {
    await join(fern.page, link, "Fern");
    await join(gus.page, link, "Gus");
    await alice.page.click("dc-meeting .tabs button:has-text('People')");
    await expect.poll(() => alice.page.locator("dc-people li .name").allTextContents()).toEqual(["alice", "Fern", "Gus"]);
    expect(await gus.page.locator("dc-meeting header").textContent()).toContain("alice is presenting");
  });

  it("Alice uploads a deck, sees upload and conversion progress, and everyone gets page 1", async () => {
    await alice.page.evaluate(() => {
      const phases: string[] = [];
      (window as unknown as { phases: string[] }).phases = phases;
      const timer = setInterval(() => {
        const meeting = document.querySelector("deckcast-app")?.shadowRoot?.querySelector("dc-meeting")?.shadowRoot;
        const phase = (meeting?.querySelector("dc-upload") as (HTMLElement & { progress: { phase: string } | null }) | null)?.progress?.phase;
        if (phase && phases.at(-1) !== phase) phases.push(phase);
        if (phase === "ready" || phase === "failed") clearInterval(timer);
      }, 5);
    });
    await alice.page.setInputFiles("dc-upload input[type=file]", DECK);
    await alice.page.waitForSelector("dc-thumbs", { timeout: 90_000 });
    const phases = await alice.page.evaluate(() => (window as unknown as { phases: string[] }).phases);
    expect(phases).toContain("converting");
    expect(phases.at(-1)).toBe("ready");
    expect(await textOf(alice.page, "dc-upload")).toMatch(/ready: 5 pages/);
    await everyoneOn(1);
    expect((await shown(gus.page)).deck).toBe((await shown(alice.page)).deck);
  });

  it("page turns from the keyboard and clicker keys reach every follower, pixel for pixel", async () => {
    const page1 = await snapshot(alice.page);
    await alice.page.keyboard.press("PageDown");
    const page2 = await everyoneOn(2);
    expect(difference(page1, page2), "pages 1 and 2 look different").toBeGreaterThan(SAME);
    await alice.page.keyboard.press("ArrowRight");
    await everyoneOn(3);
    await alice.page.keyboard.press("End");
    await everyoneOn(5);
    await alice.page.keyboard.press("PageUp");
    await everyoneOn(4);
    await alice.page.keyboard.press("Home");
    await everyoneOn(1);
    await alice.page.keyboard.press("Space");
    await everyoneOn(2);
    await alice.page.keyboard.type("4");
    await alice.page.keyboard.press("Enter");
    await everyoneOn(4);
    await alice.page.keyboard.press("ArrowLeft");
    await everyoneOn(3);
  });

  it("ink streams while Alice draws and lands identically on every follower", async () => {
    await alice.page.keyboard.press("p");
    const box = (await alice.page.locator("dc-meeting dc-stage canvas.ink").boundingBox())!;
    // Pen down and moving, not yet lifted: followers already see the stroke grow.
    await alice.page.mouse.move(box.x + box.width * 0.15, box.y + box.height * 0.55);
    await alice.page.mouse.down();
    for (let i = 1; i <= 10; i++) {
      await alice.page.mouse.move(box.x + box.width * (0.15 + i * 0.03), box.y + box.height * (0.55 + Math.sin(i / 2) * 0.05));
      await alice.page.waitForTimeout(20);
    }
    for (const f of followers()) await expect.poll(async () => inkedPixels(await snapshot(f.page, "ink")), { timeout: 10_000 }).toBeGreaterThan(20);
    await alice.page.mouse.up();

    // A highlighter stroke in another colour, then everyone's ink is the same picture.
    await alice.page.keyboard.press("h");
    await alice.page.click("dc-ink-toolbar button[aria-label='Yellow']");
    await drawStroke(alice.page, [0.1, 0.3], [0.8, 0.35]);
    await expectSameInk();
    const twoStrokes = inkedPixels(await snapshot(alice.page, "ink"));

    // Undo removes the highlighter stroke everywhere; the eraser removes the pen stroke.
    await alice.page.keyboard.press("Control+z");
    await expect.poll(async () => inkedPixels(await snapshot(fern.page, "ink"))).toBeLessThan(twoStrokes);
    await expectSameInk();
    await alice.page.keyboard.press("e");
    await drawStroke(alice.page, [0.2, 0.4], [0.3, 0.7]);
    for (const p of [alice, ...followers()]) await expect.poll(async () => inkedPixels(await snapshot(p.page, "ink"))).toBe(0);

    // Pen again, a stroke on page 3 that stays for the late joiner; "Clear" on it is tried on page 4.
    await alice.page.keyboard.press("p");
    await alice.page.click("dc-ink-toolbar button[aria-label='Blue']");
    await drawStroke(alice.page, [0.25, 0.75], [0.75, 0.65]);
    await expectSameInk();
    await alice.page.keyboard.press("ArrowRight");
    await everyoneOn(4);
    await drawStroke(alice.page, [0.3, 0.3], [0.6, 0.5]);
    await expectSameInk();
    await alice.page.click("dc-ink-toolbar button:has-text('Clear')");
    for (const p of [alice, ...followers()]) await expect.poll(async () => inkedPixels(await snapshot(p.page, "ink"))).toBe(0);
    await alice.page.keyboard.press("ArrowLeft");
    await everyoneOn(3);
    await expectSameInk();
    // The laser pointer shows on followers while Alice holds it down, and goes away after.
    await alice.page.keyboard.press("l");
    await alice.page.mouse.move(box.x + box.width * 0.5, box.y + box.height * 0.5);
    await alice.page.mouse.down();
    await alice.page.mouse.move(box.x + box.width * 0.6, box.y + box.height * 0.4, { steps: 5 });
    for (const f of followers()) await f.page.waitForSelector("dc-stage .pointer");
    await alice.page.mouse.up();
    for (const f of followers()) await f.page.waitForSelector("dc-stage .pointer", { state: "detached" });
    await alice.page.keyboard.press("Escape"); // pointer mode again
    await screenshot(alice.page, "presenter-desktop");
    await screenshot(fern.page, "follower-desktop");
    await screenshot(gus.page, "follower-phone");
  });

  /** Every follower's ink, scaled to the presenter's, is the presenter's ink. */
  async function expectSameInk() {
    await expect
      .poll(async () => {
        const ref = await snapshot(alice.page, "ink");
        let worst = 0;
        for (const f of followers()) worst = Math.max(worst, difference(await snapshot(f.page, "ink"), ref));
        return inkedPixels(ref) > 0 ? worst : Infinity;
      }, { timeout: 10_000 })
      .toBeLessThan(SAME_INK);
  }

  it("Hal joins late and sees the current page with its ink at once", async () => {
    const hal = await browser.person("hal");
    await join(hal.page, link, "Hal");
    await waitForPage(hal.page, 3);
    await expect.poll(async () => difference(await snapshot(hal.page, "ink"), await snapshot(alice.page, "ink"))).toBeLessThan(SAME_INK);
    expect(inkedPixels(await snapshot(hal.page, "ink"))).toBeGreaterThan(20);
    expect(difference(await snapshot(hal.page), await snapshot(alice.page))).toBeLessThan(SAME);
    expect(hal.errors).toEqual([]);
    await hal.context.close();
  });

  it("Fern browses on her own and snaps back to live", async () => {
    await fern.page.click("dc-meeting .nav button[aria-label='Next page']");
    await waitForPage(fern.page, 4);
    expect(await textOf(fern.page, "dc-live-bar")).toContain("Back to live (page 3)");
    // Alice turns: Fern stays where she is, and the way back now says page 2.
    await alice.page.keyboard.press("ArrowLeft");
    await waitForPage(gus.page, 2);
    await expect.poll(() => fern.page.locator("dc-live-bar button").textContent()).toContain("Back to live (page 2)");
    expect((await shown(fern.page)).page).toBe(4);
    await screenshot(fern.page, "follower-browsing");
    await fern.page.click("dc-live-bar button");
    await everyoneOn(2);
    expect(await textOf(fern.page, "dc-live-bar")).toContain("LIVE");
    // Followers browse with the keyboard too; Escape goes back to live.
    await fern.page.keyboard.press("ArrowRight");
    await waitForPage(fern.page, 3);
    await fern.page.keyboard.press("Escape");
    await waitForPage(fern.page, 2);
  });

  it("chat goes both ways", async () => {
    await alice.page.click("dc-meeting .tabs button:has-text('Chat')");
    await gus.page.fill("dc-chat input", "Hello from the phone");
    await gus.page.click("dc-chat button[type=submit]");
    await expect.poll(() => alice.page.locator("dc-chat li").allTextContents()).toContain("GusHello from the phone");
    await alice.page.fill("dc-chat input", "Welcome, Gus!");
    await alice.page.keyboard.press("Enter");
    await expect.poll(() => gus.page.locator("dc-chat li").allTextContents()).toContain("aliceWelcome, Gus!");
    await expect.poll(() => fern.page.locator("dc-chat li").allTextContents()).toEqual(["GusHello from the phone", "aliceWelcome, Gus!"]);
  });

  it("Gus's connection drops; he is told, and catches up on every page and stroke when it returns", async () => {
    await gus.context.setOffline(true);
    for (const c of stack.wsProxy.connections()) if (String(c.request.headers["user-agent"]).includes("deckcast-test/gus")) c.destroy();
    await gus.page.waitForSelector("dc-connection .lost");
    await screenshot(gus.page, "follower-phone-reconnecting");
    await alice.page.click("dc-meeting dc-stage"); // focus was in the chat box
    await alice.page.keyboard.press("ArrowRight");
    await alice.page.keyboard.press("ArrowRight");
    await alice.page.keyboard.press("p");
    await drawStroke(alice.page, [0.2, 0.2], [0.8, 0.8]);
    await everyoneOn(4, alice, [fern]);
    expect((await shown(gus.page)).page).toBe(2);
    await gus.context.setOffline(false);
    await gus.page.waitForSelector("dc-connection .back", { timeout: 20_000 });
    await everyoneOn(4);
    await expectSameInk();
    await alice.page.keyboard.press("Escape");
  });

  it("Fern's network goes without her connection ever closing: the keepalive notices, she is told, and catches up when it returns", async () => {
    // No socket is closed here: only the browser's network goes (a half-open link, as when
    // Wi-Fi drops). Nothing but the keepalive (web-client/src/app/liveness.ts) can tell.
    await fern.context.setOffline(true);
    await fern.page.waitForSelector("dc-connection .lost", { timeout: 20_000 });
    await alice.page.keyboard.press("ArrowLeft");
    await everyoneOn(3, alice, [gus]);
    await fern.context.setOffline(false);
    await fern.page.waitForSelector("dc-connection .back", { timeout: 20_000 });
    await everyoneOn(3);
    await alice.page.keyboard.press("ArrowRight");
    await everyoneOn(4);
    await expectSameInk();
    expect(fern.errors.filter((e) => !expected(e)), "Fern's console").toEqual([]);
  });

  it("Alice hands the presenter role to Fern and takes it back", async () => {
    await alice.page.click("dc-meeting .tabs button:has-text('People')");
    await alice.page.click("dc-people li:has-text('Fern') button");
    await fern.page.waitForSelector("dc-ink-toolbar");
    await expect.poll(() => fern.page.locator("dc-meeting header").textContent()).toContain("You are presenting");
    await expect.poll(() => alice.page.locator("dc-meeting header").textContent()).toContain("Fern is presenting");
    await fern.page.keyboard.press("ArrowRight");
    await everyoneOn(5, fern, [alice, gus]);
    // Alice created the meeting: she can take the role back from the People list.
    await alice.page.click("dc-people li:has-text('alice') button:has-text('Present')");
    await alice.page.waitForSelector("dc-ink-toolbar");
    await alice.page.keyboard.press("Home");
    await everyoneOn(1);
  });

  it("looks right on a 390×844 phone for the presenter too", async () => {
    await alice.page.setViewportSize({ width: 390, height: 844 });
    await settle();
    await screenshot(alice.page, "presenter-phone");
    const stage = (await alice.page.locator("dc-meeting dc-stage").boundingBox())!;
    expect(stage.width).toBeLessThanOrEqual(390);
    expect(stage.width).toBeGreaterThan(300);
    const scrollWidth = await alice.page.evaluate(() => document.documentElement.scrollWidth);
    expect(scrollWidth).toBeLessThanOrEqual(390);
    await alice.page.setViewportSize({ width: 1280, height: 800 });
  });

  it("nobody's page logged an error", async () => {
    for (const p of [alice, fern, gus]) expect(p.errors.filter((e) => !expected(e)), `${p.name}'s console`).toEqual([]);
  });
});
