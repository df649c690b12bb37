/**
 * A whole deckcast for integration tests: a private Prosody on free loopback ports and the
 * component on a temporary data directory, with two accounts (alice, bob). `startXmpp`
 * starts the XMPP server alone, through its adapter, for tests whose subject is what sits
 * in front of it (the WebSocket proxy, login tokens).
 */
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import pino, { type Logger } from "pino";
import type { RunningProsody } from "../../prosody/launcher.ts";
import { startProsodyServer, type ProsodyXmppServer } from "../../prosody/xmpp-server.ts";
import { startComponent, type DeckcastComponent, type MeetingLimits } from "../../server/component/setup.ts";
import type { DeckLookup } from "../../server/component/features/relay.ts";

export interface TestDeckcast {
  prosody: RunningProsody;
  component: DeckcastComponent;
  dataDir: string;
  /** Stops the component and starts a new one on the same data (a restart). */
  restartComponent(): Promise<DeckcastComponent>;
  stop(): Promise<void>;
}

export const PASSWORD = "test-password";

/**
 * `componentDataDir`: where the component keeps archives (default: the Prosody data dir);
 * `recordingReportMs`: how often the component reports the recording's size (default 10 s);
 * `limits`: the component's per-account and idle limits (default MEETING_LIMITS).
 */
export async function startDeckcast({ componentDataDir, decks, recordingReportMs, limits }: { componentDataDir?: string; decks?: DeckLookup; recordingReportMs?: number; limits?: Partial<MeetingLimits> } = {}): Promise<TestDeckcast> {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), "deckcast-test-"));
  const log = pino({ level: process.env.DECKCAST_TEST_LOG ?? "silent" });
  // The XMPP server through its adapter, as server/deckcast.ts starts it.
  const xmpp = await startProsodyServer({ dataDir, log, ...(process.env.DECKCAST_TEST_PROSODY_LOG ? { logLevel: process.env.DECKCAST_TEST_PROSODY_LOG as "debug" } : {}) });
  const prosody = xmpp.prosody;
  await xmpp.register("alice", PASSWORD);
  await xmpp.register("bob", PASSWORD);
  const start = () =>
    startComponent({
      service: xmpp.componentService,
      secret: xmpp.componentSecret,
      domains: xmpp.domains,
      dataDir: componentDataDir ?? dataDir,
      log,
      ...(decks ? { decks } : {}),
      ...(recordingReportMs !== undefined ? { recordingReportMs } : {}),
      ...(limits ? { limits } : {}),
    });
  let component = await start();
  await waitFor(() => component.link.online);
  const harness: TestDeckcast = {
    prosody,
    get component() {
      return component;
    },
    dataDir,
    async restartComponent() {
      await component.stop();
      component = await start();
      await waitFor(() => component.link.online);
      return component;
    },
    async stop() {
      await component.stop().catch(() => undefined);
      await xmpp.stop();
      if (!process.env.DECKCAST_TEST_KEEP) await rm(dataDir, { recursive: true, force: true });
    },
  };
  return harness;
}

/** The XMPP server alone, on a temporary data directory. */
export interface TestXmpp {
  xmpp: ProsodyXmppServer;
  /** The launcher's handle (what test/support/xmpp.ts connects clients through). */
  prosody: RunningProsody;
  dataDir: string;
  /** Stops the server and removes the data dir. Safe to call twice. */
  cleanup(): Promise<void>;
}

/** Starts the XMPP server through its adapter in a new temp dir (no accounts); logs to `log`, else at DECKCAST_TEST_LOG (default "warn"). */
export async function startXmpp({ log = pino({ level: process.env.DECKCAST_TEST_LOG ?? "warn" }), loginFailures }: { log?: Logger; loginFailures?: { burst: number; windowSeconds: number } } = {}): Promise<TestXmpp> {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), "deckcast-xmpp-"));
  let xmpp: ProsodyXmppServer;
  try {
    xmpp = await startProsodyServer({ dataDir, log, ...(loginFailures ? { loginFailures } : {}) });
  } catch (err) {
    await rm(dataDir, { recursive: true, force: true });
    throw err;
  }
  let done: Promise<void> | undefined;
  const cleanup = (): Promise<void> =>
    (done ??= (async () => {
      try {
        await xmpp.stop();
      } finally {
        if (!process.env.DECKCAST_TEST_KEEP) await rm(dataDir, { recursive: true, force: true });
      }
    })());
  return { xmpp, prosody: xmpp.prosody, dataDir, cleanup };
}

/** Polls `cond` every 20 ms until it holds (rejects after `ms`). For waiting, never for timing. */
export async function waitFor(cond: () => boolean, ms = 15_000, what = "condition"): Promise<void> {
  const until = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
