/**
 * The groupchat message a stamped bundle becomes in the room (docs/protocol.md §Relay):
 * the <bundle/>, plus for stock XMPP clients a <body> fallback marked with XEP-0428 when the
 * bundle holds something a person should read (a page turn), and otherwise a XEP-0334
 * no-store hint so ink, pointer and audio never fill the room's history or archive.
 */
import xml, { type Element } from "@xmpp/xml";
import { encodeBundle } from "../../protocol/codec.ts";
import { fallbackBody } from "../../protocol/fallback.ts";
import { NS } from "../../protocol/namespaces.ts";
import type { RoomState, StampedBundle } from "../../protocol/types.ts";
import type { ComponentLink } from "./link.ts";

interface RoomRef {
  room: string;
  occupantJid: string;
  /** The room state after the bundle (for "page 5 of 12"). */
  state: Pick<RoomState, "deck">;
}

/** `before` is the state before the bundle: periodic recording reports only get a body when the recording state changes. */
export function roomMessage(m: RoomRef, b: StampedBundle, before: Pick<RoomState, "recording">): Element {
  const msg = xml("message", { type: "groupchat", from: m.occupantJid, to: m.room, id: `${m.room.split("@")[0]}-${b.seq}` });
  const body = fallbackBody(b, m.state.deck?.pages, before.recording?.state ?? null);
  if (body !== null) {
    msg.append(xml("body", {}, body));
    msg.append(xml("fallback", { xmlns: NS.fallback, for: NS.deckcast }));
  } else {
    msg.append(xml("no-store", { xmlns: NS.hints }));
  }
  msg.append(encodeBundle(b));
  return msg;
}

export function sendToRoom(link: ComponentLink, m: RoomRef, b: StampedBundle, before: Pick<RoomState, "recording">): Promise<void> {
  return link.send(roomMessage(m, b, before));
}
