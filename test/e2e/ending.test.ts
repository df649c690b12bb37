/**
 * How a meeting ends, in real browsers (issue 11, item 6): Alice (account, desktop) ends the
 * meeting; she is back on the start page with "The recording is saved", Fern (guest, phone)
 * sees one closing message and no live controls. Gus opens the ended meeting's link later,
 * and a malformed link is opened: each is told so in plain words, with the way home.
 * Screenshots of each state go to test-artifacts/.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { launchBrowser, screenshot, type Person, type TestBrowser } from "../support/browser.ts";
import { count, pageText } from "./support/layout.ts";
import { createMeeting, join, login } from "./support/meeting-page.ts";
import { PASSWORD, startWebStack, type WebStack } from "./support/stack.ts";

describe("ending a meeting in real browsers", () => {
  let stack: WebStack;
  let browser: TestBrowser;
  let alice: Person;
  let fern: Person;
  let link = "";

  beforeAll(async () => {
    stack = await startWebStack();
    browser = await launchBrowser();
    alice = await browser.person("alice");
    fern = await browser.person("fern", { viewport: { width: 390, height: 844 }, deviceScaleFactor: 2 });
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await stack?.stop();
  });

  it("Alice ends the meeting: she is back on the start page, told the recording is saved", async () => {
    await login(alice.page, stack.url, "alice", PASSWORD);
    link = await createMeeting(alice.page, "Weekly sync");
    await join(fern.page, link, "Fern");
    await expect.poll(() => alice.page.locator("dc-meeting .tabs button:has-text('People') .count").textContent()).toBe("2");

    alice.page.once("dialog", (d) => void d.accept());
    await alice.page.click("dc-meeting button.danger");
    await alice.page.waitForSelector("dc-create-meeting .notice");
    await screenshot(alice.page, "ending-presenter");
    expect(new URL(alice.page.url()).pathname).toBe("/");
    expect(await alice.page.locator("dc-create-meeting .notice").textContent()).toBe("“Weekly sync” has ended. The recording is saved.");
    const text = await pageText(alice.page);
    // No follower view of her own ended meeting.
    expect(await alice.page.locator("dc-meeting").count()).toBe(0);
    for (const live of ["is presenting", "Tap to listen", "LIVE", "Thank you for joining"]) expect(text, `presenter sees "${live}"`).not.toContain(live);
    // She can start the next meeting from here.
    expect(await alice.page.locator("dc-create-meeting button[type=submit]").isEnabled()).toBe(true);
  });

  it("Fern sees one closing message and no live controls", async () => {
    await fern.page.waitForFunction(() => {
      const app = document.querySelector("deckcast-app")?.shadowRoot;
      return !!app && !app.querySelector("dc-meeting") && /Thank you for joining/.test(app.textContent ?? "");
    });
    await screenshot(fern.page, "ending-follower-phone");
    const text = await pageText(fern.page);
    expect(count(text, "The meeting has ended. Thank you for joining.")).toBe(1);
    expect(count(text, "has ended")).toBe(1);
    for (const live of ["is presenting", "Tap to listen", "microphone", "LIVE", "Message everyone", "Something went wrong"]) expect(text, `follower sees "${live}"`).not.toContain(live);
    expect(await fern.page.locator("dc-meeting, dc-listen, dc-chat, dc-stage").count()).toBe(0);
    expect(await fern.page.locator("deckcast-app a[href='/']").count()).toBe(1);
  });

  it("the ended meeting's link says the meeting has ended", async () => {
    const gus = await browser.person("gus", { viewport: { width: 390, height: 844 }, deviceScaleFactor: 2 });
    await gus.page.goto(link);
    await gus.page.fill("dc-join #nick", "Gus");
    await gus.page.click("dc-join button[type=submit]");
    await gus.page.waitForSelector("deckcast-app .closed");
    await screenshot(gus.page, "ending-link-of-ended-meeting");
    const text = await pageText(gus.page);
    expect(text).toContain("This meeting has ended.");
    expect(text).not.toContain("Something went wrong");
    expect(text).not.toContain("could not join");
    expect(await gus.page.locator("deckcast-app a[href='/']").count()).toBe(1);
    expect(gus.errors).toEqual([]);
  });

  it("a short or malformed code's page says so and links home, without repeating the link", async () => {
    const ida = await browser.person("ida", { viewport: { width: 390, height: 844 }, deviceScaleFactor: 2 });
    const long = "x".repeat(100);
    for (const [code, name] of [["abc", "ending-short-code"], [long, "ending-long-code"], ["K7M2Q%3Cb%3E", "ending-marked-up-code"]] as const) {
      await ida.page.goto(`${stack.url}/m/${code}`);
      await ida.page.waitForSelector("deckcast-app .closed");
      await screenshot(ida.page, name);
      const text = await pageText(ida.page);
      expect(text).toContain("This link does not lead to a meeting");
      expect(text.toLowerCase()).not.toContain(code.toLowerCase().slice(0, 12));
      expect(await ida.page.locator("deckcast-app a[href='/']").count()).toBe(1);
      expect(await ida.page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    }
  });

  it("nobody's page logged an error", () => {
    for (const p of [alice, fern]) expect(p.errors, `${p.name}'s console`).toEqual([]);
  });
});
