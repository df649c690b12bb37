/**
 * The whole deckcast for browser tests and the glass benchmark, as `npm start` runs it but
 * private: Prosody on free loopback ports, the component, the decks feature (LibreOffice),
 * and the HTTP server with the web client and the XMPP WebSocket proxy, all on a temporary
 * data directory. Accounts: alice and bob (password PASSWORD).
 */
import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import pino from "pino";
import { startProsody, type RunningProsody } from "../../../prosody/launcher.ts";
import { startComponent, type DeckcastComponent } from "../../../server/component/setup.ts";
import { setupDecks, type Decks } from "../../../server/decks/setup.ts";
import { createHttpServer, type HttpServer } from "../../../server/http/app.ts";
import { mountWebClient } from "../../../server/http/web-client.ts";
import { setupWsProxy, type WsProxy } from "../../../server/http/ws-proxy.ts";
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
  const stops: (() => Promise<void>)[] = [];
  const stopAll = async () => {
    for (const stop of stops.reverse()) await stop().catch(() => undefined);
    await rm(dataDir, { recursive: true, force: true });
  };
  try {
    const prosody = await startProsody({ dataDir, log });
    stops.push(() => prosody.stop());
    for (const a of accounts) await prosody.register(a, PASSWORD);

    const http = createHttpServer({ log });
    mountWebClient(http, { domains: prosody.domains });
    const wsProxy = setupWsProxy(http, { prosodyHttpPort: prosody.ports.http, log });
    const port = await http.listen(0, "127.0.0.1");
    stops.push(async () => {
      wsProxy.stop();
      await http.close();
    });
    const url = `http://127.0.0.1:${port}`;

    let decks: Decks | null = null;
    const component = await startComponent({
      service: `xmpp://127.0.0.1:${prosody.ports.component}`,
      secret: prosody.componentSecret,
      domains: prosody.domains,
      dataDir,
      log,
      decks: { has: (id) => decks?.service.has(id) ?? false },
    });
    stops.push(() => component.stop());
    decks = setupDecks(component.link, { dataDir, publicUrl: url, accountDomain: prosody.domains.accounts, secret: randomBytes(16).toString("hex"), workers: 1, log });
    const d = decks;
    stops.push(() => d.stop());
    http.mount("/upload", decks.uploadRouter);
    http.mount("/decks", decks.deckRouter);
    await waitFor(() => component.link.online, 15_000, "the component to connect");
    // Tests start on a quiet machine: LibreOffice and pdf.js finish warming up first.
    await decks.service.started();

    return { url, prosody, component, decks, http, wsProxy, dataDir, stop: stopAll };
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
