/**
 * Past sessions and who may see them (docs/protocol.md §Archives): the owner's IQs to the
 * component domain — `<archives/>` (their sessions, newest first), `<archive-link/>` (an
 * owner link for 12 h, or a share link until revoked), `<archive-shares/>`,
 * `<archive-unshare/>`, `<archive-delete/>` — and `<rewind-link/>` to a live meeting's JID
 * (anyone in it: the code is the invitation).
 *
 * Only the owner's bare JID (manifest.owner, always an account) may list, link, share or
 * delete a session; for anyone else — another account, a guest — a session that is not
 * theirs gets the same `unknown-archive` as one that does not exist. A live-only meeting
 * (`record="false"`) is not an archive: it is never listed nor linked.
 */
import type { Logger } from "pino";
import { encodeArchiveLink, encodeArchives, encodeArchiveShares, encodeRewindLink, isSessionId, MAX_ARCHIVES_LISTED } from "../../../protocol/archive.ts";
import { NS } from "../../../protocol/namespaces.ts";
import { encodeError } from "../../../protocol/stanza-error.ts";
import { archivesDir } from "../../archive/session-archive.ts";
import { createReplaySources, type ReplaySources } from "../../archive/replay-source.ts";
import { createArchiveAccess, type ArchiveAccess } from "../../archive/shares.ts";
import type { Manifest } from "../../archive/manifest.ts";
import type { ComponentLink } from "../link.ts";
import type { Domains, Lifecycle } from "../lifecycle.ts";
import type { Meeting, Meetings } from "../meetings.ts";
import { bareJid } from "../muc.ts";

export interface Archives {
  access: ArchiveAccess;
  sources: ReplaySources;
  /** The live meeting whose archive is this session, if any. */
  liveMeeting(session: string): Meeting | undefined;
  /** Ends the session if live, removes its folder and forgets its tokens. */
  remove(session: string, reason: string): Promise<void>;
  /** Runs `fn` before a session's folder is removed (work on it is stopped first: an export). */
  beforeRemove(fn: (session: string) => Promise<unknown>): void;
  stop(): Promise<void>;
}

