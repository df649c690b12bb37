/**
 * A meeting's life: created on request (new archive, new MUC room, configured), joined again
 * after every reconnect, restored from the archive after a restart, ended on request.
 */
import { randomInt } from "node:crypto";
import { rm } from "node:fs/promises";
import path from "node:path";
import type { Logger } from "pino";
import { initialState } from "../../protocol/reducer.ts";
import type { Result } from "../../protocol/types.ts";
import { AUDIO_FILE } from "../archive/journal.ts";
import { readFileEnds, recoverOpusSessionStream } from "../archive/opus-recover.ts";
import { createOpusSessionStream, type OpusSessionStream } from "../archive/opus-stream.ts";
import { createSessionArchive, listOpenSessions, openSessionArchive, type SessionArchive } from "../archive/session-archive.ts";
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
  create(opts: { title: string; owner: string; nick: string }): Promise<Meeting>;
  end(m: Meeting, reason: string): Promise<void>;
  /** Re-opens every session that has not ended (call once at start). */
  restore(): Promise<number>;
  /** Session clock now, for events the server originates. */
  clock(m: Meeting): number;
  stop(): Promise<void>;
}

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

  function newMeeting(code: string, archive: SessionArchive, audio: Result<OpusSessionStream, string>): Meeting {
    return {
      code,
      room: `${code}@${domains.muc}`,
      jid: `${code}@${domains.component}`,
      // The bare component domain, not code@domain: the MUC service treats only its listed
      // admins (the component's domain) as owners of every room, and only they create rooms.
      occupantJid: `${domains.component}/${code}`,
      nick: OUR_NICK,
      archive,
      audio,
      state: initialState(archive.manifest.title),
      // Who owns and who presents live in the manifest (it survives restarts): read them there.
      get owner() {
        return archive.manifest.owner;
      },
      get presenter() {
        return archive.manifest.presenter;
      },
      occupants: new Map(),
      recent: new Map(),
      tail: Promise.resolve(),
    };
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

  const onOnline = () => {
    for (const m of meetings.all()) {
      join(m).catch((err: Error) => log.error({ room: m.code, err: err.message }, "rejoin failed"));
    }
  };
  const onOffline = () => {
    for (const m of meetings.all()) {
      m.occupants.clear();
    }
  };
  link.on("online", onOnline);
  link.on("offline", onOffline);

  const lifecycle: Lifecycle = {
    clock: (m) => Math.max(m.state.clock, Date.now() - Date.parse(m.archive.manifest.createdAt)),

    async create({ title, owner, nick }) {
      const code = newCode();
      const now = new Date();
      const session = `${now.toISOString().replace(/[-:]/g, "").replace("T", "-").slice(0, 15)}-${code}`;
      const archive = await createSessionArchive(dataDir, { session, room: code, title, owner, presenter: owner, createdAt: now.toISOString() });
      const m = newMeeting(code, archive, { ok: true, value: createOpusSessionStream({ title }) });
      try {
        await join(m);
      } catch (err) {
        await archive.close();
        await rm(archive.dir, { recursive: true, force: true });
        throw err;
      }
      meetings.add(m);
      await meetings.commit(m, { id: `srv-start`, t: 0, events: [{ type: "session-start", t: 0, title, presenter: nick }] }, nick);
      log.info({ room: code, session, owner }, "meeting created");
      return m;
    },

    async end(m, reason) {
      const t = lifecycle.clock(m);
      await meetings.commit(m, { id: `srv-stop`, t, events: [{ type: "session-stop", t }] }, meetings.nickOf(m, m.presenter) ?? OUR_NICK);
      await m.archive.update({ endedAt: new Date().toISOString() });
      meetings.remove(m.code);
      await destroyRoom(link, { room: m.room, from: m.occupantJid, reason }).catch((err: Error) => log.warn({ room: m.code, err: err.message }, "destroy room failed"));
      await m.archive.close();
      meetings.emit("ended", m);
      log.info({ room: m.code }, "meeting ended");
    },

    async restore() {
      const dirs = await listOpenSessions(dataDir);
      for (const dir of dirs) {
        const archive = await openSessionArchive(dir);
        // The audio stream goes on from audio.opus itself (its header and last pages).
        const audio = recoverOpusSessionStream(await readFileEnds(path.join(dir, AUDIO_FILE)), { title: archive.manifest.title });
        if (!audio.ok) log.error({ room: archive.manifest.room, err: audio.error }, "audio.opus cannot be continued: the session goes on without recording or relaying audio");
        const m = newMeeting(archive.manifest.room, archive, audio);
        const { state, recent } = await replayJournal(archive);
        m.state = state;
        m.recent = recent;
        meetings.add(m);
        log.info({ room: m.code, seq: archive.journal.lastSeq }, "meeting restored from archive");
      }
      if (link.online) onOnline();
      return dirs.length;
    },

    async stop() {
      link.off("online", onOnline);
      link.off("offline", onOffline);
      for (const m of meetings.all()) {
        await m.tail;
        await m.archive.close();
      }
    },
  };
  return lifecycle;
}
