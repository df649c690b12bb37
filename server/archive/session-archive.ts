/**
 * One session's archive folder (docs/archive.md):
 *
 *   <data>/archives/<session-id>/manifest.json  events.jsonl  audio.opus  chat.jsonl  index.jsonl  [events.rejected.jsonl]  [shares.json]
 *
 * The journal (journal.ts) is the source of truth; the manifest is its summary, written
 * whenever a summary field changes (manifest.ts: one write at a time per archive, the latest
 * state wins, temp file + fsync + rename + fsync of the folder, so a full disk leaves the
 * old manifest whole). An append never fails because of the manifest: a manifest that
 * cannot be written now is written again at the next change or at close.
 *
 * Recovery rules on open: the journal repairs itself (journal-recover.ts: torn last line,
 * bad lines set aside, unflushed or torn audio dropped); the manifest's counts and duration
 * are reconciled with it; a manifest that does not parse is rebuilt from the journal —
 * the owner comes from the lines' `rights`, the presenter from the last `presenter` event's
 * JID (or, in older lines, `rights`), and an archive whose lines name no
 * owner (older than `rights`) is rebuilt as ended, kept for replay. Listing open sessions
 * never fails for one folder. The room's chat is a log of its own beside the journal
 * (chat-log.ts), opened and closed with it; so is the seek index (seek-index.ts), fed by
 * every append and repaired or rebuilt from the journal on open.
 */
import { mkdir, readdir, stat } from "node:fs/promises";
import path from "node:path";
import type { Logger } from "pino";
import type { StampedBundle } from "../../protocol/types.ts";
import { openChatLog, type ChatLog } from "./chat-log.ts";
import { EVENTS_FILE, openJournal, type AppendOptions, type Journal, type JournalOptions, type Written } from "./journal.ts";
import { wholeOggPages } from "./opus-recover.ts";
import { createSeekIndex, openSeekIndex, type IndexedLine, type SeekIndex } from "./seek-index.ts";
import { currentDeck, decksOpened, lastPresenter, lineClock, manifestWriter, MANIFEST_FILE, noteDecks, presenterNamed, readManifest, rebuildManifest, type Manifest } from "./manifest.ts";

export { MANIFEST_FILE, type Manifest } from "./manifest.ts";

export interface SessionArchive {
  readonly dir: string;
  readonly manifest: Readonly<Manifest>;
  readonly journal: Journal;
  /** The room's chat (chat.jsonl). */
  readonly chat: ChatLog;
  /** The seek index (index.jsonl, seek-index.ts): fed by every append, after the journal has the line. */
  readonly index: SeekIndex;
  /**
   * Appends to the journal and folds the bundle into the manifest's summary; see
   * Journal.append for `durable`. The manifest's presenter is the bare JID of the bundle's
   * `presenter` event (the only record of a hand-over). `rights` (bare JIDs) is stored in the
   * line and folded into the manifest's owner (and, in lines older than the event's JID, its
   * presenter); it never reaches a bundle read back.
   */
  append(bundle: StampedBundle, opts?: AppendOptions): Promise<Written>;
  /** Merges fields into the manifest and writes it atomically. */
  update(patch: Partial<Manifest>): Promise<void>;
  close(): Promise<void>;
}

export interface ArchiveOptions {
  log?: Logger | undefined;
  /** The journal closes its files after this long without use (default 60 s). */
  idleCloseMs?: number | undefined;
}

export function archivesDir(dataDir: string): string {
  return path.join(dataDir, "archives");
}

/** audio.opus holds whole Ogg pages: a line whose audio does not parse as such ends in a torn page. */
function journalOptions(o: ArchiveOptions): JournalOptions {
  return { log: o.log, idleCloseMs: o.idleCloseMs, wholeAudio: wholeOggPages };
}

export async function createSessionArchive(dataDir: string, init: Omit<Manifest, "format" | "counts" | "duration" | "endedAt" | "deck" | "decks">, opts: ArchiveOptions = {}): Promise<SessionArchive> {
  const dir = path.join(archivesDir(dataDir), init.session);
  await mkdir(dir, { recursive: true });
  const manifest: Manifest = { format: "deckcast-archive/1", ...init, endedAt: null, deck: null, decks: [], duration: 0, counts: { bundles: 0, events: 0, audioBytes: 0 } };
  const journal = await openJournal(dir, journalOptions(opts));
  let chat: ChatLog;
  try {
    chat = await openChatLog(dir, { log: opts.log, idleCloseMs: opts.idleCloseMs });
  } catch (err) {
    await journal.close();
    throw err;
  }
  let archive: SessionArchive;
  try {
    archive = wrap(dir, manifest, journal, chat, await createSeekIndex(dir, { log: opts.log, title: manifest.title }), opts.log);
    await archive.update({});
  } catch (err) {
    await journal.close();
    await chat.close();
    throw err;
  }
  return archive;
}

/**
 * Opens an existing archive: repairs the journal, reconciles the manifest's counts with it
 * (or rebuilds a manifest that does not parse) and leaves the journal's files closed until used.
 */
