/**
 * The meeting requests a browser makes besides following and presenting
 * (docs/protocol.md §IQs and flows): create, hand over the presenter role, end.
 * They reject with the server's error; errors.ts turns that into words.
 */
import xml from "@xmpp/xml";
import { NS } from "../../../protocol/namespaces.ts";
import type { XmppLike } from "../../../client-core/xmpp-like.ts";
import { recordingStatusOf, type RecordingStatus } from "../../../protocol/recording-status.ts";

export interface CreatedMeeting {
  code: string;
  room: string;
  /** The meeting's address at the component. */
  jid: string;
  session: string;
  /** Session clock origin (Unix ms). */
  started: number;
}

/** `record: false` creates a live-only meeting (nothing of it is kept once it ends). */
export async function createMeeting(xmpp: XmppLike, componentDomain: string, opts: { title: string; nick: string; record?: boolean }): Promise<CreatedMeeting> {
  const create = xml("create", { xmlns: NS.deckcast, nick: opts.nick, ...(opts.record === false ? { record: "false" } : {}) }, ...(opts.title.trim() ? [xml("title", {}, opts.title.trim())] : []));
  const res = await xmpp.iqCaller.request(xml("iq", { type: "set", to: componentDomain }, create), 15_000);
  const m = res.getChild("meeting", NS.deckcast);
  if (!m) throw new Error("the server answered without a meeting");
  return {
    code: String(m.attrs.code),
    room: String(m.attrs.room),
    jid: String(m.attrs.jid),
    session: String(m.attrs.session ?? ""),
    started: Number(m.attrs.started),
  };
}

/** Before a meeting: whether the server can record one, and its disk's room (null: it does not say). */
export async function recordingAvailability(xmpp: XmppLike, componentDomain: string): Promise<RecordingStatus | null> {
  const res = await xmpp.iqCaller.request(xml("iq", { type: "get", to: componentDomain }, xml("recording-status", { xmlns: NS.deckcast })), 10_000);
  const s = recordingStatusOf(res);
  return s?.ok ? s.value : null;
}

/** A meeting's recording status now (null: the server does not say). */
export async function meetingRecordingStatus(xmpp: XmppLike, meetingJid: string): Promise<RecordingStatus | null> {
  const res = await xmpp.iqCaller.request(xml("iq", { type: "get", to: meetingJid }, xml("recording-status", { xmlns: NS.deckcast })), 10_000);
  const s = recordingStatusOf(res);
  return s?.ok ? s.value : null;
}

/** Gives the presenter role to the occupant `nick` (the presenter or the owner may). */
export async function handOver(xmpp: XmppLike, meetingJid: string, nick: string): Promise<void> {
  await xmpp.iqCaller.request(xml("iq", { type: "set", to: meetingJid }, xml("presenter", { xmlns: NS.deckcast, nick })));
}

export async function endMeeting(xmpp: XmppLike, meetingJid: string): Promise<void> {
  await xmpp.iqCaller.request(xml("iq", { type: "set", to: meetingJid }, xml("end", { xmlns: NS.deckcast })));
}

/** A meeting code as docs/protocol.md defines it. */
export function isMeetingCode(s: string): boolean {
  return /^[abcdefghjkmnpqrstuvwxyz23456789]{6}$/.test(s);
}
