/**
 * A session's manifest.json: its shape, reading it back strictly, rebuilding it from the
 * journal (the source of truth) when it does not parse, and writing it safely — one write
 * at a time per archive (the latest state wins), each to a temp file of its own that is
 * fsynced before the rename, with the folder fsynced after it. A failed write (a full disk)
 * leaves the previous manifest whole.
 */
import { readFile } from "node:fs/promises";
import path from "node:path";
import { isRecord } from "../../protocol/check.ts";
import type { DeckRef, StampedBundle } from "../../protocol/types.ts";
import type { JournalLine } from "./journal.ts";
import { replaceFile } from "./atomic-file.ts";

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
  /** The deck open now (the last `deck-open`), or null. */
  deck: { id: string; pages: number; title: string } | null;
  /** Every deck opened, in order (at most MAX_MANIFEST_DECKS; the journal has them all). */
  decks: DeckOpened[];
  /** Session clock of the last event, ms. */
  duration: number;
  counts: { bundles: number; events: number; audioBytes: number };
  /**
   * Times the server was shut down cleanly while the meeting was live (`to` is null until it
   * was resumed at the next start). A crash leaves no entry: the journal's gap is the record.
   */
  interruptions?: { from: string; to: string | null }[];
  /**
   * false for a live-only meeting (`<create record="false">`): the folder is removed when the
   * meeting ends (or at the next start, if the server died first). Absent = recorded.
   */
  record?: boolean;
}

/** One `deck-open`: the deck, its session time `at` and the seq of the bundle that opened it. */
export interface DeckOpened {
  id: string;
  pages: number;
  title: string;
  at: number;
  seq: number;
}

/** Entries `decks` keeps: a presenter reopening decks in a loop must not grow every manifest write without bound. */
export const MAX_MANIFEST_DECKS = 1000;

export const MANIFEST_FILE = "manifest.json";
export const FORMAT = "deckcast-archive/1";

/** The manifest in `dir`, or why it cannot be used (a missing file is "missing"). */
export async function readManifest(dir: string): Promise<{ ok: true; value: Manifest; text: string } | { ok: false; error: string; missing: boolean }> {
  let text: string;
  try {
    text = await readFile(path.join(dir, MANIFEST_FILE), "utf8");
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    return { ok: false, error: `${MANIFEST_FILE} cannot be read (${e.code ?? e.message})`, missing: e.code === "ENOENT" };
  }
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    return { ok: false, error: `${MANIFEST_FILE} does not parse as JSON`, missing: false };
  }
  const problem = manifestProblem(v);
  return problem ? { ok: false, error: `${MANIFEST_FILE}: ${problem}`, missing: false } : { ok: true, value: v as Manifest, text };
}

function manifestProblem(v: unknown): string | null {
  if (!isRecord(v)) return "not an object";
  if (v.format !== FORMAT) return `format is not ${FORMAT}`;
  for (const k of ["session", "room", "title", "owner", "presenter", "createdAt"] as const) if (typeof v[k] !== "string") return `${k} is not a string`;
  if (v.endedAt !== null && typeof v.endedAt !== "string") return "endedAt is neither null nor a string";
  if (v.deck !== null && !isDeck(v.deck)) return "deck is not a deck";
  // Missing in manifests written before it: openSessionArchive fills it from the journal.
  if (v.decks !== undefined && !(Array.isArray(v.decks) && v.decks.every((d: unknown) => isDeck(d) && typeof (d as DeckOpened).at === "number" && typeof (d as DeckOpened).seq === "number"))) return "decks is not a list of decks";
  if (typeof v.duration !== "number") return "duration is not a number";
  const c = v.counts;
  if (!isRecord(c) || typeof c.bundles !== "number" || typeof c.events !== "number" || typeof c.audioBytes !== "number") return "counts is not {bundles, events, audioBytes}";
  if (v.interruptions !== undefined && !(Array.isArray(v.interruptions) && v.interruptions.every((i) => isRecord(i) && typeof i.from === "string" && (i.to === null || typeof i.to === "string")))) return "interruptions is not a list of {from, to}";
  if (v.record !== undefined && typeof v.record !== "boolean") return "record is not a boolean";
  return null;
}

function isDeck(d: unknown): d is DeckRef {
  return isRecord(d) && typeof d.id === "string" && typeof d.pages === "number" && typeof d.title === "string";
}

/** The `deck-open`s of one bundle or line, as `decks` entries. */
function opened(l: Pick<JournalLine, "seq" | "events">): DeckOpened[] {
  return l.events.flatMap((e) => (e.type === "deck-open" ? [{ id: e.deck.id, pages: e.deck.pages, title: e.deck.title, at: e.t, seq: l.seq }] : []));
}

/** Every deck the journal's lines opened, in order (the first MAX_MANIFEST_DECKS). */
export function decksOpened(lines: readonly Pick<JournalLine, "seq" | "events">[]): DeckOpened[] {
  const out: DeckOpened[] = [];
  for (const l of lines) {
    for (const d of opened(l)) if (out.length < MAX_MANIFEST_DECKS) out.push(d);
  }
  return out;
}

