/**
 * Chat from phones in the room (docs/phone-protocol.md §Chat in the room): the phone bridge is
 * one occupant and sends each phone's message as its own groupchat message, with the phone
 * user's name in a `<phone name="Fern" xmlns="urn:deckcast:0"/>` child. Anyone in the room can
 * add such a child, so a name it carries is never shown as a person of the room: readers show
 * "Fern (phone, via <the sender's nick>)", naming the occupant that really sent it, so nobody
 * can pass as someone else. Pure: builds and reads elements.
 */
import xml, { type Element } from "@xmpp/xml";
import { LIMITS, NS } from "./namespaces.ts";
import { attr } from "./xml-read.ts";

const CONTROL = /[\u0000-\u001f\u007f]/;

/** The groupchat message a bridge sends for a phone. */
export function phoneChatMessage(room: string, id: string, text: string, name: string): Element {
  return xml("message", { type: "groupchat", to: room, id }, xml("body", {}, text), xml("phone", { xmlns: NS.deckcast, name }));
}

/** The phone user's name a groupchat message carries; null when none (or not a usable name). */
export function phoneNameOf(message: Element): string | null {
  const el = message.getChild("phone", NS.deckcast);
  const name = el ? attr(el, "name") : undefined;
  if (name === undefined) return null;
  const trimmed = name.trim();
  if (trimmed === "" || [...trimmed].length > LIMITS.maxNick || CONTROL.test(trimmed)) return null;
  return trimmed;
}

/** How a reader shows the sender of a phone's message that `sender` (an occupant's nick) sent. */
export function phoneSenderLabel(name: string, sender: string): string {
  return `${name} (phone, via ${sender})`;
}
