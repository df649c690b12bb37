/**
 * The live room as a bundle source (client-core/live-room.ts) over a scripted connection:
 * it trusts bundles only from the room's owner occupant (the component), reads the state
 * answer, tells "nothing newer" (out-of-range) from a real failure by its code, and after
 * the connection returns rejoins with backoff on the injected timers until the room takes
 * it, then says it is behind.
 */
import xml from "@xmpp/xml";
import { describe, expect, it } from "vitest";
import { LiveRoomSource } from "../../client-core/live-room.ts";
import type { Timers } from "../../client-core/timers.ts";
import type { XmppLike } from "../../client-core/xmpp-like.ts";
import { encodeBundle, encodeState } from "../../protocol/codec.ts";
import { NS } from "../../protocol/namespaces.ts";
import { initialState } from "../../protocol/reducer.ts";
import { encodeError } from "../../protocol/stanza-error.ts";
import type { StampedBundle } from "../../protocol/types.ts";
import type { Element } from "../../protocol/xml-read.ts";
import { fakeClock } from "../support/fake-clock.ts";

const room = "k7@rooms.localhost";
const meeting = "k7@deckcast.localhost";

/** A connection whose room answers joins as `joinAnswer` says and whose IQs `iq` answers. */
function scripted(iq: (el: Element) => Element | Error) {
  const handlers = { stanza: new Set<(el: Element) => void>(), online: new Set<() => void>() };
  const sent: Element[] = [];
  let refuseJoins = 0;
  const self = (nick: string) => xml("presence", { from: `${room}/${nick}` }, xml("x", { xmlns: NS.mucUser }, xml("item", { affiliation: "none" }), xml("status", { code: "110" })));
  const x = {
    sent,
    refuseNextJoins(n: number) {
      refuseJoins = n;
    },
    deliver(el: Element) {
      for (const h of [...handlers.stanza]) h(el);
    },
    online() {
      for (const h of [...handlers.online]) h();
    },
    async send(el: Element) {
      sent.push(el);
      if (el.name === "presence" && el.attrs.type !== "unavailable") {
        const nick = String(el.attrs.to).slice(room.length + 1);
        queueMicrotask(() => {
          if (refuseJoins > 0) {
            refuseJoins--;
            x.deliver(xml("presence", { from: `${room}/${nick}`, type: "error" }, encodeError("bad-nick")));
          } else x.deliver(self(nick));
        });
      }
    },
    iqCaller: {
      async request(el: Element) {
        const a = iq(el);
        if (a instanceof Error) throw a;
        return a;
      },
    },
    on(event: "stanza" | "online", fn: (...a: never[]) => void) {
      (handlers[event] as Set<unknown>).add(fn);
    },
    off(event: "stanza" | "online", fn: (...a: never[]) => void) {
      (handlers[event] as Set<unknown>).delete(fn);
    },
  };
  return x as typeof x & XmppLike;
}

function manualTimers() {
  const c = fakeClock(0);
  const timers: Timers & { advance(ms: number): void } = { now: c.now, wall: c.now, set: c.after, clear: (h) => c.clear(h as number), advance: c.advance };
  return timers;
}

const stamped = (seq: number): StampedBundle => ({ id: `b-${seq}`, seq, t: seq * 10, ts: 1, from: "alice", events: [{ type: "page", t: seq * 10, page: 2 }] });
const groupchat = (nick: string, b: StampedBundle) => xml("message", { from: `${room}/${nick}`, type: "groupchat" }, encodeBundle(b));
const occupant = (nick: string, affiliation: string) => xml("presence", { from: `${room}/${nick}` }, xml("x", { xmlns: NS.mucUser }, xml("item", { affiliation, role: "participant" })));
const stateAnswer = () => xml("iq", { type: "result" }, encodeState({ ...initialState("Q3"), seq: 3 }));
const settle = () => new Promise((r) => setImmediate(r));

describe("the live room as a bundle source", () => {
  it("passes on bundles only from the room's owner occupant", async () => {
    const x = scripted(() => stateAnswer());
    const src = new LiveRoomSource(x, { room, meeting, nick: "fern", timers: manualTimers() });
    const got: number[] = [];
    src.on("bundle", (b) => got.push(b.seq));
    const snap = await src.open();
    expect(snap.state.seq).toBe(3);
    x.deliver(occupant("deckcast", "owner"));
    x.deliver(occupant("mallory", "none"));
    x.deliver(groupchat("mallory", stamped(4)));
    x.deliver(groupchat("deckcast", stamped(5)));
    x.deliver(occupant("deckcast", "none")); // lost its owner affiliation
    x.deliver(groupchat("deckcast", stamped(6)));
    expect(got).toEqual([5]);
    await src.close();
    expect(x.sent.at(-1)!.attrs).toEqual({ to: `${room}/fern`, type: "unavailable" });
  });

  it("answers null for 'nothing newer' (out-of-range by code) and throws any other refusal", async () => {
    const refuse = (code: Parameters<typeof encodeError>[0]) => Object.assign(new Error("refused"), { element: xml("iq", { type: "error" }, encodeError(code, "any text at all")) });
    let answer: Element | Error = refuse("out-of-range");
    const x = scripted((el) => (el.getChild("state") ? stateAnswer() : answer));
    const src = new LiveRoomSource(x, { room, meeting, nick: "fern", timers: manualTimers() });
    await src.open();
    expect(await src.range(4)).toBeNull();
    await expect(src.range(4, 9)).rejects.toThrow("refused"); // with `to`, out-of-range is a real error
    answer = refuse("unknown-room");
    await expect(src.range(4)).rejects.toThrow("refused");
    answer = xml("iq", { type: "result" }, xml("range", { xmlns: NS.deckcast, from: "4", to: "5", last: "5" }, encodeBundle(stamped(4)), encodeBundle(stamped(5))));
    expect((await src.range(4))!.bundles.map((b) => b.seq)).toEqual([4, 5]);
  });

  it("rejoins after the connection returns, backing off while the room refuses, then says it is behind", async () => {
    const timers = manualTimers();
    const x = scripted(() => stateAnswer());
    const src = new LiveRoomSource(x, { room, meeting, nick: "fern", timers });
    const errors: string[] = [];
    let behind = 0;
    src.on("error", (e) => errors.push(e.message));
    src.on("behind", () => behind++);
    await src.open();
    x.refuseNextJoins(2);
    x.online();
    await settle();
    expect(errors).toEqual([`could not join ${room}: bad-nick`]);
    timers.advance(999);
    await settle();
    expect(errors.length).toBe(1);
    timers.advance(1);
    await settle();
    expect(errors.length).toBe(2);
    timers.advance(2000);
    await settle();
    expect(behind).toBe(1);
    expect(x.sent.filter((el) => el.name === "presence").length).toBe(4); // the join, three rejoins
  });
});