export function setupArchives({ link, meetings, lifecycle, domains, dataDir, log }: { link: ComponentLink; meetings: Meetings; lifecycle: Lifecycle; domains: Domains; dataDir: string; log: Logger }): Archives {
  const root = archivesDir(dataDir);
  const liveMeeting = (session: string) => meetings.all().find((m) => m.archive.manifest.session === session);
  const sources = createReplaySources({ archivesDir: root, liveArchive: (s) => liveMeeting(s)?.archive, log });
  const access = createArchiveAccess({ archivesDir: root, isLive: (s) => liveMeeting(s) !== undefined, log });
  const loaded = access.load().catch((err: Error) => log.error({ err: err.message }, "share links could not be loaded"));

  const isAccount = (jid: string) => jid.slice(jid.indexOf("@") + 1) === domains.accounts;
  const recorded = (m: Manifest) => m.record !== false;

  /** The session's manifest when `asker` owns it and it is an archive; else null (one answer for every reason). */
  async function owned(asker: string, session: unknown): Promise<Manifest | null> {
    if (!isAccount(asker) || !isSessionId(session)) return null;
    const m = await sources.manifest(session);
    return m && m.owner === asker && recorded(m) ? m : null;
  }

  const removeHooks: ((session: string) => Promise<unknown>)[] = [];

  async function remove(session: string, reason: string): Promise<void> {
    const m = liveMeeting(session);
    if (m) await lifecycle.end(m, reason);
    for (const hook of removeHooks) await hook(session).catch((err: Error) => log.warn({ session, err: err.message }, "stopping work on a deleted session failed"));
    access.revokeAll(session);
    await sources.remove(session);
    log.info({ session }, "session deleted");
  }

  const onEnded = (m: Meeting) => {
    const session = m.archive.manifest.session;
    access.forgetRewinds(session);
    // Ready for replay at once: the archive reopened for reading with the index it was built with.
    if (m.archive.manifest.record !== false) sources.ended(session, m.archive.index);
  };
  meetings.on("ended", onEnded);

  link.onIq("get", NS.deckcast, "archives", async (req) => {
    if (req.local !== "") return encodeError("bad-request", `send <archives/> to ${domains.component}`);
    const asker = bareJid(req.from);
    if (!isAccount(asker)) return encodeArchives([]);
    const mine = (await sources.list()).filter((a) => a.manifest.owner === asker && recorded(a.manifest));
    mine.sort((a, b) => (a.manifest.createdAt < b.manifest.createdAt ? 1 : a.manifest.createdAt > b.manifest.createdAt ? -1 : 0));
    const items = [];
    for (const a of mine.slice(0, MAX_ARCHIVES_LISTED)) items.push(await sources.summary(a.manifest, a.live));
    return encodeArchives(items);
  });

  link.onIq("set", NS.deckcast, "archive-link", async (req) => {
    const kind = req.element.attrs.kind;
    if (kind !== "owner" && kind !== "share") return encodeError("bad-request", 'kind is "owner" or "share"');
    const m = await owned(bareJid(req.from), req.element.attrs.session);
    if (!m) return encodeError("unknown-archive");
    await loaded;
    if (kind === "owner") return encodeArchiveLink({ session: m.session, ...access.mintOwner(m.session) });
    try {
      const { token } = await access.share(m.session);
      log.info({ session: m.session }, "share link made");
      return encodeArchiveLink({ session: m.session, token });
    } catch (err) {
      log.error({ session: m.session, err: (err as Error).message }, "share link could not be stored");
      return encodeError("archive-failed", "The share link could not be stored.");
    }
  });

  link.onIq("get", NS.deckcast, "archive-shares", async (req) => {
    const m = await owned(bareJid(req.from), req.element.attrs.session);
    if (!m) return encodeError("unknown-archive");
    return encodeArchiveShares(m.session, await access.shares(m.session));
  });

  link.onIq("set", NS.deckcast, "archive-unshare", async (req) => {
    const m = await owned(bareJid(req.from), req.element.attrs.session);
    if (!m) return encodeError("unknown-archive");
    const id = String(req.element.attrs.share ?? "");
    if (!/^[0-9a-f]{16}$/.test(id)) return encodeError("bad-request", "share is the 16 hex digits <archive-shares/> lists");
    try {
      await loaded;
      if (await access.unshare(m.session, id)) log.info({ session: m.session }, "share link revoked");
    } catch (err) {
      log.error({ session: m.session, err: (err as Error).message }, "share link could not be revoked");
      return encodeError("archive-failed", "The share link could not be revoked.");
    }
    return undefined; // revoking a share that is gone already is done
  });

  link.onIq("set", NS.deckcast, "archive-delete", async (req) => {
    const m = await owned(bareJid(req.from), req.element.attrs.session);
    if (!m) return encodeError("unknown-archive");
    try {
      await remove(m.session, "The owner deleted this session.");
    } catch (err) {
      log.error({ session: m.session, err: (err as Error).message }, "deleting the session failed");
      return encodeError("archive-failed", "The session could not be deleted; try again.");
    }
    return undefined;
  });

  link.onIq("set", NS.deckcast, "rewind-link", (req) => {
    const m = meetings.get(req.local);
    if (!m) return encodeError("unknown-room");
    if (m.state.ended) return encodeError("session-ended");
    const session = m.archive.manifest.session;
    return encodeRewindLink({ token: access.mintRewind(session), session });
  });

  return {
    access,
    sources,
    liveMeeting,
    remove,
    beforeRemove: (fn) => void removeHooks.push(fn),
    async stop() {
      meetings.off("ended", onEnded);
      await sources.close();
    },
  };
}
