/**
 * XMPP clients for tests: real @xmpp/client connections over loopback TCP to the private
 * Prosody, with PLAIN auth (FACTS: SCRAM costs ~2 s of CPU per login without TLS) and
 * reconnection off unless a test asks for it.
 */
import { client, type Client } from "@xmpp/client";
import xml from "@xmpp/xml";
import { NS } from "../../protocol/namespaces.ts";
import type { RunningProsody } from "../../prosody/launcher.ts";
import { decodeWholeCharacters } from "../../server/component/utf8-chunks.ts";

export interface TestClient {
  xmpp: Client;
  jid: string;
  stop(): Promise<void>;
}

async function connect(xmpp: Client, reconnect: boolean): Promise<TestClient> {
  decodeWholeCharacters(xmpp); // as the component does: a character split across TCP chunks stays whole
  xmpp.on("error", () => undefined); // surfaced by start() / iq rejections instead
  if (!reconnect) xmpp.reconnect.stop();
  const address = await xmpp.start();
  await xmpp.send((await import("@xmpp/xml")).default("presence"));
  return {
    xmpp,
    jid: address.toString(),
    async stop() {
      xmpp.reconnect.stop();
      await xmpp.stop().catch(() => undefined);
    },
  };
}

export async function connectUser(p: RunningProsody, username: string, password: string, { reconnect = false } = {}): Promise<TestClient> {
  const xmpp = client({
    service: `xmpp://127.0.0.1:${p.ports.c2s}`,
    domain: p.domains.accounts,
    resource: `test-${Math.random().toString(36).slice(2, 8)}`,
    credentials: (auth: (c: object, mech: string) => Promise<void>) => auth({ username, password }, "PLAIN"),
  } as never);
  return connect(xmpp, reconnect);
}

export async function connectGuest(p: RunningProsody, { reconnect = false } = {}): Promise<TestClient> {
  const xmpp = client({ service: `xmpp://127.0.0.1:${p.ports.c2s}`, domain: p.domains.guests, resource: `guest-${Math.random().toString(36).slice(2, 8)}` } as never);
  return connect(xmpp, reconnect);
}

/** Resolves with the first stanza `pred` accepts, or rejects after `ms`. */
export function nextStanza(xmpp: Client, pred: (el: import("@xmpp/xml").Element) => boolean, ms = 10_000): Promise<import("@xmpp/xml").Element> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      xmpp.off("stanza", on);
      reject(new Error("timed out waiting for a stanza"));
    }, ms);
    const on = (el: import("@xmpp/xml").Element) => {
      if (!pred(el)) return;
      clearTimeout(timer);
      xmpp.off("stanza", on);
      resolve(el);
    };
    xmpp.on("stanza", on);
  });
}

export interface MeetingRef {
  code: string;
  room: string;
  jid: string;
  session: string;
  /** The session clock's origin (Unix ms). */
  started: number;
}

/** An account asks the component (`component`: its domain) for a new meeting. */
export async function createMeeting(c: TestClient, component: string, title = "Test meeting", nick?: string): Promise<MeetingRef> {
  const res = await c.xmpp.iqCaller.request(xml("iq", { type: "set", to: component }, xml("create", { xmlns: NS.deckcast, ...(nick ? { nick } : {}) }, xml("title", {}, title))), 15_000);
  const m = res.getChild("meeting", NS.deckcast)!.attrs;
  return { code: String(m.code), room: String(m.room), jid: String(m.jid), session: String(m.session), started: Number(m.started) };
}
