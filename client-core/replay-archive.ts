/**
 * A finished (or still running) session as the replay player reads it (docs/archive.md): its
 * manifest, the small seek index (keyframe times, page changes, audio offsets), the room at
 * any session time, bundles by seq, the chat, and where its audio and page images are. Two
 * implementations live in the web client: over the replay HTTP API (a token link) and over
 * `window.DECKCAST_REPLAY` (the downloaded zip's offline replay.html). Pure: types and two
 * helpers, no I/O.
 */
import type { ReplayIndex, ReplayPageMark, ReplaySeek } from "../protocol/archive.ts";
import type { StampedBundle } from "../protocol/types.ts";
import type { JournalReader } from "./journal-source.ts";

/** One deck the session opened (manifest.decks). */
export interface ReplayDeck {
  id: string;
  pages: number;
  title: string;
  /** Session ms it was opened, and the seq of the bundle that opened it. */
  at: number;
  seq: number;
}

/** What the player needs of manifest.json (served with `live`; never the owner). */
export interface ReplayManifest {
  session: string;
  title: string;
  createdAt: string;
  endedAt: string | null;
  /** Session clock of the last event, ms. */
  duration: number;
  decks: ReplayDeck[];
  /** The meeting is still running (a rewind): the archive grows. */
  live?: boolean;
}

// The index and seek answers are the replay API's (protocol/archive.ts): one shape for server and player.
export type { ReplayIndex, ReplayPageMark, ReplaySeek };

/** One chat message as chat.jsonl has it (what the player needs of it). */
export interface ReplayChat {
  /** Session ms. */
  t: number;
  nick: string;
  text: string;
}

export interface ReplayArchive {
  readonly manifest: ReplayManifest;
  index(): Promise<ReplayIndex>;
  seek(t: number): Promise<ReplaySeek>;
  /** Bundles from..to (to the newest when undefined; the answer may stop early), without audio. */
  bundles(from: number, to?: number): Promise<StampedBundle[]>;
  /** The newest seq now (grows while the meeting is live). */
  lastSeq(): Promise<number>;
  chat(): Promise<ReplayChat[]>;
  /** The deck's page text (deck info `text`, one string per page), for search; [] when unknown. */
  pageText(deck: string): Promise<string[]>;
  /** URLs the browser loads itself: the session's audio, a page's image (`width` a hint), its thumbnail. */
  audioUrl(): string;
  pageImageUrl(deck: string, page: number, width: number): string;
  thumbUrl(deck: string, page: number): string;
}

/**
 * The archive as a JournalReader: `read(from, to)` keeps asking until it has every bundle up to
 * `to` (an answer may stop early), so the JournalSource's promise (in order, none missing) holds.
 */
export function archiveReader(archive: ReplayArchive): JournalReader {
  return {
    lastSeq: () => archive.lastSeq(),
    async read(from, to) {
      const out: StampedBundle[] = [];
      let next = from;
      while (next <= to) {
        const before = next;
        for (const b of await archive.bundles(next, to)) {
          if (b.seq !== next || next > to) break;
          out.push(b);
          next++;
        }
        if (next === before) break; // nothing more yet: the source says how far it got
      }
      return out;
    },
  };
}

/** Times each page of `deck` matching `query` was shown (case-insensitive, in slide text), in time order. */
export function searchPages(query: string, decks: { deck: string; text: string[] }[], pages: readonly ReplayPageMark[]): { deck: string; page: number; snippet: string; times: number[] }[] {
  const q = query.trim().toLowerCase();
  if (!q) return [];
  const out: { deck: string; page: number; snippet: string; times: number[] }[] = [];
  for (const { deck, text } of decks) {
    text.forEach((body, i) => {
      const at = body.toLowerCase().indexOf(q);
      if (at < 0) return;
      const page = i + 1;
      const times = pages.filter((p) => p.deck === deck && p.page === page).map((p) => p.t);
      if (times.length === 0) return;
      const from = Math.max(0, at - 30);
      const snippet = `${from > 0 ? "…" : ""}${body.slice(from, at + q.length + 40).replace(/\s+/g, " ").trim()}`;
      out.push({ deck, page, snippet, times });
    });
  }
  return out.sort((a, b) => a.times[0]! - b.times[0]!);
}
