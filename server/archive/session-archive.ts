/**
 * One session's archive folder (docs/architecture.md §Archive):
 *
 *   <data>/archives/<session-id>/manifest.json  events.jsonl  audio.opus
 *
 * The manifest is rewritten atomically (temp file + rename) whenever a summary field
 * changes; the journal is the source of truth and the manifest can be rebuilt from it.
 */
import { mkdir, readdir, readFile, rename, writeFile } from "node:fs/promises";
import path from "node:path";
import type { StampedBundle } from "../../protocol/types.ts";
import { openJournal, type Journal, type JournalLine, type Written } from "./journal.ts";

export interface Manifest {
  format: "deckcast-archive/1";
  session: string;
  /** Meeting code (the MUC room's local part). */
  room: string;
  title: string;
  /** Bare JID of the account that created the meeting. */
  owner: string;
  /** Bare JID of the current presenter. */
  presenter: string;
  createdAt: string;
  endedAt: string | null;
  deck: { id: string; pages: number; title: string } | null;
  /** Session clock of the last event, ms. */
  duration: number;
  counts: { bundles: number; events: number; audioBytes: number };
}

export interface SessionArchive {
  readonly dir: string;
  readonly manifest: Readonly<Manifest>;
  readonly journal: Journal;
  /** Appends to the journal and folds the bundle into the manifest's summary; see Journal.append for `durable`. */
  append(bundle: StampedBundle): Promise<Written>;
  /** Merges fields into the manifest and writes it atomically. */
  update(patch: Partial<Manifest>): Promise<void>;
  close(): Promise<void>;
}

export const MANIFEST_FILE = "manifest.json";

export function archivesDir(dataDir: string): string {
  return path.join(dataDir, "archives");
}

export async function createSessionArchive(dataDir: string, init: Omit<Manifest, "format" | "counts" | "duration" | "endedAt" | "deck">): Promise<SessionArchive> {
  const dir = path.join(archivesDir(dataDir), init.session);
  await mkdir(dir, { recursive: true });
  const manifest: Manifest = { format: "deckcast-archive/1", ...init, endedAt: null, deck: null, duration: 0, counts: { bundles: 0, events: 0, audioBytes: 0 } };
  await writeManifest(dir, manifest);
  return wrap(dir, manifest, await openJournal(dir));
}

/** Opens an existing archive, reconciling the manifest's counts with the journal after a crash. */
export async function openSessionArchive(dir: string): Promise<SessionArchive> {
  const manifest = JSON.parse(await readFile(path.join(dir, MANIFEST_FILE), "utf8")) as Manifest;
  const journal = await openJournal(dir);
  const lines = await journal.readAll();
  manifest.counts = { bundles: lines.length, events: lines.reduce((n, l) => n + l.events.length, 0), audioBytes: journal.audioBytes };
  manifest.duration = lines.reduce((d, l) => Math.max(d, lineClock(l)), 0);
  await writeManifest(dir, manifest);
  return wrap(dir, manifest, journal);
}

/** Folders of sessions that have not ended (to resume after a restart). */
export async function listOpenSessions(dataDir: string): Promise<string[]> {
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
    const dir = path.join(root, name);
    try {
      const m = JSON.parse(await readFile(path.join(dir, MANIFEST_FILE), "utf8")) as Manifest;
      if (m.endedAt === null) open.push(dir);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
    }
  }
  return open;
}

function lineClock(l: Pick<JournalLine, "t" | "events">): number {
  return l.events.reduce((d, e) => Math.max(d, e.t), l.t);
}

async function writeManifest(dir: string, m: Manifest): Promise<void> {
  const tmp = path.join(dir, `.${MANIFEST_FILE}.tmp`);
  await writeFile(tmp, JSON.stringify(m, null, 2) + "\n");
  await rename(tmp, path.join(dir, MANIFEST_FILE));
}

function wrap(dir: string, manifest: Manifest, journal: Journal): SessionArchive {
  return {
    dir,
    journal,
    get manifest() {
      return manifest;
    },
    async append(b) {
      const written = await journal.append(b);
      manifest.counts.bundles += 1;
      manifest.counts.events += b.events.length;
      manifest.counts.audioBytes = journal.audioBytes;
      manifest.duration = Math.max(manifest.duration, lineClock(b));
      const deck = b.events.findLast((e) => e.type === "deck-open");
      if (deck?.type === "deck-open") {
        manifest.deck = deck.deck;
        // The bundle is in the journal now, so this append succeeded. The manifest is
        // a summary of the journal (rebuilt by openSessionArchive): if it cannot be written
        // now (a full disk), it is written again at the next update or close.
        await writeManifest(dir, manifest).catch(() => undefined);
      }
      return written;
    },
    async update(patch) {
      Object.assign(manifest, patch);
      await writeManifest(dir, manifest);
    },
    async close() {
      await writeManifest(dir, manifest);
      await journal.close();
    },
  };
}
