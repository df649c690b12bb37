/**
 * Who is in the meeting (web-client/src/app/occupants.ts), fed real XEP-0045 presence
 * stanzas built with @xmpp/xml as Prosody sends them: the list (this person first, then by
 * nick), roles, the relay left out and recognised, people leaving, the destroyed room, and
 * the list rebuilt after a reconnect.
 */
import { describe, expect, it } from "vitest";
import xml, { type Element } from "@xmpp/xml";
import { NS } from "../../protocol/namespaces.ts";
import { Occupants, type Occupant } from "../../web-client/src/app/occupants.ts";

const ROOM = "k7m2qp@rooms.localhost";

/** A room presence for `nick`: affiliation and role in <x><item/></x>, plus any extra children of <x/>. */
function presence(nick: string, opts: { type?: string; affiliation?: string; role?: string; from?: string; x?: Element[] } = {}): Element {
  const attrs: Record<string, string> = { from: opts.from ?? `${ROOM}/${nick}`, to: "fern@localhost/web" };
  if (opts.type) attrs.type = opts.type;
  const item = xml("item", { affiliation: opts.affiliation ?? "none", role: opts.role ?? (opts.type === "unavailable" ? "none" : "participant") });
  return xml("presence", attrs, xml("x", { xmlns: NS.mucUser }, item, ...(opts.x ?? [])));
}

function watch(o: Occupants) {
  const lists: Occupant[][] = [];
  const destroyed: string[] = [];
  o.on("change", (l) => lists.push(l));
  o.on("destroyed", (r) => destroyed.push(r));
  return { lists, destroyed };
}

const nicks = (l: readonly Occupant[]) => l.map((o) => o.nick);

describe("occupants", () => {
  it("builds the list from presences: this person first, then by nick, with their roles", () => {
    const o = new Occupants(ROOM, "Fern");
    const w = watch(o);
    o.onStanza(presence("zoe"));
    o.onStanza(presence("Ann", { affiliation: "admin", role: "moderator" }));
    o.onStanza(presence("Fern"));
    expect(o.list).toEqual([
      { nick: "Fern", role: "participant", self: true },
      { nick: "Ann", role: "moderator", self: false },
      { nick: "zoe", role: "participant", self: false },
    ]);
    expect(w.lists.map(nicks)).toEqual([["zoe"], ["Ann", "zoe"], ["Fern", "Ann", "zoe"]]);
    expect(o.has("Ann")).toBe(true);
    expect(o.has("Bob")).toBe(false);
  });

  it("a second presence from the same nick updates the role, not the count", () => {
    const o = new Occupants(ROOM, "Fern");
    o.onStanza(presence("Ann"));
    o.onStanza(presence("Ann", { role: "moderator" }));
    expect(o.list).toEqual([{ nick: "Ann", role: "moderator", self: false }]);
  });

  it("a presence without <item/> counts as a participant", () => {
    const o = new Occupants(ROOM, "Fern");
    o.onStanza(xml("presence", { from: `${ROOM}/stock` }));
    expect(o.list).toEqual([{ nick: "stock", role: "participant", self: false }]);
  });

  it("leaves the relay (the room's owner) out of the list and recognises its nick until it leaves", () => {
    const o = new Occupants(ROOM, "Fern");
    const w = watch(o);
    o.onStanza(presence("deckcast", { affiliation: "owner", role: "moderator" }));
    expect(o.list).toEqual([]);
    expect(o.has("deckcast")).toBe(false);
    expect(o.isRelay("deckcast")).toBe(true);
    expect(o.isRelay("Ann")).toBe(false);
    expect(w.lists).toEqual([]); // the relay coming is no change to the people
    o.onStanza(presence("deckcast", { type: "unavailable", affiliation: "owner" }));
    expect(o.isRelay("deckcast")).toBe(false);
    expect(w.lists).toEqual([]);
  });

  it("someone leaving is taken off the list; a leave for someone unknown changes nothing", () => {
    const o = new Occupants(ROOM, "Fern");
    o.onStanza(presence("Ann"));
    o.onStanza(presence("Bob"));
    const w = watch(o);
    o.onStanza(presence("Ann", { type: "unavailable" }));
    o.onStanza(presence("Nobody", { type: "unavailable" }));
    expect(nicks(o.list)).toEqual(["Bob"]);
    expect(w.lists.map(nicks)).toEqual([["Bob"]]);
    expect(w.destroyed).toEqual([]);
  });

  it("ignores other rooms, the bare room, presence errors and stanzas that are not presence", () => {
    const o = new Occupants(ROOM, "Fern");
    const w = watch(o);
    o.onStanza(presence("Ann", { from: "other@rooms.localhost/Ann" }));
    o.onStanza(presence("Ann", { from: `${ROOM}x/Ann` }));
    o.onStanza(presence("", { from: ROOM }));
    o.onStanza(presence("Ann", { type: "error" }));
    o.onStanza(xml("message", { from: `${ROOM}/Ann`, type: "groupchat" }, xml("body", {}, "hi")));
    expect(o.list).toEqual([]);
    expect(w.lists).toEqual([]);
  });

  it("the room destroyed (our own unavailable with <destroy/>) says so with its reason", () => {
    const o = new Occupants(ROOM, "Fern");
    o.onStanza(presence("Fern"));
    o.onStanza(presence("Ann"));
    const w = watch(o);
    const destroy = xml("destroy", {}, xml("reason", {}, "The meeting has ended."));
    o.onStanza(presence("Fern", { type: "unavailable", affiliation: "none", x: [destroy, xml("status", { code: "110" })] }));
    expect(w.destroyed).toEqual(["The meeting has ended."]);
    expect(nicks(o.list)).toEqual(["Ann"]);
  });

  it("a <destroy/> without a reason gives an empty one; one in someone else's presence is not ours", () => {
    const o = new Occupants(ROOM, "Fern");
    const w = watch(o);
    o.onStanza(presence("Ann", { type: "unavailable", x: [xml("destroy")] }));
    expect(w.destroyed).toEqual([]);
    o.onStanza(presence("Fern", { type: "unavailable", x: [xml("destroy"), xml("status", { code: "110" })] }));
    expect(w.destroyed).toEqual([""]);
  });

  it("reset() empties the list and forgets the relay (a reconnect: the room resends everyone)", () => {
    const o = new Occupants(ROOM, "Fern");
    o.onStanza(presence("deckcast", { affiliation: "owner" }));
    o.onStanza(presence("Ann"));
    o.onStanza(presence("Fern"));
    const w = watch(o);
    o.reset();
    expect(o.list).toEqual([]);
    expect(o.isRelay("deckcast")).toBe(false);
    expect(w.lists).toEqual([[]]);
    o.onStanza(presence("Fern"));
    expect(o.list).toEqual([{ nick: "Fern", role: "participant", self: true }]);
  });
});
