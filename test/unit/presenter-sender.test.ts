/**
 * PresenterSender against a scripted component: one bundle in flight, coalescing, resends
 * with the same id on transient errors, final refusals reported, and bundles kept under the
 * size a stanza may have even after a long outage.
 */
import { describe, expect, it } from "vitest";
import xml, { type Element } from "@xmpp/xml";
import { NS } from "../../protocol/namespaces.ts";
import { encodeError } from "../../protocol/stanza-error.ts";
import { decodeBundle } from "../../protocol/codec.ts";
import type { DeckEvent } from "../../protocol/types.ts";
import { MAX_BUNDLE_CHARS, PresenterSender } from "../../web-client/src/session/presenter.ts";
import type { XmppLike } from "../../web-client/src/session/xmpp-like.ts";

/** A stand-in for the XMPP connection whose IQ answers a test scripts; it records every request. */
function scriptedXmpp(answer: (iq: Element, n: number) => Element | Error): XmppLike & { sent: Element[] } {
  const sent: Element[] = [];
  return {
    sent,
    async send() {},
    iqCaller: {
      async request(iq: Element) {
        sent.push(iq);
        const a = answer(iq, sent.length);
        if (a instanceof Error) throw a;
        return a;
      },
    },
    on() {},
    off() {},
  };
}
const ack = (seq: number) => xml("iq", { type: "result" }, xml("ack", { xmlns: NS.deckcast, seq: String(seq), ts: "1" }));
const stanzaError = (code: Parameters<typeof encodeError>[0]) => Object.assign(new Error(code), { element: encodeError(code) });
const page = (n: number): DeckEvent => ({ type: "page", t: n, page: n });
const ids = (x: { sent: Element[] }) => x.sent.map((iq) => String(iq.getChild("bundle")!.attrs.id));

describe("PresenterSender", () => {
  it("sends one bundle at a time and coalesces what queues meanwhile", async () => {
    const x = scriptedXmpp((_, n) => ack(n));
    const s = new PresenterSender(x, { meeting: "m@c", clock: () => 0 });
    s.send([page(1)]);
    s.send([page(2)]);
    s.send([page(3)]);
    await s.flush();
    expect(x.sent.length).toBe(2);
    const second = decodeBundle(x.sent[1]!.getChild("bundle")!);
    expect(second.ok && second.value.events.map((e) => e.t)).toEqual([2, 3]);
  });

  it("resends the same id after a transient error and reports a final refusal", async () => {
    const x = scriptedXmpp((iq, n) => (n === 1 ? stanzaError("archive-failed") : n === 3 ? stanzaError("not-presenter") : ack(n)));
    const s = new PresenterSender(x, { meeting: "m@c", clock: () => 0 });
    const refused: string[] = [];
    s.on("refused", (_b, e) => refused.push(String(e.code)));
    s.send([page(1)]);
    await s.flush();
    s.send([page(2)]);
    await s.flush();
    expect(ids(x)[0]).toBe(ids(x)[1]); // the resend kept its id
    expect(refused).toEqual(["not-presenter"]);
  });

  it("splits a long backlog so no bundle exceeds the stanza budget", async () => {
    const x = scriptedXmpp((_, n) => ack(n));
    const s = new PresenterSender(x, { meeting: "m@c", clock: () => 0 });
    const points = Array.from({ length: 2000 }, (_, i) => i % 10000);
    const strokes: DeckEvent[] = Array.from({ length: 60 }, (_, i) => ({ type: "ink-stroke", t: i, page: 1, stroke: `s${i}`, tool: "pen", color: "#000000", width: 10, points }));
    s.send(strokes);
    await s.flush();
    const sizes = x.sent.map((iq) => iq.getChild("bundle")!.toString().length);
    expect(sizes.every((n) => n <= MAX_BUNDLE_CHARS)).toBe(true);
    const all = x.sent.flatMap((iq) => { const d = decodeBundle(iq.getChild("bundle")!); return d.ok ? d.value.events : []; });
    expect(all.map((e) => e.t)).toEqual(strokes.map((e) => e.t)); // nothing lost, order kept
  });
});
