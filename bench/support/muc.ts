/** Joining a MUC room from a benchmark's own XMPP clients (XEP-0045, no history). */
import type { Client } from "@xmpp/client";
import xml, { type Element } from "@xmpp/xml";
import { NS } from "../../protocol/namespaces.ts";

/** Resolves on our own presence in the room (status 110); rejects after `timeoutMs`. */
export function joinRoom(x: Client, room: string, nick: string, timeoutMs = 30_000): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`join ${nick} timed out`)), timeoutMs);
    const on = (el: Element) => {
      if (el.name === "presence" && el.attrs.from === `${room}/${nick}` && el.getChild("x", NS.mucUser)?.getChildren("status").some((s) => s.attrs.code === "110")) {
        clearTimeout(timer);
        x.off("stanza", on);
        resolve();
      }
    };
    x.on("stanza", on);
    void x.send(xml("presence", { to: `${room}/${nick}` }, xml("x", { xmlns: NS.muc }, xml("history", { maxstanzas: "0" }))));
  });
}
