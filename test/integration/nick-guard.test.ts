/**
 * Reserved nicks, over a real Prosody: while the owner or the presenter is out of the room,
 * nobody else can take their nick, so nobody else can wear the presenter badge or be handed
 * the role by a take-back "by nick".
 */
import { describe, expect, it } from "vitest";
import xml, { type Element } from "@xmpp/xml";
import { NS } from "../../protocol/namespaces.ts";
import { decodeError } from "../../protocol/stanza-error.ts";
import { joinRoom } from "../../client-core/live-room.ts";
import { waitFor } from "../support/deckcast.ts";
import { withDeckcast } from "../support/with-deckcast.ts";
import type { TestClient } from "../support/xmpp.ts";

const env = withDeckcast();

const leave = (c: TestClient, room: string, nick: string) => c.xmpp.send(xml("presence", { to: `${room}/${nick}`, type: "unavailable" }));
const joinError = (c: TestClient, room: string, nick: string) =>
  joinRoom(c.xmpp, room, nick).then(
    () => null,
    (err: Error) => err.message,
  );

describe("reserved nicks", () => {
  it("keeps the owner's and the presenter's nicks for them while they are out", async () => {
    const alice = await env.user("alice");
    const mallory = await env.guest();
    const grace = await env.guest();
    const res = await alice.xmpp.iqCaller.request(xml("iq", { type: "set", to: env.dc.prosody.domains.component }, xml("create", { xmlns: NS.deckcast, nick: "Alice" })));
    const m = res.getChild("meeting", NS.deckcast)!.attrs as { code: string; room: string; jid: string };

    // The owner's nick is reserved from the start, before she ever joins.
    expect(await joinError(mallory, m.room, "Alice")).toMatch(/conflict/);
    await joinRoom(alice.xmpp, m.room, "Alice");
    await joinRoom(grace.xmpp, m.room, "Grace");
    const meeting = env.dc.component.meetings.get(m.code)!;
    await waitFor(() => meeting.occupants.has("Grace"));

    // Alice hands the role to Grace, who steps out: her nick stays hers.
    await alice.xmpp.iqCaller.request(xml("iq", { type: "set", to: m.jid }, xml("presenter", { xmlns: NS.deckcast, nick: "Grace" })));
    await leave(grace, m.room, "Grace");
    await waitFor(() => !meeting.occupants.has("Grace"));
    // The reservation follows the hand-over: give it a moment to reach the room.
    let err: string | null = null;
    await waitFor(() => meeting.state.presenter === "Grace");
    for (let i = 0; i < 50 && (err = await joinError(mallory, m.room, "Grace")) === null; i++) {
      await leave(mallory, m.room, "Grace");
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(err).toMatch(/conflict/);

    // Alice takes the role back by her own nick while Mallory sits in the room under another.
    await joinRoom(mallory.xmpp, m.room, "Mallory");
    await alice.xmpp.iqCaller.request(xml("iq", { type: "set", to: m.jid }, xml("presenter", { xmlns: NS.deckcast, nick: "Alice" })));
    expect(meeting.presenter).toBe(`alice@${env.dc.prosody.domains.accounts}`);

    // Grace is no longer presenter: her nick is free again.
    await waitFor(() => meeting.state.presenter === "Alice");
    let free: string | null = "not tried";
    for (let i = 0; i < 50 && (free = await joinError(grace, m.room, "Grace")) !== null; i++) await new Promise((r) => setTimeout(r, 50));
    expect(free).toBeNull();
  });

  it("refuses to hand the role to a nick the protocol refuses", async () => {
    const alice = await env.user("alice");
    const res = await alice.xmpp.iqCaller.request(xml("iq", { type: "set", to: env.dc.prosody.domains.component }, xml("create", { xmlns: NS.deckcast })));
    const m = res.getChild("meeting", NS.deckcast)!.attrs as { jid: string };
    const err = await alice.xmpp.iqCaller
      .request(xml("iq", { type: "set", to: m.jid }, xml("presenter", { xmlns: NS.deckcast, nick: "x".repeat(65) })))
      .then(() => null, (e: { element: Element }) => decodeError(e.element));
    expect(err?.code).toBe("bad-nick");
    expect(err!.text.length).toBeLessThan(300); // the long nick is not echoed whole
  });
});
