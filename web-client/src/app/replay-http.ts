/**
 * The ReplayArchive (client-core/replay-archive.ts) over the replay HTTP API of a token link
 * (docs/archive.md §HTTP): /api/replay/<token>/{manifest.json, index.json, seek, bundles,
 * chat.jsonl, audio.opus}. Every body is checked before use (a bundle with the one validator
 * followers use); an answer of 404 — a wrong, expired or revoked token, all alike — is a
 * `ReplayNotFound`, which the player shows as "This replay link is not valid or was revoked".
 */
import { isReplayToken } from "../../../protocol/archive.ts";
import { isRecord } from "../../../protocol/check.ts";
import { chatSender } from "../../../protocol/chat.ts";
import { deckInfoUrl, pageImageUrl, thumbUrl } from "../../../protocol/deck-urls.ts";
import type { RoomState, StampedBundle } from "../../../protocol/types.ts";
import { validateBundle } from "../../../protocol/validate.ts";
import type { ReplayArchive, ReplayChat, ReplayIndex, ReplayManifest, ReplaySeek } from "../../../client-core/replay-archive.ts";

/** The link's token names no session this person may see (or the server says so). */
export class ReplayNotFound extends Error {
  constructor() {
    super("This replay link is not valid or was revoked.");
    this.name = "ReplayNotFound";
  }
}

export { isReplayToken };

async function get(url: string): Promise<Response> {
  const res = await fetch(url, { credentials: "omit", cache: "no-store" });
  if (res.status === 404) throw new ReplayNotFound();
  if (!res.ok) throw new Error(`The replay could not be loaded (HTTP ${res.status}).`);
  return res;
}

async function json(url: string): Promise<unknown> {
  return (await get(url)).json().catch(() => {
    throw new Error("The server sent a replay answer deckcast cannot read.");
  });
}

const num = (v: unknown): v is number => typeof v === "number" && Number.isFinite(v);
const str = (v: unknown): v is string => typeof v === "string";

/** manifest.json as the player needs it, or a clear error. */
export function readManifest(v: unknown): ReplayManifest {
  if (!isRecord(v) || !str(v.session) || !str(v.title) || !str(v.createdAt) || !num(v.duration) || !Array.isArray(v.decks)) {
    throw new Error("The server sent a replay manifest deckcast cannot read.");
  }
  const decks = v.decks.filter((d): d is ReplayManifest["decks"][number] => isRecord(d) && str(d.id) && /^[0-9a-f]{64}$/.test(d.id) && num(d.pages) && num(d.at) && num(d.seq));
  return {
    session: v.session,
    title: v.title,
    createdAt: v.createdAt,
    endedAt: str(v.endedAt) ? v.endedAt : null,
    duration: Math.max(0, v.duration),
    decks: decks.map((d) => ({ id: d.id, pages: d.pages, title: str(d.title) ? d.title : "", at: d.at, seq: d.seq })),
    live: v.live === true,
  };
}

export function readIndex(v: unknown): ReplayIndex {
  if (!isRecord(v) || !Array.isArray(v.pages) || !num(v.last)) throw new Error("The server sent a replay index deckcast cannot read.");
  const arr = (x: unknown) => (Array.isArray(x) ? x.filter(isRecord) : []);
  return {
    keys: arr(v.keys).filter((k) => num(k.seq) && num(k.t)).map((k) => ({ seq: k.seq as number, t: k.t as number })),
    pages: arr(v.pages)
      .filter((p) => num(p.t) && num(p.seq) && str(p.deck) && num(p.page))
      .map((p) => ({ t: p.t as number, seq: p.seq as number, deck: p.deck as string, page: p.page as number })),
    audio: arr(v.audio).filter((a) => num(a.t) && num(a.offset)).map((a) => ({ t: a.t as number, offset: a.offset as number })),
    last: v.last,
    duration: num(v.duration) ? v.duration : 0,
  };
}

export function readSeek(v: unknown): ReplaySeek {
  if (!isRecord(v) || !num(v.t) || !num(v.seq) || !isRecord(v.state) || !num(v.state.seq) || !num(v.state.clock)) {
    throw new Error("The server sent a replay position deckcast cannot read.");
  }
  return { t: v.t, state: v.state as unknown as RoomState, seq: v.seq, events: num(v.events) ? v.events : 0, last: num(v.last) ? v.last : v.seq };
}

