/**
 * Joining a MUC room as a client (XEP-0045 §7.2), asking for no history: deckcast readers
 * take the room's state from the component instead (docs/protocol.md §Join as a follower).
 */
import xml, { type Element } from "@xmpp/xml";
import { NS } from "../../../protocol/namespaces.ts";
import { decodeError } from "../../../protocol/stanza-error.ts";
import type { XmppLike } from "./xmpp-like.ts";

/** Resolves on our own presence in the room (status 110); rejects on an error presence or after `timeoutMs`. */
export function joinRoom(xmpp: Pick<XmppLike, "send" | "on" | "off">, room: string, nick: string, timeoutMs = 15_000): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => finish(new Error(`no answer joining ${room}`)), timeoutMs);
    const onJoined = (p: Element) => {
      if (p.name !== "presence" || p.attrs.from !== `${room}/${nick}`) return;
      if (p.attrs.type === "error") {
        // deckcast's code when the room gave one (bad-nick), else the XMPP condition (conflict).
        const e = decodeError(p);
        return finish(new Error(`could not join ${room}: ${e.code ?? e.condition}`));
      }
      const codes = p.getChild("x", NS.mucUser)?.getChildren("status").map((s) => s.attrs.code) ?? [];
      if (codes.includes("110")) finish(null);
    };
    const finish = (err: Error | null) => {
      clearTimeout(timer);
      xmpp.off("stanza", onJoined);
      if (err) reject(err);
      else resolve();
    };
    xmpp.on("stanza", onJoined);
    xmpp.send(xml("presence", { to: `${room}/${nick}` }, xml("x", { xmlns: NS.muc }, xml("history", { maxstanzas: "0" })))).catch(finish);
  });
}
