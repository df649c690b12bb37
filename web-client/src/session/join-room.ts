/**
 * Joining a MUC room as a client (XEP-0045 §7.2), asking for no history: deckcast readers
 * take the room's state from the component instead (docs/protocol.md §Join as a follower).
 */
import xml, { type Element } from "@xmpp/xml";
import { NS } from "../../../protocol/namespaces.ts";
import { decodeError } from "../../../protocol/stanza-error.ts";
import type { XmppLike } from "../../../client-core/xmpp-like.ts";

/**
 * The room refused the join. `element` is the room's <error/>, read by its code (bad-nick) or
 * condition (conflict, gone) like any stanza error (decodeError), never by this message.
 */
export class JoinRefused extends Error {
  readonly element: Element | undefined;
  constructor(room: string, element: Element | undefined) {
    const e = element ? decodeError(element) : null;
    super(`could not join ${room}: ${e?.code ?? e?.condition ?? "error"}`);
    this.name = "JoinRefused";
    this.element = element;
  }
}

/** Resolves on our own presence in the room (status 110); rejects with JoinRefused on an error presence, or after `timeoutMs`. */
export function joinRoom(xmpp: Pick<XmppLike, "send" | "on" | "off">, room: string, nick: string, timeoutMs = 15_000): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => finish(new Error(`no answer joining ${room}`)), timeoutMs);
    const onJoined = (p: Element) => {
      if (p.name !== "presence" || p.attrs.from !== `${room}/${nick}`) return;
      if (p.attrs.type === "error") return finish(new JoinRefused(room, p.getChild("error")));
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
