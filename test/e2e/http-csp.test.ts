/**
 * The web client under the server's Content-Security-Policy, in a real Chromium: the parts
 * meeting.test.ts does not reach — the microphone (opus-recorder's encoder worklet compiles
 * libopus as WebAssembly) and a follower without WebCodecs (the decoder worker and its .wasm)
 * — run with no policy violation and no console error; and no other page can frame deckcast
 * (the presenter's "Make presenter" cannot be clickjacked). Nothing here is timed.
 */
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { launchBrowser, type Person, type TestBrowser } from "../support/browser.ts";
import { beepWav, fakeMicFlags } from "./support/audio-probes.ts";
import { createMeeting, join, login } from "./support/meeting-page.ts";
import { PASSWORD, startWebStack, waitFor, type WebStack } from "./support/stack.ts";

/** Collects the page's CSP violation reports into window.__csp. */
async function watchCsp(p: Person): Promise<void> {
  await p.page.addInitScript(() => {
    const w = window as unknown as { __csp: string[] };
    w.__csp = [];
    document.addEventListener("securitypolicyviolation", (e) => w.__csp.push(`${e.violatedDirective} ${e.blockedURI} at ${e.sourceFile}:${e.lineNumber}:${e.columnNumber} ${e.sample}`));
  });
}
const violations = (p: Person) => p.page.evaluate(() => (window as unknown as { __csp: string[] }).__csp);

describe("the web client under the Content-Security-Policy", () => {
  let stack: WebStack;
  let browser: TestBrowser;
  let alice: Person;
  let gus: Person;
  let dir = "";
  let link = "";

  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), "deckcast-csp-"));
    const [s, wav] = await Promise.all([startWebStack(), beepWav(dir)]);
    stack = s;
    browser = await launchBrowser({ extraArgs: fakeMicFlags(wav) });
    alice = await browser.person("alice");
    gus = await browser.person("gus");
    await watchCsp(alice);
    await watchCsp(gus);
    // Gus's browser has no WebCodecs: his page decodes with opus-recorder's decoder worker.
    await gus.page.addInitScript(() => {
      delete (window as { AudioDecoder?: unknown }).AudioDecoder;
      delete (window as { EncodedAudioChunk?: unknown }).EncodedAudioChunk;
    });
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await stack?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it("serves every page with the policy", async () => {
    const res = await fetch(stack.url, { headers: { accept: "text/html" } });
    expect(res.headers.get("content-security-policy")).toMatch(/frame-ancestors 'none'/);
  });

  it("lets Alice present with her microphone and Gus listen through the decoder worker, with no violation", async () => {
    await login(alice.page, stack.url, "alice", PASSWORD);
    link = await createMeeting(alice.page, "Policy");
    await alice.page.click("dc-mic button:has-text('Switch microphone on')");
    await alice.page.waitForSelector("dc-mic dc-level-meter");
    expect(await alice.page.locator("dc-mic .state").textContent()).toContain("On air");

    await join(gus.page, link, "Gus");
    await gus.page.click("dc-listen button:has-text('Tap to listen')");
    await gus.page.waitForSelector("dc-listen input[type=range]");
    // Audio decoded at Gus's: the worker and its WebAssembly ran.
    const decoded = () => gus.page.evaluate(() => (window as unknown as { __deckcast: { audio: { player: { stats: { chunks: number } } | null } } }).__deckcast.audio.player?.stats.chunks ?? 0);
    await waitFor(async () => (await decoded()) > 0, 30_000, "Gus's page to decode audio");

    // opus-recorder's bundled webpack shim probes the global object with Function("return this")
    // inside a try and falls back to `window`: refused by the policy (no 'unsafe-eval'), harmless.
    const shim = /^script-src eval at .*\/assets\/recorder\.min-[\w-]+\.js:/;
    expect((await violations(alice)).filter((v) => !shim.test(v))).toEqual([]);
    expect(await violations(gus)).toEqual([]);
    expect(alice.errors).toEqual([]);
    expect(gus.errors).toEqual([]);
  });

  it("cannot be framed by another page", async () => {
    const evil = await browser.person("evil");
    const refused: string[] = [];
    evil.page.on("console", (m) => {
      if (/frame-ancestors|X-Frame-Options/i.test(m.text())) refused.push(m.text());
    });
    await evil.page.setContent(`<iframe src="${link}" width="800" height="600"></iframe>`);
    await waitFor(() => refused.length > 0, 15_000, "Chromium to refuse the frame");
    const framed = evil.page.frames().find((f) => f !== evil.page.mainFrame());
    const hasApp = await framed?.evaluate(() => !!document.querySelector("deckcast-app")).catch(() => false);
    expect(hasApp ?? false).toBe(false);
  });
});
