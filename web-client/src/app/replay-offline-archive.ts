/**
 * The ReplayArchive over `window.DECKCAST_REPLAY`, the data of a downloaded session zip
 * (replay-data.js: `{manifest, index, bundles, chat, decks}`, docs/archive.md §Download),
 * for the offline replay.html opened from the unpacked zip (file://, no server, no network).
 * Seeking is done here, with the one reducer: `applyUntil` from the room before anything
 * happened (or the nearest keyframe the index carries) over the bundles in memory. Files
 * beside replay.html: audio.opus, pages/<deck>/<n>.jpg, thumbs/<deck>/<n>.jpg.
 */
import { isRecord } from "../../../protocol/check.ts";
import { applyBundle, applyUntil, initialState } from "../../../protocol/reducer.ts";
import type { RoomState, StampedBundle } from "../../../protocol/types.ts";
import type { ReplayArchive, ReplayChat, ReplayIndex, ReplayManifest, ReplaySeek } from "../../../client-core/replay-archive.ts";
import { originOf, readBundleLine, readChat, readIndex, readManifest } from "./replay-http.ts";

export interface OfflineData {
  manifest: unknown;
  index: unknown;
  bundles: unknown[];
  chat: unknown[];
  decks: Record<string, unknown>;
}

/** Keyframes the offline archive makes for itself as it reads the bundles (one per this many). */
const KEY_EVERY = 500;

export class OfflineReplayArchive implements ReplayArchive {
  readonly manifest: ReplayManifest;
  readonly #index: ReplayIndex;
  readonly #bundles: StampedBundle[];
  readonly #chat: ReplayChat[];
  readonly #decks: Record<string, unknown>;
  /** Room after bundle keys[i].seq (seq 0: before anything). */
  readonly #keys: { seq: number; t: number; state: RoomState }[] = [];

  constructor(data: OfflineData) {
    if (!isRecord(data) || !Array.isArray(data.bundles)) throw new Error("This replay's data (replay-data.js) is missing or damaged.");
    this.manifest = { ...readManifest(data.manifest), live: false };
    this.#bundles = data.bundles.map(readBundleLine).sort((a, b) => a.seq - b.seq);
    this.#index = readIndex(data.index);
    this.#chat = readChat(Array.isArray(data.chat) ? data.chat : [], originOf(this.#bundles[0]));
    this.#decks = isRecord(data.decks) ? data.decks : {};
    let s = initialState(this.manifest.title);
    this.#keys.push({ seq: 0, t: 0, state: s });
    this.#bundles.forEach((b, i) => {
      s = applyBundle(s, b);
      if ((i + 1) % KEY_EVERY === 0) this.#keys.push({ seq: b.seq, t: s.clock, state: s });
    });
  }

  async index(): Promise<ReplayIndex> {
    return this.#index;
  }

  async seek(t: number): Promise<ReplaySeek> {
    let key = this.#keys[0]!;
    for (const k of this.#keys) if (k.t <= t) key = k;
    const at = this.#bundles.findIndex((b) => b.seq > key.seq);
    const r = applyUntil(key.state, at < 0 ? [] : this.#bundles.slice(at), t);
    return { t, state: r.state, seq: r.seq, events: r.events, last: this.#lastSeq() };
  }

  async bundles(from: number, to?: number): Promise<StampedBundle[]> {
    const end = to ?? Infinity;
    return this.#bundles.filter((b) => b.seq >= from && b.seq <= end).slice(0, 2000);
  }

  async lastSeq(): Promise<number> {
    return this.#lastSeq();
  }

  #lastSeq(): number {
    return this.#bundles[this.#bundles.length - 1]?.seq ?? 0;
  }

  async chat(): Promise<ReplayChat[]> {
    return this.#chat;
  }

  async pageText(deck: string): Promise<string[]> {
    const info = this.#decks[deck];
    return isRecord(info) && Array.isArray(info.text) ? info.text.map((x) => (typeof x === "string" ? x : "")) : [];
  }

  /** The deck's record from the zip (decks/<id>.json), for page sizes. */
  deckInfo(deck: string): unknown {
    return this.#decks[deck];
  }

  audioUrl(): string {
    return "audio.opus";
  }

  /** pages/<deck>/<n>.jpg: 1280 wide whatever the width asked. */
  pageImageUrl(deck: string, page: number, _width?: number): string {
    return `pages/${encodeURIComponent(deck)}/${page}.jpg`;
  }

  thumbUrl(deck: string, page: number): string {
    return `thumbs/${encodeURIComponent(deck)}/${page}.jpg`;
  }
}
