/**
 * Noticing a dead connection (docs/protocol.md §Keeping the connection alive). A WebSocket
 * whose link died without a close — Wi-Fi gone, a phone asleep, a NAT that forgot the
 * mapping — says nothing: the client would sit on a frozen page. So a client that has heard
 * nothing for `idleMs`, or whose device says its network changed, pings its own server
 * (XEP-0199); a ping with no answer and nothing else heard for `answerMs` means the link is
 * dead, and the client drops it and reconnects (the usual catch-up follows). Pure: no I/O.
 */
import xml, { type Element } from "@xmpp/xml";
import { NS } from "./namespaces.ts";

export const KEEPALIVE = {
  /** Nothing heard for this long: ping. A meeting in progress sends far more often. */
  idleMs: 20_000,
  /** A ping unanswered, and nothing else heard, for this long: the link is dead. */
  answerMs: 8_000,
} as const;

/** `<iq type="get" to=server><ping/></iq>`: any answer, even an error, proves the link. */
export function pingRequest(server: string): Element {
  return xml("iq", { type: "get", to: server }, xml("ping", { xmlns: NS.ping }));
}
