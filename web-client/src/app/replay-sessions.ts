/**
 * A presenter's past sessions over XMPP (docs/protocol.md §Archives): list them, mint an owner
 * or share link, list and revoke shares, delete a session; and, in a live meeting, a rewind
 * link for anyone in it. Shapes and their readers are protocol/archive.ts; a request the
 * server refuses rejects with its error (errors.ts turns it into words), an answer that does
 * not read rejects with a clear one.
 */
import xml, { type Element } from "@xmpp/xml";
import {
  archiveDeleteRequest,
  archiveLinkRequest,
  archiveSharesRequest,
  archivesRequest,
  archiveUnshareRequest,
  decodeArchiveLink,
  decodeArchives,
  decodeArchiveShares,
  decodeRewindLink,
  rewindLinkRequest,
  type ArchiveItem,
  type ArchiveLink,
  type ArchiveShare,
  type LinkKind,
} from "../../../protocol/archive.ts";
import type { XmppLike } from "../../../client-core/xmpp-like.ts";

export type { ArchiveItem, ArchiveLink, ArchiveShare };

const TIMEOUT_MS = 15_000;

function read<T>(r: { ok: true; value: T } | { ok: false; error: string }): T {
  if (!r.ok) throw new Error(`The server sent an answer deckcast cannot read (${r.error}).`);
  return r.value;
}

function iq(xmpp: XmppLike, to: string, type: "get" | "set", payload: Element): Promise<Element> {
  return xmpp.iqCaller.request(xml("iq", { type, to }, payload), TIMEOUT_MS);
}

export async function listSessions(xmpp: XmppLike, component: string): Promise<ArchiveItem[]> {
  return read(decodeArchives(await iq(xmpp, component, "get", archivesRequest())));
}

export async function sessionLink(xmpp: XmppLike, component: string, session: string, kind: LinkKind): Promise<ArchiveLink> {
  return read(decodeArchiveLink(await iq(xmpp, component, "set", archiveLinkRequest(session, kind))));
}

export async function listShares(xmpp: XmppLike, component: string, session: string): Promise<ArchiveShare[]> {
  return read(decodeArchiveShares(await iq(xmpp, component, "get", archiveSharesRequest(session))));
}

export async function revokeShare(xmpp: XmppLike, component: string, session: string, share: string): Promise<void> {
  await iq(xmpp, component, "set", archiveUnshareRequest(session, share));
}

export async function deleteSession(xmpp: XmppLike, component: string, session: string): Promise<void> {
  await iq(xmpp, component, "set", archiveDeleteRequest(session));
}

/** A token to replay the live meeting `meetingJid` (valid while it is live). */
export async function rewindLink(xmpp: XmppLike, meetingJid: string): Promise<{ token: string; session: string }> {
  return read(decodeRewindLink(await iq(xmpp, meetingJid, "set", rewindLinkRequest())));
}

/** The page of a replay link, on this server. */
export function replayPath(token: string): string {
  return `/replay/${token}`;
}

/** The download URL of a session (its zip). */
export function downloadUrl(token: string): string {
  return `/api/replay/${token}/download`;
}