/** The deck the last `deck-open` of the lines opened, or null. */
export function currentDeck(lines: readonly Pick<JournalLine, "events">[]): DeckRef | null {
  for (let i = lines.length - 1; i >= 0; i--) {
    const e = lines[i]!.events.findLast((x) => x.type === "deck-open");
    if (e?.type === "deck-open") return e.deck;
  }
  return null;
}

/** Folds a bundle's `deck-open`s into `deck` and `decks`; true when the manifest changed. */
export function noteDecks(m: Manifest, b: Pick<StampedBundle, "seq" | "events">): boolean {
  const ds = opened(b);
  if (ds.length === 0) return false;
  m.decks ??= [];
  for (const d of ds) if (m.decks.length < MAX_MANIFEST_DECKS) m.decks.push(d);
  const { id, pages, title } = ds.at(-1)!;
  m.deck = { id, pages, title };
  return true;
}

/**
 * Who presents after a bundle or line, by its own word: the bare JID of its last `presenter`
 * event that carries one, else its `rights.presenter` (lines written before the event had a
 * JID), else undefined (it changes nothing).
 */
export function presenterNamed(l: Pick<JournalLine, "events" | "rights">): string | undefined {
  const e = l.events.findLast((x) => x.type === "presenter" && x.jid !== undefined);
  return e?.type === "presenter" && e.jid !== undefined ? e.jid : l.rights?.presenter;
}

/** The presenter the journal's lines name last, or undefined when none does. */
export function lastPresenter(lines: readonly Pick<JournalLine, "events" | "rights">[]): string | undefined {
  for (let i = lines.length - 1; i >= 0; i--) {
    const p = presenterNamed(lines[i]!);
    if (p !== undefined) return p;
  }
  return undefined;
}

/** Session clock of a line: the latest of its t and its events' t. */
export function lineClock(l: Pick<JournalLine, "t" | "events">): number {
  return l.events.reduce((d, e) => Math.max(d, e.t), l.t);
}

/** Folders are named YYYYMMDD-HHMMSS-<code>. */
const FOLDER = /^(\d{4})(\d{2})(\d{2})-(\d{2})(\d{2})(\d{2})-([a-z0-9]+)$/;

/**
 * The manifest as the journal tells it (docs/archive.md §Rebuilding the manifest). `closed`
 * is set when no line names the owner (an archive older than `rights`): the session is then
 * marked ended at its last line, kept for replay but not resumed.
 */
export function rebuildManifest(dir: string, lines: JournalLine[], audioBytes: number): { manifest: Manifest; closed: boolean } {
  const session = path.basename(dir);
  const name = FOLDER.exec(session);
  if (!name) throw new Error(`cannot rebuild ${MANIFEST_FILE}: the folder's name is not YYYYMMDD-HHMMSS-<code>`);
  const iso = (ms: number) => new Date(ms).toISOString();
  const events = lines.flatMap((l) => l.events);
  const start = events.find((e) => e.type === "session-start");
  const stop = lines.find((l) => l.events.some((e) => e.type === "session-stop"));
  let owner: string | undefined;
  for (const l of lines) owner = l.rights?.owner ?? owner;
  const presenter = lastPresenter(lines);
  const [, y, mo, d, h, mi, s] = name;
  const createdAt = lines[0] ? iso(lines[0].ts) : `${y}-${mo}-${d}T${h}:${mi}:${s}.000Z`;
  const closed = owner === undefined;
  const manifest: Manifest = {
    format: FORMAT,
    session,
    room: name[7]!,
    title: start?.type === "session-start" ? start.title : "",
    owner: owner ?? "",
    presenter: presenter ?? owner ?? "",
    createdAt,
    endedAt: stop ? iso(stop.ts) : closed ? (lines.length > 0 ? iso(lines.at(-1)!.ts) : createdAt) : null,
    deck: currentDeck(lines),
    decks: decksOpened(lines),
    duration: lines.reduce((m, l) => Math.max(m, lineClock(l)), 0),
    counts: { bundles: lines.length, events: events.length, audioBytes },
  };
  return { manifest, closed };
}

export const manifestText = (m: Manifest): string => JSON.stringify(m, null, 2) + "\n";

/**
 * Writes of one archive's manifest, one at a time: a write asked for while another runs
 * joins the next one, which takes the manifest as it is when it starts (the latest state).
 * A manifest that has not changed since its last write (or since `onDisk`, the text read
 * from the file) is not written again.
 */
export function manifestWriter(dir: string, current: () => Manifest, onDisk: string | null = null): { write(): Promise<void> } {
  let running: Promise<void> = Promise.resolve();
  let next: Promise<void> | null = null;
  let written = onDisk;
  return {
    write() {
      next ??= running
        .catch(() => undefined)
        .then(async () => {
          next = null;
          const text = manifestText(current());
          if (text === written) return;
          await replaceFile(path.join(dir, MANIFEST_FILE), text);
          written = text;
        });
      running = next;
      return next;
    },
  };
}
