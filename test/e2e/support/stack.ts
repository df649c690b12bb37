/**
 * The whole deckcast for browser tests and the glass benchmark, as `npm start` runs it but
 * private: built by the same composition root (server/deckcast.ts) on a temporary data
 * directory, with Prosody and HTTP on free loopback ports and one LibreOffice worker.
 * Accounts: alice and bob (password PASSWORD).
 */
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import pino from "pino";
import type { RunningProsody } from "../../../prosody/launcher.ts";
import type { DeckcastComponent } from "../../../server/component/setup.ts";
import { privateConfig } from "../../../server/config.ts";
import { createDeckcast } from "../../../server/deckcast.ts";
import type { Decks } from "../../../server/decks/setup.ts";
import type { HttpServer } from "../../../server/http/app.ts";
import type { WsProxy } from "../../../server/http/ws-proxy.ts";
import { ensureWebClientBuilt } from "../../../web-client/build.ts";

export const PASSWORD = "test-password";

export interface WebStack {
  /** http://127.0.0.1:<port> */
  url: string;
  prosody: RunningProsody;
  component: DeckcastComponent;
  decks: Decks;
  http: HttpServer;
  wsProxy: WsProxy;
  dataDir: string;
  stop(): Promise<void>;
}

export async function startWebStack({ accounts = ["alice", "bob"] } = {}): Promise<WebStack> {
  await ensureWebClientBuilt({ quiet: true });
  const dataDir = await mkdtemp(path.join(os.tmpdir(), "deckcast-e2e-"));
  const log = pino({ level: process.env.DECKCAST_TEST_LOG ?? "silent" });
  // Pages open http://127.0.0.1:<port>: upload slots must name that origin too.
  const config = privateConfig(dataDir, { httpHost: "127.0.0.1", publicUrl: "http://127.0.0.1:0", deckWorkers: 1 });
  const deckcast = createDeckcast(config, { log });
  const stopAll = async () => {
    await deckcast.stop().catch(() => undefined);
    // A page image a browser asked for as the stack stopped may still be landing (CI once met
    // ENOTEMPTY here): retried, as fs.rm does for ENOTEMPTY and EBUSY.
    await rm(dataDir, { recursive: true, force: true, maxRetries: 5, retryDelay: 200 });
  };
  try {
    const { xmpp, component, decks, http, wsProxy, publicUrl } = await deckcast.start();
    for (const a of accounts) await xmpp.register(a, PASSWORD);
    await waitFor(() => component.link.online, 15_000, "the component to connect");
    // Tests start on a quiet machine: LibreOffice and pdf.js finish warming up first.
    await decks.service.started();
    return { url: publicUrl, prosody: xmpp.prosody, component, decks, http, wsProxy, dataDir, stop: stopAll };
  } catch (err) {
    await stopAll();
    throw err;
  }
}

/** Polls `cond` until it holds. For waiting, never for timing. */
export async function waitFor(cond: () => boolean | Promise<boolean>, ms = 15_000, what = "condition"): Promise<void> {
  const until = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}
