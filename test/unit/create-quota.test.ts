// setupCreate's quota (server/component/features/create.ts), with the lifecycle held at the
// moment a meeting is live but its session-start not yet flushed: a create arriving then is
// counted against what is live, not refused because that meeting counted twice (once live,
// once pending). The integration test meeting-limits.test.ts hit this on a loaded machine.
import xml, { type Element } from "@xmpp/xml";
import pino from "pino";
import { describe, expect, it } from "vitest";
import { NS } from "../../protocol/namespaces.ts";
import { decodeError } from "../../protocol/stanza-error.ts";
import { setupCreate } from "../../server/component/features/create.ts";
import type { IqHandler } from "../../server/component/link.ts";

const domains = { component: "deckcast.localhost", accounts: "localhost", guests: "guest.localhost", muc: "rooms.localhost" };

function rig(max: number) {
  let handler: IqHandler | null = null;
  const live: { code: string; owner: string }[] = [];
  const flushes: (() => void)[] = [];
  let n = 0;
  const link = { online: true, onIq: (_t: string, _ns: string, _name: string, h: IqHandler) => void (handler = h) };
  const lifecycle = {
    async create({ owner, onAdded }: { owner: string; onAdded?: () => void }) {
      const m = { code: `m${++n}`, room: `m${n}@${domains.muc}`, jid: `m${n}@${domains.component}`, owner, archive: { manifest: { session: `s${n}`, createdAt: new Date().toISOString() } } };
      live.push(m);
      onAdded?.();
      await new Promise<void>((r) => flushes.push(r)); // session-start being flushed
      return m;
    },
  };
  setupCreate({ link, meetings: { all: () => live }, lifecycle, domains, maxPerAccount: max, log: pino({ level: "silent" }) } as never);
  const create = async (from: string) => {
    const el = xml("create", { xmlns: NS.deckcast });
    const r = (await handler!({ from: `${from}/web`, to: domains.component, local: "", element: el, stanza: xml("iq", {}, el) })) as Element;
    return r.name === "meeting" ? "created" : decodeError(r).code;
  };
  return { create, flushAll: () => flushes.splice(0).forEach((f) => f()) };
}

describe("the meeting quota", () => {
  it("counts a meeting being created once, while its session-start is flushed", async () => {
    const r = rig(2);
    const first = r.create("alice@localhost");
    await new Promise((res) => setTimeout(res, 0)); // alice's first is live, its flush not done
    const second = r.create("alice@localhost");
    await new Promise((res) => setTimeout(res, 0));
    const third = r.create("alice@localhost");
    r.flushAll();
    await new Promise((res) => setTimeout(res, 0));
    r.flushAll();
    expect(await Promise.all([first, second, third])).toEqual(["created", "created", "quota-exceeded"]);
  });
});