export async function openSessionArchive(dir: string, opts: ArchiveOptions = {}): Promise<SessionArchive> {
  const { log } = opts;
  const journal = await openJournal(dir, journalOptions(opts));
  try {
    const lines = await journal.readAll();
    const read = await readManifest(dir);
    let manifest: Manifest;
    if (read.ok) {
      manifest = read.value;
      manifest.counts = { bundles: lines.length, events: lines.reduce((n, l) => n + l.events.length, 0), audioBytes: journal.audioBytes };
      manifest.duration = lines.reduce((d, l) => Math.max(d, lineClock(l)), 0);
      // Who owns and who presents: the journal's last word, when it has one.
      const owner = lines.findLast((l) => l.rights?.owner !== undefined)?.rights?.owner;
      const presenter = lastPresenter(lines);
      if (owner !== undefined) manifest.owner = owner;
      if (presenter !== undefined) manifest.presenter = presenter;
      // Every deck opened, from the journal (a manifest older than `decks` gets it here).
      manifest.decks = decksOpened(lines);
      manifest.deck = currentDeck(lines) ?? manifest.deck;
    } else {
      const rebuilt = rebuildManifest(dir, lines, journal.audioBytes);
      manifest = rebuilt.manifest;
      log?.error({ dir, reason: read.error, room: manifest.room, lines: lines.length, endedAt: manifest.endedAt }, `${MANIFEST_FILE} rebuilt from the journal`);
      if (rebuilt.closed) log?.error({ dir, room: manifest.room }, "no journal line names the meeting's owner (an archive from before rights were journaled): the session is closed, kept for replay");
    }
    const chat = await openChatLog(dir, { log, idleCloseMs: opts.idleCloseMs });
    const index = await openSeekIndex(dir, { log, title: manifest.title, lastSeq: journal.lastSeq, linesAfter: async (seq) => lines.filter((l) => l.seq > seq).map(indexedLine) });
    const archive = wrap(dir, manifest, journal, chat, index, log, read.ok ? read.text : null);
    // A summary: if it cannot be written now (a full disk), it is at the next change or close.
    await archive.update({}).catch((err: Error) => log?.warn({ dir, err: err.message }, `${MANIFEST_FILE} could not be written; it will be at the next change`));
    await journal.release();
    return archive;
  } catch (err) {
    await journal.close();
    throw err;
  }
}

/**
 * Folders of sessions that have not ended (to resume after a restart), and of sessions
 * whose manifest cannot be read or does not parse while a journal is there (openSessionArchive
 * rebuilds it, or says why it cannot). Never fails for one folder.
 */
export async function listOpenSessions(dataDir: string, log?: Logger): Promise<string[]> {
  const root = archivesDir(dataDir);
  let names: string[];
  try {
    names = await readdir(root);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return [];
    throw err;
  }
  const open: string[] = [];
  for (const name of names.sort()) {
    if (name.startsWith(".")) continue;
    const dir = path.join(root, name);
    try {
      if (!(await stat(dir)).isDirectory()) continue;
      const m = await readManifest(dir);
      if (m.ok) {
        if (m.value.endedAt === null) open.push(dir);
        continue;
      }
      if (m.missing && !(await exists(path.join(dir, EVENTS_FILE)))) continue; // not an archive
      log?.warn({ dir, reason: m.error }, "archive with a damaged manifest: it will be rebuilt from the journal");
      open.push(dir);
    } catch (err) {
      log?.error({ dir, err: (err as Error).message }, "archive folder cannot be read: skipped");
    }
  }
  return open;
}

async function exists(file: string): Promise<boolean> {
  try {
    await stat(file);
    return true;
  } catch {
    return false;
  }
}

/** A journal line as the seek index reads it. */
export function indexedLine(l: { seq: number; t: number; events: IndexedLine["events"]; audio?: { t: number; offset: number } | undefined }): IndexedLine {
  return { seq: l.seq, t: l.t, events: l.events, ...(l.audio ? { audio: { t: l.audio.t, offset: l.audio.offset } } : {}) };
}

function wrap(dir: string, manifest: Manifest, journal: Journal, chat: ChatLog, index: SeekIndex, log: Logger | undefined, onDisk: string | null = null): SessionArchive {
  const writer = manifestWriter(dir, () => manifest, onDisk);
  /** The journal has the change: if the manifest cannot follow now, it will at the next write. */
  const summarise = () => writer.write().catch((err: Error) => log?.warn({ dir, err: err.message }, `${MANIFEST_FILE} could not be written; it will be at the next change`));
  return {
    dir,
    journal,
    chat,
    index,
    get manifest() {
      return manifest;
    },
    async append(b, opts) {
      const written = await journal.append(b, opts);
      // Appends are serialised (one commit at a time per meeting): this line's audio ends the
      // file. The index is a cache: nothing in it may fail an append the journal has taken.
      try {
        index.note({ seq: b.seq, t: b.t, events: b.events, ...(b.audio ? { audio: { t: b.audio.t, offset: journal.audioBytes - b.audio.data.length } } : {}) });
      } catch (err) {
        log?.error({ dir, seq: b.seq, err: (err as Error).message }, "seek index: a line could not be indexed; the index is rebuilt when the archive is next opened");
      }
      manifest.counts.bundles += 1;
      manifest.counts.events += b.events.length;
      manifest.counts.audioBytes = journal.audioBytes;
      manifest.duration = Math.max(manifest.duration, lineClock(b));
      let changed = false;
      if (noteDecks(manifest, b)) changed = true;
      const rights = opts?.rights;
      if (rights?.owner !== undefined && rights.owner !== manifest.owner) {
        manifest.owner = rights.owner;
        changed = true;
      }
      // Who presents is the bundle's own `presenter` event (its bare JID): the manifest follows
      // the journal, inside the serialised commit, and is never written apart from it.
      const presenter = presenterNamed({ events: b.events, rights });
      if (presenter !== undefined && presenter !== manifest.presenter) {
        manifest.presenter = presenter;
        changed = true;
      }
      if (changed) await summarise();
      return written;
    },
    async update(patch) {
      Object.assign(manifest, patch);
      await writer.write();
    },
    async close() {
      await summarise();
      await journal.close();
      await chat.close();
      await index.flushed();
    },
  };
}
