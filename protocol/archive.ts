/**
 * Past sessions on the wire (docs/protocol.md §Archives, docs/archive.md §Replay API): the
 * owner's IQs to the component (`<archives/>`, `<archive-link/>`, `<archive-shares/>`,
 * `<archive-unshare/>`, `<archive-delete/>`), `<rewind-link/>` to a meeting, the replay
 * token's format and the HTTP API's JSON shapes. Pure: no I/O; readers return Results and
 * never throw on input.
 */
import xml, { type Element } from "@xmpp/xml";
import { NS } from "./namespaces.ts";
import type { Result, RoomState } from "./types.ts";

/** A replay token: "dcr1-" and 64 lowercase hex digits (256 random bits). */
export const REPLAY_TOKEN = { prefix: "dcr1-", bits: 256, length: 5 + 64 } as const;
const TOKEN_RE = /^dcr1-[0-9a-f]{64}$/;

/** True for a string shaped like a replay token (says nothing about its validity). */
export function isReplayToken(s: unknown): s is string {
  return typeof s === "string" && TOKEN_RE.test(s);
}

/** Session ids are archive folder names: YYYYMMDD-HHMMSS-<code>. */
const SESSION_RE = /^\d{8}-\d{6}-[a-z0-9]{1,32}$/;
export function isSessionId(s: unknown): s is string {
  return typeof s === "string" && SESSION_RE.test(s);
}

/** Owner links expire after this long (12 h). */
export const OWNER_LINK_MS = 12 * 60 * 60 * 1000;
/** `<archives/>` lists at most this many sessions, newest first. */
export const MAX_ARCHIVES_LISTED = 500;
/** Share links one session keeps at most. */
export const MAX_SHARES = 100;
/** `/bundles` answers at most this many bundles, or this many bytes, at once. */
export const REPLAY_MAX_BUNDLES = 2000;
export const REPLAY_MAX_BYTES = 4 * 1024 * 1024;
/** Downloads streamed at once: per session, and in all (each reads the whole session and may render page images). */
export const DOWNLOADS_AT_ONCE = { perSession: 2, total: 8 } as const;

export type LinkKind = "owner" | "share";

/** One of the owner's sessions, as `<archives/>` lists it. */
export interface ArchiveItem {
  session: string;
  title: string;
  /** ISO times. */
  createdAt: string;
  endedAt: string | null;
  /** Session ms. */
  duration: number;
  pages: number;
  /** Bytes on disk. */
  bytes: number;
  live: boolean;
}

export interface ArchiveLink {
  session: string;
  token: string;
  /** ISO time an owner link stops working; absent for a share link (valid until revoked). */
  expires?: string;
}

export interface ArchiveShare {
  /** The first 16 hex digits of the token's sha256 (never the token). */
  id: string;
  /** ISO time. */
  created: string;
}

// ---- requests (what a client sends) ----

export const archivesRequest = (): Element => xml("archives", { xmlns: NS.deckcast });
export const archiveLinkRequest = (session: string, kind: LinkKind): Element => xml("archive-link", { xmlns: NS.deckcast, session, kind });
export const archiveSharesRequest = (session: string): Element => xml("archive-shares", { xmlns: NS.deckcast, session });
export const archiveUnshareRequest = (session: string, share: string): Element => xml("archive-unshare", { xmlns: NS.deckcast, session, share });
export const archiveDeleteRequest = (session: string): Element => xml("archive-delete", { xmlns: NS.deckcast, session });
export const rewindLinkRequest = (): Element => xml("rewind-link", { xmlns: NS.deckcast });

// ---- answers (what the component sends) ----

export function encodeArchives(items: readonly ArchiveItem[]): Element {
  return xml(
    "archives",
    { xmlns: NS.deckcast },
    ...items.map((a) =>
      xml("archive", {
        session: a.session,
        title: a.title,
        createdAt: a.createdAt,
        ...(a.endedAt !== null ? { endedAt: a.endedAt } : {}),
        duration: String(a.duration),
        pages: String(a.pages),
        bytes: String(a.bytes),
        live: String(a.live),
      }),
    ),
  );
}

export function encodeArchiveLink(l: ArchiveLink): Element {
  return xml("archive-link", { xmlns: NS.deckcast, session: l.session, token: l.token, ...(l.expires !== undefined ? { expires: l.expires } : {}) });
}

