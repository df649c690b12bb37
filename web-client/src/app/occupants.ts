/**
 * Who is in the meeting, from the room's XEP-0045 presence: nick, role and affiliation.
 * The deckcast component (affiliation owner) is left out: it is the relay, not a person.
 * After a reconnect without stream resumption the room resends everyone's presence, so the
 * list is rebuilt from scratch (`reset()`).
 */
import type { Element } from "@xmpp/xml";
import { NS } from "../../../protocol/namespaces.ts";
import { Emitter } from "../../../client-core/emitter.ts";

export interface Occupant {
  nick: string;
  role: string;
  /** True for the room occupant of this connection. */
  self: boolean;
}

export class Occupants extends Emitter<{ change: [Occupant[]]; destroyed: [string] }> {
  #byNick = new Map<string, Occupant>();
  #relays = new Set<string>();
  readonly #room: string;
  readonly #myNick: string;

  constructor(room: string, myNick: string) {
    super();
    this.#room = room;
    this.#myNick = myNick;
  }

  get list(): Occupant[] {
    return [...this.#byNick.values()].sort((a, b) => Number(b.self) - Number(a.self) || a.nick.localeCompare(b.nick));
  }

  /** True while someone (not the relay) is in the room under `nick`. */
  has(nick: string): boolean {
    return this.#byNick.has(nick);
  }

  /** True for the nick of the deckcast relay (the only owner). */
  isRelay(nick: string): boolean {
    return this.#relays.has(nick);
  }

  reset(): void {
    this.#byNick.clear();
    this.#relays.clear();
    this.emit("change", this.list);
  }

  /** Feed every stanza; presences from the room are taken, the rest ignored. */
  onStanza(el: Element): void {
    if (el.name !== "presence") return;
    const from = String(el.attrs.from ?? "");
    if (!from.startsWith(`${this.#room}/`) || el.attrs.type === "error") return;
    const nick = from.slice(this.#room.length + 1);
    const x = el.getChild("x", NS.mucUser);
    const item = x?.getChild("item");
    if (el.attrs.type === "unavailable") {
      // Status 110 + <destroy/>: the room is gone (the meeting ended).
      const destroy = x?.getChild("destroy");
      if (destroy && nick === this.#myNick) this.emit("destroyed", destroy.getChildText("reason") ?? "");
      this.#relays.delete(nick);
      if (this.#byNick.delete(nick)) this.emit("change", this.list);
      return;
    }
    if (item?.attrs.affiliation === "owner") {
      this.#relays.add(nick); // the deckcast relay
      return;
    }
    this.#byNick.set(nick, { nick, role: String(item?.attrs.role ?? "participant"), self: nick === this.#myNick });
    this.emit("change", this.list);
  }
}
