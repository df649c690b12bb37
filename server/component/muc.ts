/**
 * What the component does in a MUC room, in standard XEP-0045 only (so it runs against
 * Prosody and ejabberd alike): join as an occupant, configure a room it created through
 * the muc#owner data form, keep the occupant list (nick → real JID) from presence, and
 * destroy a room. The component owns every room because the server lists its domain as a
 * MUC admin (see prosody/).
 * https://xmpp.org/extensions/xep-0045.html
 */
import xml, { type Element } from "@xmpp/xml";
import { joinPresence, readJoinAnswer } from "../../protocol/muc.ts";
import { NS } from "../../protocol/namespaces.ts";
import type { ComponentLink } from "./link.ts";

export interface Occupant {
  nick: string;
  /** Real full JID (visible to the component as room owner), when known. */
  jid: string | null;
  affiliation: string;
  role: string;
}

export interface JoinResult {
  /** True when this join created the room (status 201): it must be configured. */
  created: boolean;
  /** The nick the server gave us (it may differ from the one asked for). */
  nick: string;
}

/** Joins `room` as `from` under `nick` (protocol/muc.ts, as every reader joins); resolves on our own presence (status 110). */
export function joinRoom(link: ComponentLink, { room, from, nick, timeoutMs = 10_000 }: { room: string; from: string; nick: string; timeoutMs?: number }): Promise<JoinResult> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => done(new Error(`no answer joining ${room}`)), timeoutMs);
    const onPresence = (p: Element) => {
      if (p.attrs.to !== from) return;
      const answer = readJoinAnswer(p, room, nick);
      if (answer?.kind === "refused") {
        const cond = answer.error?.getChildElements()[0]?.name ?? "unknown";
        done(new Error(`joining ${room} refused: ${cond}`));
      } else if (answer?.kind === "joined") {
        done(null, { created: answer.created, nick: answer.nick });
      }
    };
    function done(err: Error | null, result?: JoinResult) {
      clearTimeout(timer);
      link.off("presence", onPresence);
      if (err) reject(err);
      else resolve(result!);
    }
    link.on("presence", onPresence);
    link.send(joinPresence({ room, nick, from })).catch((err: Error) => done(err));
  });
}

/**
 * Submits the room configuration. Only fields the server offers are submitted, so a server
 * without some option (presence broadcast, say) still gets a valid form.
 */
export async function configureRoom(link: ComponentLink, { room, from, settings }: { room: string; from: string; settings: Record<string, string | string[]> }): Promise<void> {
  const res = await link.request(xml("iq", { type: "get", from, to: room }, xml("query", { xmlns: NS.mucOwner })));
  const form = res.getChild("query", NS.mucOwner)?.getChild("x", NS.dataForms);
  const offered = new Set((form?.getChildren("field") ?? []).map((f) => String(f.attrs.var)));
  const fields = [xml("field", { var: "FORM_TYPE" }, xml("value", {}, "http://jabber.org/protocol/muc#roomconfig"))];
  for (const [name, value] of Object.entries(settings)) {
    if (!offered.has(name)) continue;
    const values = Array.isArray(value) ? value : [value];
    fields.push(xml("field", { var: name }, ...values.map((v) => xml("value", {}, v))));
  }
  await link.request(xml("iq", { type: "set", from, to: room }, xml("query", { xmlns: NS.mucOwner }, xml("x", { xmlns: NS.dataForms, type: "submit" }, ...fields))));
}

/**
 * Reserves `nick` in `room` for the account `jid` (bare): XEP-0045 §9.3 registers a nick by
 * giving the JID an affiliation with a `nick`; the server then refuses that nick to anyone
 * else (Prosody: `conflict`) and moves an occupant already holding it out. Member is the
 * weakest affiliation that keeps a reservation; it grants nothing in an open room.
 */
export async function reserveNick(link: ComponentLink, { room, from, jid, nick }: { room: string; from: string; jid: string; nick: string }): Promise<void> {
  await link.request(xml("iq", { type: "set", from, to: room }, xml("query", { xmlns: NS.mucAdmin }, xml("item", { affiliation: "member", jid, nick }))));
}

/** Takes a reservation (and the member affiliation) back. */
export async function releaseNick(link: ComponentLink, { room, from, jid }: { room: string; from: string; jid: string }): Promise<void> {
  await link.request(xml("iq", { type: "set", from, to: room }, xml("query", { xmlns: NS.mucAdmin }, xml("item", { affiliation: "none", jid }))));
}

export async function destroyRoom(link: ComponentLink, { room, from, reason }: { room: string; from: string; reason: string }): Promise<void> {
  await link.request(xml("iq", { type: "set", from, to: room }, xml("query", { xmlns: NS.mucOwner }, xml("destroy", {}, xml("reason", {}, reason)))));
}

/** Updates `occupants` from one presence the room sent us; returns the occupant it concerned. */
export function trackPresence(occupants: Map<string, Occupant>, room: string, p: Element): Occupant | null {
  const from = String(p.attrs.from ?? "");
  if (!from.startsWith(`${room}/`) || p.attrs.type === "error") return null;
  const nick = from.slice(room.length + 1);
  const item = p.getChild("x", NS.mucUser)?.getChild("item");
  const occupant: Occupant = {
    nick,
    jid: (item?.attrs.jid as string | undefined) ?? occupants.get(nick)?.jid ?? null,
    affiliation: String(item?.attrs.affiliation ?? "none"),
    role: String(item?.attrs.role ?? "participant"),
  };
  if (p.attrs.type === "unavailable") occupants.delete(nick);
  else occupants.set(nick, occupant);
  return occupant;
}

export function bareJid(jid: string): string {
  const slash = jid.indexOf("/");
  return slash < 0 ? jid : jid.slice(0, slash);
}
