/**
 * Live audio in real browsers (issue 5): Alice presents with a fake microphone that beeps
 * once a second (a WAV Chromium loops as its capture device) and turns the page on every
 * beep she hears; Fern follows with the sound on. Read as the meeting it is:
 *
 *   Alice switches her microphone on and talks (beeps); Fern taps "Tap to listen" and hears
 *   every beep, and sees each page turn on its beep; so does Gus, whose browser has no
 *   WebCodecs (his page decodes with opus-recorder's decoder worker); Fern's connection drops and comes back,
 *   and her sound resumes without a growing delay; the session's audio.opus decodes to the
 *   beeps at the times Alice's microphone heard them.
 *
 * Timing: presenter and follower are pages of one Chromium on one machine, so their wall
 * clocks (performance.timeOrigin + now) agree. See support/audio-probes.ts for what is
 * measured where. This test checks sync by design, so its windows (SYNC_MS) are numbers; it
 * is a pass/fail check of the criterion, not a measurement: how fast and how well in
 * sync audio is, `npm run bench -- audio` measures (mouth-to-ear p50/p95, sync errors).
 */
import { mkdtemp, readFile, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { decodePcm, findBeeps, tool } from "../support/opus.ts";
import { launchBrowser, screenshot, type Person, type TestBrowser } from "../support/browser.ts";
import { beepWav, fakeMicFlags, followerLog, logFollower, match, presenterBeeps, quantile, turnPagesOnBeeps, type Matched } from "./support/audio-probes.ts";
import { createMeeting, join, login, waitForPage } from "./support/meeting-page.ts";
import { PASSWORD, startWebStack, waitFor, type WebStack } from "./support/stack.ts";
import { needFixtures } from "../support/fixtures.ts";

const need = needFixtures("bench/deck5.pptx");
const [DECK] = need.paths as [string];
/** The criterion: a page change lands within 40 ms of its beep. */
const SYNC_MS = 40;
/**
 * Of the six page changes checked, one may land up to STALL_MS off: a page is shown by a
 * timer on the follower's main thread, and on a loaded 2-core machine one timer in a few
 * hundred fires late (CI saw 2, 6, 12, 96, 25, 24 ms once; `npm run bench -- audio` puts
 * the p95 at 23 ms). A page not held for its voice lands a whole audio delay (~200 ms) off.
 */
const STALLS = 1;
const STALL_MS = 120;
/** Beeps after Fern's return not judged: her page catches up on what it missed meanwhile. */
const SETTLE = 3;

describe.skipIf(need.skip)(`live audio in real browsers${need.note}`, () => {
  let stack: WebStack;
  let browser: TestBrowser;
  let alice: Person;
  let fern: Person;
  let gus: Person;
  let dir = "";
  let code = "";
  const expected = (e: string) => /WebSocket connection to .* failed/.test(e);

  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), "deckcast-audio-"));
    const [s, wav] = await Promise.all([startWebStack(), beepWav(dir)]);
    stack = s;
    browser = await launchBrowser({ extraArgs: fakeMicFlags(wav), bypassCsp: true });
    alice = await browser.person("alice");
    fern = await browser.person("fern");
    gus = await browser.person("gus");
    await gus.page.addInitScript(() => {
      delete (window as { AudioDecoder?: unknown }).AudioDecoder;
      delete (window as { EncodedAudioChunk?: unknown }).EncodedAudioChunk;
    });
    await login(alice.page, stack.url, "alice", PASSWORD);
    const link = await createMeeting(alice.page, "Voice");
    code = link.split("/").at(-1)!;
    await alice.page.setInputFiles("dc-upload input[type=file]", DECK);
    await alice.page.waitForSelector("dc-thumbs", { timeout: 60_000 });
    await join(fern.page, link, "Fern");
    await join(gus.page, link, "Gus");
    await waitForPage(fern.page, 1);
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await stack?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  let before: Matched[] = [];

  it("Alice switches her microphone on; Fern and Gus (no WebCodecs) tap to listen, hear every beep and see each page turn on its beep", async () => {
    await alice.page.click("dc-mic button:has-text('Switch microphone on')");
    await alice.page.waitForSelector("dc-mic dc-level-meter");
    expect(await alice.page.locator("dc-mic .state").textContent()).toContain("On air");
    for (const f of [fern, gus]) {
      await f.page.click("dc-listen button:has-text('Tap to listen')");
      await f.page.waitForSelector("dc-listen input[type=range]");
      await logFollower(f.page);
    }
    await turnPagesOnBeeps(alice.page);

    await waitFor(async () => (await presenterBeeps(alice.page)).length >= 7, 20_000, "seven beeps at the presenter");
    await alice.page.waitForTimeout(1200); // the last beeps reach the followers
    const beeps = (await presenterBeeps(alice.page)).slice(1, 7); // the first one may have started before the listeners' buffers settled
    for (const f of [fern, gus]) {
      const matched = match(beeps, await followerLog(f.page));
      report(`${f.name}, before the drop`, matched);
      if (f === fern) before = matched; // set first: the drop's check compares with it even if a check here fails
      expect(matched.filter((m) => m.heard === null), `beeps ${f.name} did not hear`).toEqual([]);
      expect(matched.map((m) => m.turn !== null && m.painted !== null), `every beep turned a page ${f.name} saw`).toEqual(matched.map(() => true));
      const errors = matched.map((m) => Math.abs(m.syncError!));
      expect(quantile(errors, 0.5), `${f.name}'s median sync error (all: ${errors.map(Math.round).join(", ")} ms)`).toBeLessThanOrEqual(SYNC_MS);
      const late = errors.filter((e) => e > SYNC_MS).map(Math.round);
      expect(late.length, `page changes more than ${SYNC_MS} ms from their beep at ${f.name} (all: ${errors.map(Math.round).join(", ")} ms)`).toBeLessThanOrEqual(STALLS);
      expect(late.filter((e) => e > STALL_MS), `page changes as far from their beep as an unsynced page would be, at ${f.name} (all: ${errors.map(Math.round).join(", ")} ms)`).toEqual([]);
    }
    await screenshot(alice.page, "presenter-mic-live");
    await screenshot(fern.page, "follower-listening");
    await gus.context.close(); // the rest is Fern's
  });

  /** Session times around Alice's mute: beeps then are not recorded (nor half-recorded). */
  const muted = { from: 0, until: 0 };
  const sessionNow = (p: Person) => p.page.evaluate(() => (window as unknown as { __deckcast: { session: { now(): number } } }).__deckcast.session.now());

  it("Alice mutes: Fern hears nothing while the pages still turn; unmuted, the beeps come back", async () => {
    muted.from = (await sessionNow(alice)) - 150;
    await alice.page.click("dc-mic button:has-text('Mute')");
    await expect.poll(() => alice.page.locator("dc-mic .state").textContent()).toContain("Muted");
    await alice.page.waitForTimeout(500); // what was on its way before the mute
    const heardBefore = (await followerLog(fern.page)).heard.length;
    const paintsBefore = (await followerLog(fern.page)).paints.length;
    await alice.page.waitForTimeout(2200);
    const log = await followerLog(fern.page);
    expect(log.heard.length, "beeps heard while muted").toBe(heardBefore);
    expect(log.paints.length, "pages turned while muted").toBeGreaterThanOrEqual(paintsBefore + 2);
    await alice.page.click("dc-mic button:has-text('Unmute')");
    muted.until = (await sessionNow(alice)) + 150;
    await expect.poll(async () => (await followerLog(fern.page)).heard.length, { timeout: 5000 }).toBeGreaterThan(heardBefore);
  });

  it("Fern mutes: pages show as they arrive, nothing waits for the voice", async () => {
    await fern.page.click("dc-listen button[aria-label='Mute']");
    const held = () => fern.page.evaluate(() => (window as unknown as { __deckcast: { session: { held: number } } }).__deckcast.session.held);
    const paints = (await followerLog(fern.page)).paints.length;
    const samples: number[] = [];
    while ((await followerLog(fern.page)).paints.length < paints + 2) samples.push(await held());
    expect(new Set(samples)).toEqual(new Set([0]));
    await fern.page.click("dc-listen button[aria-label='Unmute']");
  });

  it("Fern's connection drops and returns: she hears the beeps again, without a growing delay", async () => {
    await fern.context.setOffline(true);
    for (const c of stack.wsProxy.connections()) if (String(c.request.headers["user-agent"]).includes("deckcast-test/fern")) c.destroy();
    await fern.page.waitForSelector("dc-connection .lost");
    await alice.page.waitForTimeout(2500);
    await fern.context.setOffline(false);
    await fern.page.waitForSelector("dc-connection .back", { timeout: 20_000 });
    const returned = (await presenterBeeps(alice.page)).length;
    // The first beeps after the return come while Fern's page takes in what it missed (CI, on a
    // loaded machine, once had them 44–101 ms off): her sound is judged once that has settled.
    await waitFor(async () => (await presenterBeeps(alice.page)).length >= returned + SETTLE + 4, 20_000, "beeps after the return");
    await alice.page.waitForTimeout(1200);
    const beeps = (await presenterBeeps(alice.page)).slice(returned + SETTLE, returned + SETTLE + 4);
    const after = match(beeps, await followerLog(fern.page));
    report("after the return", after);
    expect(after.filter((m) => m.heard === null), "beeps Fern did not hear after coming back").toEqual([]);
    const delayBefore = quantile(before.map((m) => m.delay!), 0.5);
    const delayAfter = quantile(after.map((m) => m.delay!), 0.5);
    // Not growing: back to where it was, give or take one 100 ms page.
    expect(delayAfter, `delay ${Math.round(delayBefore)} ms before the drop`).toBeLessThanOrEqual(delayBefore + 100);
    const errors = after.map((m) => Math.abs(m.syncError ?? Infinity));
    expect(quantile(errors, 0.5), `sync after the return: ${errors.map(Math.round).join(", ")} ms`).toBeLessThanOrEqual(SYNC_MS);
  });

  it("the archive's audio.opus is one valid Ogg Opus stream that decodes to the beeps, each at the session time Alice's microphone heard it", async () => {
    await alice.page.click("dc-mic button:has-text('Switch off')");
    await alice.page.waitForSelector("dc-mic button:has-text('Switch microphone on')");
    const beeps = (await presenterBeeps(alice.page)).filter((b) => b.session < muted.from || b.session > muted.until);
    const m = stack.component.meetings.get(code)!;
    await waitFor(async () => (await readFile(path.join(m.archive.dir, "audio.opus"))).length > 0, 5000, "audio.opus");
    const archived = findBeeps(await decodePcm(path.join(m.archive.dir, "audio.opus")), 3000);
    // Every beep Alice's microphone heard is in the archive, where she heard it.
    const offsets = beeps.map((b) => archived.reduce((best, a) => (Math.abs(a - b.session) < Math.abs(best) ? a - b.session : best), Infinity));
    expect(offsets.filter((o) => !(Math.abs(o) <= SYNC_MS)).map(Math.round), `beeps archived more than ${SYNC_MS} ms from where the microphone heard them (archive − microphone per beep: ${offsets.map(Math.round).join(", ")} ms)`).toEqual([]);
    expect(archived.length).toBeGreaterThanOrEqual(beeps.length);
    // Ended, the stream is closed and opusinfo finds nothing to say against it.
    await alice.page.evaluate(() => (window as unknown as { __deckcast: { session: { end(): Promise<void> } } }).__deckcast.session.end());
    await waitFor(() => m.state.ended, 10_000, "the session to end");
    const info = await tool("opusinfo", [path.join(m.archive.dir, "audio.opus")]);
    expect(`${info.stdout}${info.stderr}`).not.toMatch(/warning|error/i);
  });

  it("nobody's page logged an error", () => {
    for (const p of [alice, fern, gus]) expect(p.errors.filter((e) => !expected(e)), `${p.name}'s console`).toEqual([]);
  });
});

function report(when: string, ms: Matched[]) {
  const rows = ms.map((m) => `delay ${m.delay === null ? "-" : Math.round(m.delay)} ms, sync ${m.syncError === null ? "-" : Math.round(m.syncError)} ms`);
  if (process.env.DECKCAST_TEST_LOG_AUDIO) process.stdout.write(`${when}:\n  ${rows.join("\n  ")}\n`);
}
