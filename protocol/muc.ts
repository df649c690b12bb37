/**
 * Joining and leaving a MUC room (XEP-0045 §7.2) the one way every deckcast reader does it,
 * the component and clients alike: ask for no history (readers take the room's state from
 * the component, docs/protocol.md §Join as a follower), and read the answer by its status
 * codes: our own presence carries 110, a room we created 201; an error presence refuses.
 * Pure: builds and reads elements, sends nothing.
 * https://xmpp.org/extensions/xep-0045.html#enter
 */
import xml from "@xmpp/xml";
import { NS } from "./namespaces.ts";
import { attr, type Element } from "./xml-read.ts";

export interface RoomAddress {
  /** The room's bare JID, code@rooms.host. */
  room: string;
  nick: string;
  /** Our JID, for a component (which sends from any address at its domain). */
  from?: string;
}

export type JoinAnswer =
  /** Our own presence (status 110); `nick` is the one the room gave us, `created` a new room (201). */
  | { kind: "joined"; nick: string; created: boolean }
  /** The room refused the join; `error` is its <error/>, read with decodeError. */
  | { kind: "refused"; error: Element | undefined };

export function joinPresence({ room, nick, from }: RoomAddress): Element {
  return xml("presence", { ...(from ? { from } : {}), to: `${room}/${nick}` }, xml("x", { xmlns: NS.muc }, xml("history", { maxstanzas: "0" })));
}

export function leavePresence({ room, nick, from }: RoomAddress): Element {
  return xml("presence", { ...(from ? { from } : {}), to: `${room}/${nick}`, type: "unavailable" });
}

/** The nick part of an occupant JID of `room` (room/nick); null for anything else. */
export function occupantNick(el: Element, room: string): string | null {
  const from = attr(el, "from") ?? "";
  return from.startsWith(`${room}/`) && from.length > room.length + 1 ? from.slice(room.length + 1) : null;
}

/** The room's status codes on a presence (muc#user <status code/>). */
export function statusCodes(p: Element): string[] {
  const x = p.getChild("x", NS.mucUser);
  return x ? x.getChildren("status").map((s) => attr(s, "code") ?? "") : [];
}

/**
 * Reads `p` as the answer to our join of `room` under `nick`: joined (our own presence, which
 * may carry another nick if the room changed it), refused (an error presence for that nick),
 * or null when it is something else (another occupant's presence, another room).
 */
export function readJoinAnswer(p: Element, room: string, nick: string): JoinAnswer | null {
  if (p.name !== "presence") return null;
  const at = occupantNick(p, room);
  if (at === null) return null;
  if (attr(p, "type") === "error") return at === nick ? { kind: "refused", error: p.getChild("error") } : null;
  if (attr(p, "type") !== undefined) return null;
  const codes = statusCodes(p);
  return codes.includes("110") ? { kind: "joined", nick: at, created: codes.includes("201") } : null;
}

/** The affiliation a presence gives its occupant ("owner" for the component in deckcast rooms); null when absent. */
export function affiliationOf(p: Element): string | null {
  const item = p.getChild("x", NS.mucUser)?.getChild("item");
  return item ? (attr(item, "affiliation") ?? null) : null;
}
