/**
 * The export's text inputs for ffmpeg: the chapters as an ffmetadata file (one chapter per
 * page change, titled with the page and the deck) and the chat as WebVTT (each message on
 * the session clock — its server time minus the session's origin, as the replay player
 * places it — shown for 5 s). ffmpeg turns the WebVTT into mov_text for MP4.
 */
import { chatSender, type ChatEntry } from "../../protocol/chat.ts";
import type { Chapter } from "./timeline.ts";

export const CHAT_SHOWN_MS = 5000;

function metaEscape(s: string): string {
  return s.replace(/[\\=;#\n]/g, (c) => `\\${c}`);
}

export function ffmetadata(title: string, chapters: readonly Chapter[], duration: number, deckTitle: (deck: string) => string): string {
  const out = [";FFMETADATA1", `title=${metaEscape(title)}`];
  chapters.forEach((c, i) => {
    const end = Math.max(c.start + 1, Math.round(chapters[i + 1]?.start ?? duration));
    const name = deckTitle(c.deck);
    out.push("[CHAPTER]", "TIMEBASE=1/1000", `START=${Math.round(c.start)}`, `END=${end}`, `title=${metaEscape(`Page ${c.page}${name ? ` — ${name}` : ""}`)}`);
  });
  return out.join("\n") + "\n";
}

function vttTime(ms: number): string {
  const t = Math.max(0, Math.round(ms));
  const h = Math.floor(t / 3_600_000);
  const m = Math.floor(t / 60_000) % 60;
  const s = Math.floor(t / 1000) % 60;
  return `${String(h).padStart(2, "0")}:${String(m).padStart(2, "0")}:${String(s).padStart(2, "0")}.${String(t % 1000).padStart(3, "0")}`;
}

function vttText(s: string): string {
  return s
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/\r\n?/g, "\n")
    .replace(/\n\s*\n+/g, "\n") // a blank line would end the cue
    .trim();
}

/** Chat cues on the session clock; null when there is nothing said within the session. */
export function chatVtt(chat: readonly Pick<ChatEntry, "ts" | "nick" | "text" | "phone">[], origin: number, duration: number): string | null {
  const cues: string[] = [];
  for (const m of chat) {
    const t = m.ts - origin;
    if (!(t >= 0 && t < duration)) continue;
    const text = vttText(`${chatSender(m)}: ${m.text}`);
    if (!text) continue;
    cues.push(`${vttTime(t)} --> ${vttTime(Math.min(duration, t + CHAT_SHOWN_MS))}\n${text}`);
  }
  return cues.length === 0 ? null : `WEBVTT\n\n${cues.join("\n\n")}\n`;
}

/** chat.jsonl's lines that read as messages (the log's own reader has checked them when written). */
export function parseChatLines(text: string): Pick<ChatEntry, "ts" | "nick" | "text" | "phone">[] {
  const out: Pick<ChatEntry, "ts" | "nick" | "text" | "phone">[] = [];
  for (const line of text.split("\n")) {
    if (!line.trim()) continue;
    try {
      const m = JSON.parse(line) as Record<string, unknown>;
      if (typeof m.ts === "number" && typeof m.nick === "string" && typeof m.text === "string") out.push({ ts: m.ts, nick: m.nick, text: m.text, ...(typeof m.phone === "string" ? { phone: m.phone } : {}) });
    } catch {
      // a torn or damaged line: the chat log skips it too
    }
  }
  return out;
}
