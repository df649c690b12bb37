/**
 * Recording that everyone can see, in real browsers (issue 12 item 1): the create form
 * offers "Record this session" (checked) and says recording is available; in a recorded
 * meeting Fern (guest) sees the indicator and the joining notice, which goes when dismissed
 * and is not shown again after a reload; Alice (presenter) sees the recording's size and
 * duration. A meeting created with the box unchecked shows "Live only — not recorded" and
 * no notice, and its end says nothing was kept.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { launchBrowser, screenshot, type Person, type TestBrowser } from "../support/browser.ts";
import { createMeeting, join, login, textOf } from "./support/meeting-page.ts";
import { PASSWORD, startWebStack, type WebStack } from "./support/stack.ts";

describe("the recording, visible to everyone", () => {
  let stack: WebStack;
  let browser: TestBrowser;
  let alice: Person;
  let fern: Person;

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

  it("a recorded meeting: the form's choice, the follower's indicator and notice, the presenter's size and duration", async () => {
    await login(alice.page, stack.url, "alice", PASSWORD);
    expect(await alice.page.locator("dc-create-meeting #record").isChecked()).toBe(true);
    await alice.page.waitForSelector("dc-create-meeting [data-availability]");
    expect(await textOf(alice.page, "dc-create-meeting [data-availability]")).toMatch(/^Recording is available: .* free on the server\.$/);
    const link = await createMeeting(alice.page, "Recorded review");
    await join(fern.page, link, "Fern");

    await fern.page.waitForSelector("dc-recording .notice");
    expect(await textOf(fern.page, "dc-recording .notice span")).toBe("This session is recorded: slides, ink, voice and chat.");
    expect(await fern.page.locator("dc-recording [data-figures]").count()).toBe(0); // the figures are the presenter's
    await screenshot(fern.page, "recording-follower-notice");
    await fern.page.click("dc-recording .notice button");
    expect(await fern.page.locator("dc-recording .notice").count()).toBe(0);
    expect(await textOf(fern.page, "dc-recording .badge")).toBe("Recorded"); // the indicator takes the notice's place
    await join(fern.page, link, "Fern"); // the link again (a guest joins again after a reload)
    await fern.page.waitForSelector("dc-meeting dc-recording .badge");
    expect(await fern.page.locator("dc-recording .notice").count()).toBe(0); // once per meeting per browser

    await alice.page.waitForSelector("dc-recording [data-figures]");
    // Size · duration · free: wait for a periodic status (every 5 s) with a duration past 0:00.
    await alice.page.waitForFunction(() => {
      const app = document.querySelector("deckcast-app")?.shadowRoot;
      const rec = app?.querySelector("dc-meeting")?.shadowRoot?.querySelector("dc-recording")?.shadowRoot;
      return /^\d+(\.\d)? (B|KB|MB) · \d+:\d\d · .+ free$/.test(rec?.querySelector("[data-figures]")?.textContent?.trim() ?? "");
    }, undefined, { timeout: 15_000 });
    expect(await alice.page.locator("dc-recording .notice").count()).toBe(0); // the presenter knows
    await screenshot(alice.page, "recording-presenter-figures");

    alice.page.once("dialog", (d) => void d.accept());
    await alice.page.click("dc-meeting button.danger");
    await alice.page.waitForSelector("dc-create-meeting .notice");
    expect(await textOf(alice.page, "dc-create-meeting .notice")).toBe("“Recorded review” has ended. The recording is saved.");
  });

  it("a live-only meeting says so, with no notice", async () => {
    await alice.page.uncheck("dc-create-meeting #record");
    expect(await textOf(alice.page, "dc-create-meeting form")).toContain("Live only: nothing of this meeting is kept once it ends.");
    const link = await createMeeting(alice.page, "Off the record");
    await join(fern.page, link, "Fern");
    await fern.page.waitForSelector("dc-recording .live-only");
    expect(await textOf(fern.page, "dc-recording .badge")).toBe("Live only — not recorded");
    expect(await fern.page.locator("dc-recording .notice").count()).toBe(0);
    await alice.page.waitForSelector("dc-recording .live-only");
    await screenshot(fern.page, "recording-live-only");

    alice.page.once("dialog", (d) => void d.accept());
    await alice.page.click("dc-meeting button.danger");
    await alice.page.waitForSelector("dc-create-meeting .notice");
    expect(await textOf(alice.page, "dc-create-meeting .notice")).toBe("“Off the record” has ended. It was live only: nothing of it was kept.");
    expect(alice.errors).toEqual([]);
    expect(fern.errors).toEqual([]);
  });
});
