/**
 * When the picture of a session changes, from its journal: the frames to render, the
 * chapters (one per page change) and the events in the order the reducer applies them.
 *
 * `applyUntil(initial, lines, t)` (protocol/reducer.ts: what the replay shows at t) applies
 * an event at t exactly when every earlier line is wholly at or before t (its `t`, its
 * audio's and its events') and so are the events before it in its own line. So each event
 * gets an *effective time*, the running maximum of those, and the room at t is the events
 * with an effective time ≤ t, applied in journal order. Frames are made at those times for
 * what changes the picture: a page turn, a deck, a finished/erased/undone/cleared stroke at
 * once; strokes in progress and pointer moves on a 1/30 s grid (at most 30 frames a second).
 */
import type { DeckEvent } from "../../protocol/types.ts";

/** What the timeline reads of a journal line (a stamped bundle or a JournalLine). */
export interface TimedLine {
  t: number;
  events: readonly DeckEvent[];
  audio?: { t: number } | undefined;
}

export interface TimedEvent {
  /** Effective time: the first session time at which the replay shows it. */
  at: number;
  event: DeckEvent;
}

export interface Chapter {
  start: number;
  deck: string;
  page: number;
}

export interface Timeline {
  events: TimedEvent[];
  /** Frame times, strictly increasing, from 0. */
  frames: number[];
  chapters: Chapter[];
  /** The session's length (the latest time of any line, event or frame). */
  duration: number;
}

/** What changes the picture, and whether its frames go on the grid. */
function visual(e: DeckEvent): "now" | "grid" | null {
  switch (e.type) {
    case "deck-open":
    case "page":
    case "ink-stroke":
    case "ink-erase":
    case "ink-undo":
    case "ink-clear":
      return "now";
    case "ink-progress":
    case "pointer":
      return "grid";
    default:
      return null;
  }
}

export function timeline(lines: readonly TimedLine[], { fps = 30, duration = 0 }: { fps?: number; duration?: number } = {}): Timeline {
  const step = 1000 / fps;
  const events: TimedEvent[] = [];
  const frameSet = new Set<number>([0]);
  const chapters: Chapter[] = [];
  let before = 0; // the latest time of every earlier line
  let end = duration;
  let deck: string | null = null;
  let page = 1;
  let pages = Infinity;
  for (const b of lines) {
    let within = before;
    for (const e of b.events) {
      within = Math.max(within, e.t);
      events.push({ at: within, event: e });
      const kind = visual(e);
      if (kind === "now") frameSet.add(within);
      else if (kind === "grid") frameSet.add(Math.ceil(Math.round(within / step * 1000) / 1000) * step);
      // Chapters follow the reducer's page rule (deck-open: page 1; a page is clamped to the deck).
      if (e.type === "deck-open") {
        deck = e.deck.id;
        pages = e.deck.pages;
        page = 1;
        chapters.push({ start: within, deck, page });
      } else if (e.type === "page" && e.page >= 1 && deck !== null) {
        const next = Math.min(e.page, pages);
        if (next !== page) chapters.push({ start: within, deck, page: next });
        page = next;
      } else if (e.type === "page" && e.page >= 1) {
        page = e.page;
      }
    }
    before = Math.max(within, b.t, b.audio?.t ?? 0);
    end = Math.max(end, before);
  }
  const frames = [...new Set([...frameSet].map((t) => Math.min(t, end)))].sort((a, b) => a - b);
  // Chapters at the same moment: the last one wins (what is on screen after that moment).
  const merged: Chapter[] = [];
  for (const c of chapters) {
    if (merged.length > 0 && merged[merged.length - 1]!.start === c.start) merged[merged.length - 1] = c;
    else merged.push(c);
  }
  return { events, frames, chapters: merged, duration: end };
}
