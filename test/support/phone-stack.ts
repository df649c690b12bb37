/**
 * The phone tests' stack: a whole deckcast server (createDeckcast on a private config in a
 * temp data dir, with the phone bridge at /phone and an account "alice"), and a standalone
 * bridge (`deckcast bridge`'s startBridge) in front of it. `stop()` cuts the phones given
 * to it, stops the clients, the bridge and the server, and removes the data dir.
 */
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import pino from "pino";
import type { PhoneClient } from "../../android-bridge/client/phone-client.ts";
import type { ProsodyXmppServer } from "../../prosody/xmpp-server.ts";
import { startBridge, type RunningBridge } from "../../server/cli/bridge.ts";
import { privateConfig } from "../../server/config.ts";
import { createDeckcast, type RunningDeckcast } from "../../server/deckcast.ts";
import { waitFor } from "./deckcast.ts";
import type { TestClient } from "./xmpp.ts";

export const PHONE_STACK_PASSWORD = "test-password";
/** A reverse proxy the stack's deckcast trusts (DECKCAST_TRUSTED_PROXIES): sockets from this loopback address may say who the phone is. */
export const PHONE_STACK_PROXY = "127.0.0.3";

export interface PhoneStack {
  dataDir: string;
  dc: RunningDeckcast<ProsodyXmppServer>;
  /** http://127.0.0.1:<port> of the server. */
  base: string;
  standalone: RunningBridge;
  /** Stopped by stop(). */
  clients: TestClient[];
  /** Cut by stop(). */
  phones: PhoneClient[];
  stop(): Promise<void>;
}

export async function startPhoneStack(name: string): Promise<PhoneStack> {
  const log = pino({ level: process.env.DECKCAST_TEST_LOG ?? "silent" });
  const dataDir = await mkdtemp(path.join(os.tmpdir(), `deckcast-${name}-`));
  const deckcast = createDeckcast(privateConfig(dataDir, { httpHost: "127.0.0.1", publicUrl: "http://127.0.0.1:0", deckWorkers: 1, trustedProxies: [PHONE_STACK_PROXY] }), { log });
  const clients: TestClient[] = [];
  const phones: PhoneClient[] = [];
  let standalone: RunningBridge | null = null;
  const stop = async () => {
    for (const p of phones) p.cut();
    await standalone?.stop().catch(() => undefined);
    for (const c of clients) await c.stop().catch(() => undefined);
    await deckcast.stop().catch(() => undefined);
    await rm(dataDir, { recursive: true, force: true });
  };
  try {
    const dc = await deckcast.start();
    await dc.xmpp.register("alice", PHONE_STACK_PASSWORD);
    await waitFor(() => dc.component.link.online, 15_000, "the component to connect");
    const base = `http://127.0.0.1:${dc.port}`;
    standalone = await startBridge({ upstream: base, port: 0, host: "127.0.0.1", log });
    return { dataDir, dc, base, standalone, clients, phones, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
