/**
 * Live audio (issue 5): mouth-to-ear delay and slide-to-voice sync, in real Chromium pages
 * on loopback. The presenter's fake microphone plays a WAV of 1 kHz beeps; the presenter's
 * page turns the page on each beep it hears; a follower listens (sync mode).
 *
 * - delay: the beep's first sample in the presenter's capture graph → the same beep
 *   starting to play at the follower (its output timestamp);
 * - sync error: how far the follower's page change lands from its beep, relative to how
 *   far apart the presenter made them (its key press comes a few ms after the beep).
 *
 * The beeps come every 1.037 s, so their place inside the 100 ms audio pages sweeps all
 * phases (a fixed phase would make the page wait a constant). See
 * test/e2e/support/audio-probes.ts for the probes.
 *
 *   npm run bench -- audio [--beeps 30]
 *
 * Writes bench/results/audio.json as {delay_p50_ms, delay_p95_ms, sync_p95_ms, beeps_sent, beeps_heard}.
 */
import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { beepWav, fakeMicFlags, followerLog, logFollower, match, presenterBeeps, turnPagesOnBeeps } from "../test/e2e/support/audio-probes.ts";
import { createMeeting, join, login, waitForPage } from "../test/e2e/support/meeting-page.ts";
import { PASSWORD, startWebStack, waitFor } from "../test/e2e/support/stack.ts";
import { launchBrowser } from "../test/support/browser.ts";
import { arg, NO_THROTTLE } from "./support/args.ts";
import { printTable, quantile, round, writeResults } from "./support/table.ts";

const DECK = path.resolve("../shared/fixtures/bench/deck5.pptx");
const EVERY_S = 1.037;
/** Beeps at the start are not measured: the follower's buffer settles on its first seconds of audio. */
const WARMUP = 4;


export default async function run(args: string[]): Promise<void> {
  if (!existsSync(DECK)) {
    process.stdout.write(`skipped: the benchmark deck ${DECK} is missing (shared/fixtures beside the repo)\n`);
    return;
  }
  const count = Number(arg(args, "beeps", "30"));
  const dir = await mkdtemp(path.join(os.tmpdir(), "deckcast-bench-audio-"));
  const wav = await beepWav(dir, { seconds: EVERY_S * 8, firstS: 0.3, everyS: EVERY_S });
  const stack = await startWebStack();
  const browser = await launchBrowser({ extraArgs: [...fakeMicFlags(wav), ...NO_THROTTLE], bypassCsp: true });
  try {
    const presenter = await browser.person("presenter");
    const follower = await browser.person("follower", { viewport: { width: 960, height: 600 } });
    await login(presenter.page, stack.url, "alice", PASSWORD);
    const link = await createMeeting(presenter.page, "audio bench");
    await presenter.page.setInputFiles("dc-upload input[type=file]", DECK);
    await presenter.page.waitForSelector("dc-thumbs", { timeout: 120_000 });
    await join(follower.page, link, "Follower");
    await waitForPage(follower.page, 1);
    await presenter.page.click("dc-mic button:has-text('Switch microphone on')");
    await presenter.page.waitForSelector("dc-mic dc-level-meter");
    await follower.page.click("dc-listen button:has-text('Tap to listen')");
    await follower.page.waitForSelector("dc-listen input[type=range]");
    await logFollower(follower.page);
    await turnPagesOnBeeps(presenter.page);

    const total = WARMUP + count;
    await waitFor(async () => (await presenterBeeps(presenter.page)).length >= total + 1, (total + 10) * EVERY_S * 1000, `${total} beeps`);
    await presenter.page.waitForTimeout(1500);
    const beeps = (await presenterBeeps(presenter.page)).slice(WARMUP, total);
    const matched = match(beeps, await followerLog(follower.page));
    const delays = matched.flatMap((m) => (m.delay === null ? [] : [m.delay]));
    const syncs = matched.flatMap((m) => (m.syncError === null ? [] : [Math.abs(m.syncError)]));
    const result = {
      delay_p50_ms: round(quantile(delays, 0.5)),
      delay_p95_ms: round(quantile(delays, 0.95)),
      sync_p95_ms: round(quantile(syncs, 0.95)),
      beeps_sent: beeps.length,
      beeps_heard: delays.length,
    };
    printTable([{ ...result, delay_max_ms: round(Math.max(...delays)), sync_p50_ms: round(quantile(syncs, 0.5)), pages_matched: syncs.length }]);
    const errors = [presenter, follower].flatMap((p) => p.errors.map((e) => `${p.name}: ${e}`));
    if (errors.length) process.stdout.write(`console errors during the run:\n${errors.join("\n")}\n`);
    process.stdout.write(`${JSON.stringify(result)}\nwrote ${await writeResults("audio", result)}\n`);
  } finally {
    await browser.close();
    await stack.stop();
    await rm(dir, { recursive: true, force: true });
  }
}
