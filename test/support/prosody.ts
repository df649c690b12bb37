/**
 * A private Prosody for integration tests: fresh temp data dir, free loopback ports.
 *
 * @example
 * let env: TestProsody;
 * beforeAll(async () => { env = await withProsody(); });
 * afterAll(async () => { await env?.cleanup(); });
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pino } from "pino";
import { startProsody, type ProsodyOptions, type RunningProsody } from "../../prosody/launcher.ts";

/** A running test Prosody, its data dir, and how to get rid of both. */
export interface TestProsody {
  prosody: RunningProsody;
  /** The temporary deckcast data dir (Prosody's files are in `<dataDir>/prosody/`). */
  dataDir: string;
  /** Stops Prosody and removes the data dir. Safe to call twice. */
  cleanup(): Promise<void>;
}

/**
 * Starts Prosody in a new `os.tmpdir()` directory. Options are passed to `startProsody`
 * (except `dataDir`); logs go to pino at `DECKCAST_TEST_LOG` level (default "warn").
 * If the start fails the directory is removed before the error is rethrown.
 */
export async function withProsody(opts: Omit<ProsodyOptions, "dataDir"> = {}): Promise<TestProsody> {
  const dataDir = await mkdtemp(join(tmpdir(), "deckcast-prosody-"));
  const log = opts.log ?? pino({ level: process.env.DECKCAST_TEST_LOG ?? "warn" });
  let prosody: RunningProsody;
  try {
    prosody = await startProsody({ ...opts, dataDir, log });
  } catch (err) {
    await rm(dataDir, { recursive: true, force: true });
    throw err;
  }
  let done: Promise<void> | undefined;
  const cleanup = (): Promise<void> =>
    (done ??= (async () => {
      try {
        await prosody.stop();
      } finally {
        await rm(dataDir, { recursive: true, force: true });
      }
    })());
  return { prosody, dataDir, cleanup };
}
