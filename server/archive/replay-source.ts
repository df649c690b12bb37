/**
 * Archives opened for reading (replay, seek, download): a live meeting's own archive (its
 * journal and its seek index, which grow as it runs), or an ended session's folder opened
 * on first use — the journal (recovered as at any open) and the seek index (index.jsonl,
 * rebuilt when missing or torn). Ended sessions stay open in a small cache (at most
 * `maxOpen`, least recently used closed first; their journals close their files when idle).
 *
 * Also the catalogue: every session folder with a readable manifest, and one session's
 * summary (title, times, duration, pages, bytes on disk) for `<archives/>`.
 */
import { readdir, rm, stat } from "node:fs/promises";
import path from "node:path";
import type { Logger } from "pino";
import { isSessionId, type ArchiveItem } from "../../protocol/archive.ts";
import type { StampedBundle } from "../../protocol/types.ts";
import { openJournal, type Journal } from "./journal.ts";
import { readManifest, type Manifest } from "./manifest.ts";
import { wholeOggPages } from "./opus-recover.ts";
import { openSeekIndex, type SeekIndex } from "./seek-index.ts";
import { indexedLine, type SessionArchive } from "./session-archive.ts";

export interface ReplaySource {
  session: string;
  dir: string;
  readonly manifest: Readonly<Manifest>;
  readonly live: boolean;
  journal: Pick<Journal, "lastSeq" | "read" | "readAll">;
  index: SeekIndex;
  read(from: number, to: number): Promise<StampedBundle[]>;
}

export interface ReplaySources {
  /** The session's folder, if the id is well formed and the folder has a manifest. */
  manifest(session: string): Promise<Manifest | null>;
  /** Opens the session for reading (null when it does not exist or cannot be read). */
  open(session: string): Promise<ReplaySource | null>;
  /** Every session with a readable manifest (live ones with their live manifest). */
  list(): Promise<{ manifest: Manifest; live: boolean; dir: string }[]>;
  summary(m: Manifest, live: boolean): Promise<ArchiveItem>;
  /**
   * A live session just ended: opens it for replay now, keeping the seek index it was built
   * with (no need to read index.jsonl again), so the first replay request finds it ready.
   */
  ended(session: string, index: SeekIndex): void;
  /** Closes the session if open and removes its folder. */
  remove(session: string): Promise<void>;
  close(): Promise<void>;
}

export function createReplaySources({ archivesDir, liveArchive, log, maxOpen = 8 }: { archivesDir: string; liveArchive: (session: string) => SessionArchive | undefined; log: Logger; maxOpen?: number }): ReplaySources {
  const opened = new Map<string, Promise<{ journal: Journal; index: SeekIndex; manifest: Manifest } | null>>();

  const dirOf = (session: string) => path.join(archivesDir, session);

  async function manifest(session: string): Promise<Manifest | null> {
    if (!isSessionId(session)) return null;
    const live = liveArchive(session);
    if (live) return live.manifest;
    const m = await readManifest(dirOf(session)).catch(() => null);
    return m?.ok && m.value.session === session ? m.value : null;
  }

  async function openEnded(session: string, m: Manifest, built?: SeekIndex): Promise<{ journal: Journal; index: SeekIndex; manifest: Manifest } | null> {
    const dir = dirOf(session);
    try {
      const journal = await openJournal(dir, { log, wholeAudio: wholeOggPages });
      try {
        const index =
          built && built.last === journal.lastSeq
            ? built
            : await openSeekIndex(dir, { log, title: m.title, lastSeq: journal.lastSeq, linesAfter: async (seq) => (await journal.readAll()).filter((l) => l.seq > seq).map(indexedLine) });
        await journal.release();
        return { journal, index, manifest: m };
      } catch (err) {
        await journal.close();
        throw err;
      }
    } catch (err) {
      log.error({ session, err: (err as Error).message }, "archive cannot be opened for replay");
      return null;
    }
  }

  async function closeOne(session: string): Promise<void> {
    const p = opened.get(session);
    opened.delete(session);
    const o = await p;
    await o?.journal.close().catch(() => undefined);
    await o?.index.flushed();
  }

  function cache(session: string, p: Promise<{ journal: Journal; index: SeekIndex; manifest: Manifest } | null>): void {
    opened.set(session, p);
    p.then((o) => o ?? opened.delete(session)).catch(() => opened.delete(session));
    while (opened.size > maxOpen) void closeOne(opened.keys().next().value!);
  }

  return {
    manifest,
    ended(session, index) {
      if (opened.has(session)) return;
      const p = manifest(session).then((m) => (m && !liveArchive(session) ? openEnded(session, m, index) : null));
      cache(session, p);
    },
    async open(session) {
      const m = await manifest(session);
      if (!m) return null;
      const live = liveArchive(session);
      if (live) {
        return {
          session,
          dir: live.dir,
          get manifest() {
            return live.manifest;
          },
          get live() {
            return liveArchive(session) === live;
          },
          journal: live.journal,
          index: live.index,
          read: (from, to) => live.journal.read(from, to),
        };
      }
      let p = opened.get(session);
      if (!p) {
        p = openEnded(session, m);
        cache(session, p);
      } else {
        opened.delete(session); // most recently used last
        opened.set(session, p);
      }
      const o = await p;
      if (!o) return null;
      return { session, dir: dirOf(session), manifest: o.manifest, live: false, journal: o.journal, index: o.index, read: (from, to) => o.journal.read(from, to) };
    },
    async list() {
      let names: string[];
      try {
        names = await readdir(archivesDir);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === "ENOENT") return [];
        throw err;
      }
      const out: { manifest: Manifest; live: boolean; dir: string }[] = [];
      for (const session of names) {
        const m = await manifest(session);
        if (m) out.push({ manifest: m, live: liveArchive(session) !== undefined, dir: dirOf(session) });
      }
      return out;
    },
    async summary(m, live) {
      let bytes = 0;
      const dir = dirOf(m.session);
      for (const name of await readdir(dir).catch(() => [] as string[])) {
        bytes += await stat(path.join(dir, name)).then((s) => (s.isFile() ? s.size : 0), () => 0);
      }
      const seen = new Set<string>();
      let pages = 0;
      for (const d of m.decks) {
        if (seen.has(d.id)) continue;
        seen.add(d.id);
        pages += d.pages;
      }
      return { session: m.session, title: m.title, createdAt: m.createdAt, endedAt: m.endedAt, duration: m.duration, pages, bytes, live };
    },
    async remove(session) {
      if (!isSessionId(session)) return;
      await closeOne(session);
      await rm(dirOf(session), { recursive: true, force: true });
    },
    async close() {
      for (const session of [...opened.keys()]) await closeOne(session);
    },
  };
}
