/**
 * The plain-text <body> a bundle carries for stock XMPP clients (XEP-0428 fallback; see
 * docs/protocol.md §Bundle). Only changes a person would want to read get a line; ink,
 * pointer and audio get none, so a bundle of only those has no body (and gets a no-store
 * hint instead).
 */

import type { Bundle, DeckEvent, RecordingState } from "./types.ts";

const RECORDING_WORDS: Record<RecordingState, string> = {
  recording: "on",
  paused: "paused",
  stopped: "stopped",
  failed: "failed",
};

/**
 * One line per user-visible event of the bundle, joined with "\n"; null when none.
 *
 * @param deckPages pages of the deck open before this bundle (a deck-open inside the
 *   bundle takes over for later page turns); page turns read "Page 5 of 12", or "Page 5"
 *   when unknown, clamped as the reducer clamps them.
 * @param prevRecording the room's recording state before this bundle (null: none). When
 *   given, only recording events that change the state get a line, so the periodic
 *   size/duration reports stay silent; when omitted, every recording event gets one.
 */
export function fallbackBody(b: Bundle, deckPages?: number, prevRecording?: RecordingState | null): string | null {
  let pages = deckPages;
  let recording = prevRecording;
  const lines: string[] = [];
  for (const e of b.events) {
    if (e.type === "deck-open") pages = e.deck.pages;
    const line = lineFor(e, pages, recording);
    if (e.type === "recording" && recording !== undefined) recording = e.state;
    if (line !== null) lines.push(line);
  }
  return lines.length > 0 ? lines.join("\n") : null;
}

function lineFor(e: DeckEvent, pages: number | undefined, recording: RecordingState | null | undefined): string | null {
  switch (e.type) {
    case "session-start":
      return e.title === "" ? "Session started" : `Session started: ${e.title}`;
    case "session-stop":
      return "Session ended";
    case "deck-open": {
      const n = e.deck.pages;
      const title = e.deck.title === "" ? "Opened a deck" : `Opened deck “${e.deck.title}”`;
      return `${title} (${n} ${n === 1 ? "page" : "pages"})`;
    }
    case "page": {
      if (e.page < 1) return null;
      return pages === undefined ? `Page ${e.page}` : `Page ${Math.min(e.page, pages)} of ${pages}`;
    }
    case "presenter":
      return `Presenter is now ${e.nick}`;
    case "recording": {
      if (recording !== undefined && recording === e.state) return null;
      const why = e.reason ? ` (${e.reason})` : "";
      return `Recording: ${RECORDING_WORDS[e.state]}${why}`;
    }
    default:
      return null;
  }
}
