/**
 * The web client as a phone follower (issue 13, item 7), in real Chromium: the page can be
 * added to the home screen (a web app manifest the server serves, linked from the page),
 * the screen is kept on while following (a screen wake lock, asked for again when the page
 * comes back to the front) and let go on leaving, and listening shows as the phone's media
 * (Media Session: the meeting's title, playing or paused; its pause mutes the voice).
 *
 * Headless Chromium grants no real wake lock, so the page's `navigator.wakeLock.request` is
 * replaced by a recorder before the app loads: the test checks what the app asks for.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { launchBrowser, type Person, type TestBrowser } from "../support/browser.ts";
import { createMeeting, join, login } from "./support/meeting-page.ts";
import { PASSWORD, startWebStack, type WebStack } from "./support/stack.ts";

describe("the web client as a phone follower", () => {
  let stack: WebStack;
  let browser: TestBrowser;
  let alice: Person;
  let pia: Person;
  let link = "";

  beforeAll(async () => {
    stack = await startWebStack();
    browser = await launchBrowser({ extraArgs: ["--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream", "--autoplay-policy=no-user-gesture-required"] });
    alice = await browser.person("alice");
    pia = await browser.person("pia", { viewport: { width: 390, height: 844 }, deviceScaleFactor: 3 });
    await pia.page.addInitScript(() => {
      const w = window as unknown as { wakeLocks: string[] };
      w.wakeLocks = [];
      const request = async (type: string) => {
        const sentinel = {
          released: false,
          async release() {
            if (!sentinel.released) w.wakeLocks.push("release");
            sentinel.released = true;
          },
        };
        w.wakeLocks.push(`request ${type}`);
        document.addEventListener("visibilitychange", () => {
          if (document.visibilityState === "hidden") sentinel.released = true; // as the browser does
        });
        return sentinel;
      };
      Object.defineProperty(navigator, "wakeLock", { value: { request }, configurable: true });
    });
    await login(alice.page, stack.url, "alice", PASSWORD);
    link = await createMeeting(alice.page, "Phone follow");
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await stack?.stop();
  });

  it("can be added to the home screen: the page links a manifest the server serves", async () => {
    await pia.page.goto(`${stack.url}/`);
    const href = await pia.page.evaluate(() => document.querySelector<HTMLLinkElement>('link[rel="manifest"]')?.href ?? null);
    expect(href).toBe(`${stack.url}/manifest.webmanifest`);
    const res = await fetch(href!);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^application\/manifest\+json/);
    const manifest = (await res.json()) as { name: string; start_url: string; display: string; icons: { src: string }[] };
    expect(manifest).toMatchObject({ name: "deckcast", start_url: "/", display: "standalone" });
    for (const icon of manifest.icons) expect((await fetch(new URL(icon.src, stack.url))).status, icon.src).toBe(200);
  });

  it("keeps the screen on while following, and asks again after the page was hidden", async () => {
    await join(pia.page, link, "Pia");
    await expect.poll(() => pia.page.evaluate(() => (window as unknown as { wakeLocks: string[] }).wakeLocks)).toEqual(["request screen"]);
    // The phone's screen goes off and on again: the browser drops the lock; the app takes it again.
    await pia.page.evaluate(() => {
      Object.defineProperty(document, "visibilityState", { value: "hidden", configurable: true });
      document.dispatchEvent(new Event("visibilitychange"));
      Object.defineProperty(document, "visibilityState", { value: "visible", configurable: true });
      document.dispatchEvent(new Event("visibilitychange"));
    });
    await expect.poll(() => pia.page.evaluate(() => (window as unknown as { wakeLocks: string[] }).wakeLocks)).toEqual(["request screen", "request screen"]);
  });

  it("listening shows as the phone's media, playing or paused as the voice is heard or muted", async () => {
    await alice.page.click("dc-mic button.primary");
    await pia.page.waitForSelector("dc-listen button:has-text('Tap to listen')", { timeout: 20_000 });
    await pia.page.click("dc-listen button:has-text('Tap to listen')");
    const media = () => pia.page.evaluate(() => [navigator.mediaSession.metadata?.title ?? null, navigator.mediaSession.metadata?.artist ?? null, navigator.mediaSession.playbackState]);
    await expect.poll(media).toEqual(["Phone follow", "alice presenting", "playing"]);
    await pia.page.click("dc-listen button[aria-label='Mute']");
    await expect.poll(media).toEqual(["Phone follow", "alice presenting", "paused"]);
  });

  it("lets the screen go when the meeting ends", async () => {
    alice.page.once("dialog", (d) => void d.accept());
    await alice.page.click("dc-meeting button.danger");
    await expect.poll(() => pia.page.evaluate(() => (window as unknown as { wakeLocks: string[] }).wakeLocks.at(-1))).toBe("release");
    expect(await pia.page.evaluate(() => navigator.mediaSession.playbackState)).toBe("none");
    expect(pia.errors).toEqual([]);
  });
});