/** One bundle line (no audio in a replay: the audio is audio.opus), or a clear error. */
export function readBundleLine(line: unknown): StampedBundle {
  if (!isRecord(line)) throw new Error("The server sent a replay bundle deckcast cannot read.");
  const { audio: _audio, rights: _rights, ...rest } = line;
  const b = validateBundle(rest);
  if (!b.ok || b.value.seq === undefined) throw new Error(`The server sent a replay bundle deckcast cannot read (${b.ok ? "no seq" : (b.error.path ?? b.error.message)}).`);
  return b.value as StampedBundle;
}

/** chat.jsonl lines ({seq, ts, nick, text, phone?}) on the session clock (`origin`: the wall ms of session time 0). */
export function readChat(lines: unknown[], origin: number): ReplayChat[] {
  return lines
    .filter((m): m is Record<string, unknown> => isRecord(m) && num(m.ts) && str(m.nick) && str(m.text))
    .map((m) => ({ t: Math.max(0, (m.ts as number) - origin), nick: chatSender({ nick: m.nick as string, phone: str(m.phone) ? (m.phone as string) : undefined }), text: m.text as string }));
}

export function parseLines(text: string): unknown[] {
  const out: unknown[] = [];
  for (const line of text.split("\n")) {
    if (!line.trim()) continue;
    try {
      out.push(JSON.parse(line));
    } catch {
      // a torn last line of a live archive: left for the next read
    }
  }
  return out;
}

/** The session clock's origin on the wall clock: a bundle's ts − t (the server stamps both). */
export function originOf(b: StampedBundle | undefined): number {
  return b ? b.ts - b.t : 0;
}

export class HttpReplayArchive implements ReplayArchive {
  readonly manifest: ReplayManifest;
  readonly #base: string;
  #last: number;
  #texts = new Map<string, Promise<string[]>>();

  private constructor(base: string, manifest: ReplayManifest, last: number) {
    this.#base = base;
    this.manifest = manifest;
    this.#last = last;
  }

  /** Opens the archive a token names; rejects with ReplayNotFound for a bad link. */
  static async open(token: string): Promise<HttpReplayArchive> {
    if (!isReplayToken(token)) throw new ReplayNotFound();
    const base = `/api/replay/${token}`;
    const manifest = readManifest(await json(`${base}/manifest.json`));
    return new HttpReplayArchive(base, manifest, 0);
  }

  async index(): Promise<ReplayIndex> {
    const index = readIndex(await json(`${this.#base}/index.json`));
    this.#last = Math.max(this.#last, index.last);
    return index;
  }

  async seek(t: number): Promise<ReplaySeek> {
    const at = readSeek(await json(`${this.#base}/seek?t=${Math.max(0, Math.round(t))}`));
    this.#last = Math.max(this.#last, at.last);
    return at;
  }

  async bundles(from: number, to?: number): Promise<StampedBundle[]> {
    const res = await get(`${this.#base}/bundles?from=${from}${to === undefined ? "" : `&to=${to}`}`);
    return parseLines(await res.text()).map(readBundleLine);
  }

  async lastSeq(): Promise<number> {
    if (this.manifest.live) await this.index(); // a live meeting's archive grows
    return this.#last;
  }

  async chat(): Promise<ReplayChat[]> {
    const [first] = await this.bundles(1, 1);
    const text = await (await get(`${this.#base}/chat.jsonl`)).text();
    return readChat(parseLines(text), originOf(first));
  }

  pageText(deck: string): Promise<string[]> {
    let p = this.#texts.get(deck);
    if (!p) {
      // Decks are public by content hash (live followers load them the same way).
      p = fetch(deckInfoUrl(deck, { text: true }))
        .then((r) => (r.ok ? r.json() : null))
        .then((v: unknown) => (isRecord(v) && Array.isArray(v.text) ? v.text.map((x) => (str(x) ? x : "")) : []))
        .catch(() => []);
      this.#texts.set(deck, p);
    }
    return p;
  }

  audioUrl(): string {
    return `${this.#base}/audio.opus`;
  }

  pageImageUrl(deck: string, page: number, width: number): string {
    return pageImageUrl(deck, page, width); // decks are public by content hash
  }

  thumbUrl(deck: string, page: number): string {
    return thumbUrl(deck, page);
  }
}
