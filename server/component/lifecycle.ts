/**
 * A meeting's life: created on request (new archive, new MUC room, configured), joined again
 * after every reconnect, restored from the archive after a restart, ended on request.
 */
import { randomInt } from "node:crypto";
import { readdir, rm } from "node:fs/promises";
import path from "node:path";
import type { Logger } from "pino";
import { initialState } from "../../protocol/reducer.ts";
import type { Result } from "../../protocol/types.ts";
import { AUDIO_FILE } from "../archive/journal.ts";
import { readFileEnds, recoverOpusSessionStream } from "../archive/opus-recover.ts";
import { createOpusSessionStream, type OpusSessionStream } from "../archive/opus-stream.ts";
import { readManifest } from "../archive/manifest.ts";
import { archivesDir, createSessionArchive, listOpenSessions, openSessionArchive, type SessionArchive } from "../archive/session-archive.ts";
import type { ComponentLink } from "./link.ts";
import { replayJournal, type Meeting, type Meetings } from "./meetings.ts";
import { configureRoom, destroyRoom, joinRoom } from "./muc.ts";

export interface Domains {
  accounts: string;
  guests: string;
  muc: string;
  component: string;
}

/** Unambiguous lowercase letters and digits (no 0/o, 1/l/i): easy to read out and type. */
const CODE_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789";
const CODE_LENGTH = 6;
const OUR_NICK = "deckcast";

export interface Lifecycle {
  /** `record: false` makes a live-only meeting: its archive folder is removed when it ends. */
  /** `onAdded` runs once the meeting is among the live ones (meetings.all()), before its session-start is committed. */
  create(opts: { title: string; owner: string; nick: string; record?: boolean; onAdded?: () => void }): Promise<Meeting>;
  end(m: Meeting, reason: string): Promise<void>;
  /** Re-opens every session that has not ended (call once at start). */
  restore(): Promise<number>;
  /** Session clock now, for events the server originates. */
  clock(m: Meeting): number;
  stop(): Promise<void>;
}

/** Why the room of a live-only meeting whose server died is destroyed (docs/protocol.md §Create a meeting). */
export const ORPHAN_ROOM_REASON = "The server stopped unexpectedly; this live-only meeting could not go on and kept nothing.";

