/**
 * Chat history in real browsers: what was said survives a reload, and a late joiner on a
 * phone sees it, once each, in order. Screenshots go to test-artifacts/.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { launchBrowser, screenshot, type Person, type TestBrowser } from "../support/browser.ts";
import { createMeeting, join, login } from "./support/meeting-page.ts";
import { PASSWORD, startWebStack, type WebStack } from "./support/stack.ts";

describe("chat history in real browsers", () => {
  let stack: WebStack;
  let browser: TestBrowser;
  let alice: Person;
  let fern: Person;

  beforeAll(async () => {
    stack = await startWebStack();
    browser = await launchBrowser();
    alice = await browser.person("alice");
    fern = await browser.person("fern");
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    await stack?.stop();
  });

  const lines = (p: Person) => p.page.locator("dc-chat li").allTextContents();
  async function say(p: Person, text: string) {
    await p.page.fill("dc-chat input", text);
    await p.page.click("dc-chat button[type=submit]");
  }

  it("a reload keeps the chat, and a late joiner on a phone sees it", async () => {
    await login(alice.page, stack.url, "alice", PASSWORD);
    const link = await createMeeting(alice.page, "Chat history");
    await join(fern.page, link, "Fern");
    await say(fern, "Hello from Fern");
    await say(alice, "Welcome, Fern!");
    await say(fern, "Can you go back one slide?");
    // Each person sees their own lines as "You".
    const said = (me: string) => [["Fern", "Hello from Fern"], ["alice", "Welcome, Fern!"], ["Fern", "Can you go back one slide?"]].map(([who, text]) => `${who === me ? "You" : who}${text}`);
    await expect.poll(() => lines(alice), { timeout: 10_000 }).toEqual(said("alice"));

    await fern.page.reload();
    await join(fern.page, link, "Fern");
    await expect.poll(() => lines(fern), { timeout: 15_000 }).toEqual(said("Fern"));

    const hal = await browser.person("hal", { viewport: { width: 390, height: 844 }, deviceScaleFactor: 2 });
    await join(hal.page, link, "Hal");
    await expect.poll(() => lines(hal), { timeout: 15_000 }).toEqual(said("Hal"));
    await say(hal, "Late, sorry");
    await expect.poll(() => lines(fern), { timeout: 10_000 }).toEqual([...said("Fern"), "HalLate, sorry"]);
    await screenshot(hal.page, "chat-history-late-joiner-phone");
    await screenshot(fern.page, "chat-history-after-reload");
    for (const p of [alice, fern, hal]) expect(p.errors).toEqual([]);
  }, 120_000);
});