export function encodeArchiveShares(session: string, shares: readonly ArchiveShare[]): Element {
  return xml("archive-shares", { xmlns: NS.deckcast, session }, ...shares.map((s) => xml("share", { id: s.id, created: s.created })));
}

export function encodeRewindLink(l: { token: string; session: string }): Element {
  return xml("rewind-link", { xmlns: NS.deckcast, token: l.token, session: l.session });
}

// ---- readers (defensive: a Result, never a throw) ----

const bad = (message: string): { ok: false; error: string } => ({ ok: false, error: message });
const nat = (v: unknown): number | null => {
  const n = Number(v);
  return typeof v === "string" && /^\d{1,15}$/.test(v) && Number.isSafeInteger(n) ? n : null;
};
const isoTime = (v: unknown): v is string => typeof v === "string" && v.length <= 40 && !Number.isNaN(Date.parse(v));

function child(el: Element, name: string): Element | null {
  if (el.name === name && el.attrs.xmlns === NS.deckcast) return el;
  return el.getChild(name, NS.deckcast) ?? null;
}

export function decodeArchives(el: Element): Result<ArchiveItem[], string> {
  const list = child(el, "archives");
  if (!list) return bad("no <archives/>");
  const out: ArchiveItem[] = [];
  for (const a of list.getChildren("archive")) {
    const { session, title, createdAt, endedAt, live } = a.attrs as Record<string, unknown>;
    const duration = nat(a.attrs.duration);
    const pages = nat(a.attrs.pages);
    const bytes = nat(a.attrs.bytes);
    if (!isSessionId(session)) return bad("an <archive/> without a valid session");
    if (typeof title !== "string" || !isoTime(createdAt) || (endedAt !== undefined && !isoTime(endedAt))) return bad(`archive ${session}: bad title or times`);
    if (duration === null || pages === null || bytes === null || (live !== "true" && live !== "false")) return bad(`archive ${session}: bad numbers`);
    out.push({ session, title, createdAt, endedAt: endedAt ?? null, duration, pages, bytes, live: live === "true" });
  }
  return { ok: true, value: out };
}

export function decodeArchiveLink(el: Element): Result<ArchiveLink, string> {
  const l = child(el, "archive-link");
  if (!l) return bad("no <archive-link/>");
  const { session, token, expires } = l.attrs as Record<string, unknown>;
  if (!isSessionId(session) || !isReplayToken(token)) return bad("bad session or token");
  if (expires !== undefined && !isoTime(expires)) return bad("bad expires");
  return { ok: true, value: { session, token, ...(expires !== undefined ? { expires } : {}) } };
}

export function decodeArchiveShares(el: Element): Result<ArchiveShare[], string> {
  const l = child(el, "archive-shares");
  if (!l) return bad("no <archive-shares/>");
  const out: ArchiveShare[] = [];
  for (const s of l.getChildren("share")) {
    const { id, created } = s.attrs as Record<string, unknown>;
    if (typeof id !== "string" || !/^[0-9a-f]{16}$/.test(id) || !isoTime(created)) return bad("bad <share/>");
    out.push({ id, created });
  }
  return { ok: true, value: out };
}

export function decodeRewindLink(el: Element): Result<{ token: string; session: string }, string> {
  const l = child(el, "rewind-link");
  if (!l) return bad("no <rewind-link/>");
  const { session, token } = l.attrs as Record<string, unknown>;
  if (!isSessionId(session) || !isReplayToken(token)) return bad("bad session or token");
  return { ok: true, value: { session, token } };
}

// ---- HTTP (docs/archive.md §Replay API) ----

/** A page shown: every page change and deck open, in time order (index.json `pages`). */
export interface ReplayPageMark {
  t: number;
  seq: number;
  deck: string;
  page: number;
}

/** GET …/index.json: the seek index without keyframe states. */
export interface ReplayIndex {
  keys: { seq: number; t: number }[];
  pages: ReplayPageMark[];
  audio: { t: number; offset: number }[];
  last: number;
  duration: number;
}

/** GET …/seek?t=: the room at session time `t` (`applyUntil` from the keyframe at or before it). */
export interface ReplaySeek {
  t: number;
  state: RoomState;
  /** The last bundle applied whole. */
  seq: number;
  /** Events of bundle seq + 1 already in `state`. */
  events: number;
  /** The archive's newest seq. */
  last: number;
}

/** The one answer to every bad, unknown, expired or revoked token. */
export const REPLAY_NOT_FOUND = { error: { code: "not-found", message: "Not found." } } as const;