export function setupLifecycle({ link, meetings, domains, dataDir, log }: { link: ComponentLink; meetings: Meetings; domains: Domains; dataDir: string; log: Logger }): Lifecycle {
  const roomSettings = (title: string) => ({
    "muc#roomconfig_roomname": title,
    "muc#roomconfig_roomdesc": "deckcast meeting",
    "muc#roomconfig_persistentroom": "1", // survives our own restarts
    "muc#roomconfig_publicroom": "0", // the code is the invitation
    "muc#roomconfig_membersonly": "0",
    "muc#roomconfig_moderatedroom": "0",
    "muc#roomconfig_whois": "moderators", // we need real JIDs to check presenter rights
    "muc#roomconfig_changesubject": "0",
    "muc#roomconfig_allowinvites": "0",
    "muc#roomconfig_historylength": "20",
  });

  /** A meeting's room, and our occupant in it (the bare component domain, see newMeeting). */
  const roomJid = (code: string) => `${code}@${domains.muc}`;
  const ourOccupantJid = (code: string) => `${domains.component}/${code}`;

  function newMeeting(code: string, archive: SessionArchive, audio: Result<OpusSessionStream, string>): Meeting {
    const m: Meeting = {
      code,
      room: roomJid(code),
      jid: `${code}@${domains.component}`,
      // The bare component domain, not code@domain: the MUC service treats only its listed
      // admins (the component's domain) as owners of every room, and only they create rooms.
      occupantJid: ourOccupantJid(code),
      nick: OUR_NICK,
      archive,
      audio,
      state: initialState(archive.manifest.title),
      // Who owns lives in the manifest (from session-start's rights). Who presents is the
      // room state's: the last committed `presenter` event, which the manifest follows; until
      // the first hand-over the owner presents.
      get owner() {
        return archive.manifest.owner;
      },
      get presenter() {
        return m.state.presenterJid ?? archive.manifest.owner;
      },
      occupants: new Map(),
      recent: new Map(),
      tail: Promise.resolve(),
    };
    return m;
  }

  async function join(m: Meeting): Promise<void> {
    const res = await joinRoom(link, { room: m.room, from: m.occupantJid, nick: OUR_NICK });
    m.nick = res.nick;
    if (res.created) await configureRoom(link, { room: m.room, from: m.occupantJid, settings: roomSettings(m.archive.manifest.title) });
  }

  function newCode(): string {
    for (;;) {
      let code = "";
      for (let i = 0; i < CODE_LENGTH; i++) code += CODE_ALPHABET[randomInt(CODE_ALPHABET.length)];
      if (!meetings.get(code)) return code;
    }
  }

  /**
   * Rooms of live-only meetings whose server died (restore removed their folders): their
   * followers and presenter are still in the room, waiting on a meeting that cannot go on.
   * Each is destroyed once online, which every client reads as the meeting's end.
   */
  const orphanRooms = new Set<string>();

  const onOnline = () => {
    for (const m of meetings.all()) {
      join(m).catch((err: Error) => log.error({ room: m.code, err: err.message }, "rejoin failed"));
    }
    for (const code of orphanRooms) {
      orphanRooms.delete(code);
      destroyRoom(link, { room: roomJid(code), from: ourOccupantJid(code), reason: ORPHAN_ROOM_REASON }).then(
        () => log.info({ room: code }, "live-only meeting's room closed: its server had stopped unexpectedly"),
        // Gone already (Prosody restarted too, or nobody was left): nothing to close.
        (err: Error) => log.debug({ room: code, err: err.message }, "live-only meeting's room was not there to close"),
      );
    }
  };
  const onOffline = () => {
    for (const m of meetings.all()) {
      m.occupants.clear();
    }
  };
  link.on("online", onOnline);
  link.on("offline", onOffline);

  async function endNow(m: Meeting, reason: string): Promise<void> {
    if (!m.state.ended) {
      const t = lifecycle.clock(m);
      await meetings.commit(m, { id: `srv-stop`, t, events: [{ type: "session-stop", t }] }, meetings.nickOf(m, m.presenter) ?? OUR_NICK);
    }
    await m.tail; // anything queued behind session-stop has been refused by now
    await m.archive.update({ endedAt: new Date().toISOString() }).catch((err: Error) => log.error({ room: m.code, err: err.message }, "could not mark the manifest ended; the journal's session-stop says so"));
    meetings.remove(m.code);
    await destroyRoom(link, { room: m.room, from: m.occupantJid, reason }).catch((err: Error) => log.warn({ room: m.code, err: err.message }, "destroy room failed"));
    await m.archive.close().catch((err: Error) => log.error({ room: m.code, err: err.message }, "closing the archive failed"));
    if (m.archive.manifest.record === false) await removeLiveOnly(m.archive.dir, m.code);
    meetings.emit("ended", m);
    log.info({ room: m.code }, "meeting ended");
  }

  /** A live-only meeting keeps nothing once it ends: its whole folder goes (a failure is retried at the next start). */
  async function removeLiveOnly(dir: string, room: string): Promise<void> {
    await rm(dir, { recursive: true, force: true }).then(
      () => log.info({ room, folder: dir }, "live-only meeting: its archive folder was removed"),
      (err: Error) => log.error({ room, folder: dir, err: err.message }, "live-only meeting's folder could not be removed; it will be at the next start"),
    );
  }

  /** Folders of live-only meetings that ended but were not removed (the server stopped first). */
  async function sweepEndedLiveOnly(): Promise<void> {
    const root = archivesDir(dataDir);
    const names = await readdir(root).catch(() => [] as string[]);
    for (const name of names) {
      if (name.startsWith(".")) continue;
      const dir = path.join(root, name);
      const read = await readManifest(dir);
      if (read.ok && read.value.record === false && read.value.endedAt !== null) await removeLiveOnly(dir, read.value.room);
    }
  }

  let stopped = false;
  const lifecycle: Lifecycle = {
    clock: (m) => Math.max(m.state.clock, Date.now() - Date.parse(m.archive.manifest.createdAt)),

    async create({ title, owner, nick, record = true, onAdded }) {
      const code = newCode();
      const now = new Date();
      const session = `${now.toISOString().replace(/[-:]/g, "").replace("T", "-").slice(0, 15)}-${code}`;
      const archive = await createSessionArchive(dataDir, { session, room: code, title, owner, presenter: owner, createdAt: now.toISOString(), ...(record ? {} : { record: false }) }, { log });
      const m = newMeeting(code, archive, { ok: true, value: createOpusSessionStream({ title }) });
      try {
        await join(m);
      } catch (err) {
        await archive.close();
        await rm(archive.dir, { recursive: true, force: true });
        throw err;
      }
      meetings.add(m);
      onAdded?.();
      await meetings.commit(m, { id: `srv-start`, t: 0, events: [{ type: "session-start", t: 0, title, presenter: nick }] }, nick, { rights: { owner } });
      log.info({ room: code, session, owner, record }, "meeting created");
      return m;
    },

    end(m, reason) {
      // Idempotent: every <end/> while one is under way waits for that one. If it fails (the
      // archive could not take session-stop) the meeting stays live and can be ended again.
      m.ending ??= endNow(m, reason).catch((err: Error) => {
        m.ending = undefined;
        throw err;
      });
      return m.ending;
    },

    async restore() {
      // Meeting by meeting: one archive that cannot be opened is set aside (logged), never
      // the end of the others. Restored archives leave their files closed until used.
      await sweepEndedLiveOnly();
      const dirs = await listOpenSessions(dataDir, log);
      let restored = 0;
      for (const dir of dirs) {
        let archive: SessionArchive | null = null;
        try {
          archive = await openSessionArchive(dir, { log });
          const code = archive.manifest.room;
          // A live-only meeting goes on only after a clean shutdown (an open interruption);
          // one whose server died is removed, like one that ended.
          if (archive.manifest.record === false && (archive.manifest.endedAt !== null || archive.manifest.interruptions?.at(-1)?.to !== null)) {
            await archive.close();
            await removeLiveOnly(dir, code);
            if (archive.manifest.endedAt === null) orphanRooms.add(code);
            continue;
          }
          if (archive.manifest.endedAt !== null) {
            log.info({ folder: dir, room: code }, "archive's rebuilt manifest says the session ended: kept for replay, not resumed");
            await archive.close();
            continue;
          }
          if (meetings.get(code)) throw new Error(`room ${code} is already live from another folder`);
          // The audio stream goes on from audio.opus itself (its header and last pages).
          const audio = recoverOpusSessionStream(await readFileEnds(path.join(dir, AUDIO_FILE)), { title: archive.manifest.title });
          if (!audio.ok) log.error({ room: code, err: audio.error }, "audio.opus cannot be continued: the session goes on without recording or relaying audio");
          const m = newMeeting(code, archive, audio);
          const { state, recent } = await replayJournal(archive);
          m.state = state;
          m.recent = recent;
          if (state.ended && archive.manifest.record === false) {
            await archive.close();
            await removeLiveOnly(dir, code);
            continue;
          }
          if (state.ended) {
            // session-stop is in the journal but the manifest never heard (a crash, a full disk): finish the end.
            await archive.update({ endedAt: new Date().toISOString() });
            await archive.close();
            log.info({ folder: dir, room: code }, "the journal says the session ended: kept for replay, not resumed");
            continue;
          }
          const open = archive.manifest.interruptions?.at(-1);
          if (open && open.to === null) {
            await archive.update({ interruptions: [...archive.manifest.interruptions!.slice(0, -1), { from: open.from, to: new Date().toISOString() }] });
            log.info({ room: code, since: open.from }, "meeting resumed after a shutdown");
          }
          await archive.journal.release();
          meetings.add(m);
          restored++;
          log.info({ room: m.code, seq: archive.journal.lastSeq }, "meeting restored from archive");
        } catch (err) {
          log.error({ folder: dir, err: (err as Error).message }, "archive set aside: the meeting cannot be restored");
          await archive?.journal.close().catch(() => undefined);
        }
      }
      if (link.online) onOnline();
      return restored;
    },

    async stop() {
      if (stopped) return; // stop() twice (a restart after a stop) must not record a second interruption
      stopped = true;
      link.off("online", onOnline);
      link.off("offline", onOffline);
      // A clean shutdown with meetings live: every commit under way finishes, the manifest
      // says the meeting was interrupted (not ended: it resumes at the next start), and the
      // files are flushed and closed.
      for (const m of meetings.all()) {
        await m.tail;
        const interruptions = [...(m.archive.manifest.interruptions ?? []), { from: new Date().toISOString(), to: null }];
        await m.archive.update({ interruptions }).catch((err: Error) => log.error({ room: m.code, err: err.message }, "could not mark the meeting interrupted"));
        await m.archive.close().catch((err: Error) => log.error({ room: m.code, err: err.message }, "closing the archive failed"));
        log.info({ room: m.code, seq: m.archive.journal.lastSeq }, "meeting interrupted by shutdown: archived and flushed; it resumes at the next start");
      }
    },
  };
  return lifecycle;
}
