/**
 * The replay player's logic, without DOM (docs/archive.md §Replay): one session from a
 * ReplayArchive shown on the client core, as a live follower saw it. A MeetingView over a
 * JournalSource that opens at the archive's seek state, with the ReplayClock over the audio
 * element (or a stand-in clock when the session has no playable audio), so every event shows
 * when the audio reaches its time. Seeking makes a fresh view from `archive.seek(t)`.
 *
 * It also holds what the controls need: position and duration, play/pause, speed (0.5–2×),
 * the page marks for the seek bar, the first time each page was shown (digit keys), search in
 * slide text, and the chat up to the current time. A live archive (a rewind) grows: it is
 * polled; its audio.opus grows too, so when the element nears the end it had when loaded
 * (`audioNeedsReload`) the element reloads it and plays on; `caughtUp` says the rewind
 * plays within CATCH_UP_MS of the live edge (then it returns to live).
 */
import { JournalSource } from "../../../client-core/journal-source.ts";
import { MeetingView } from "../../../client-core/meeting-view.ts";
import type { JournalReader } from "../../../client-core/journal-source.ts";
import { archiveReader, searchPages, type ReplayArchive, type ReplayChat, type ReplayIndex, type ReplayPageMark } from "../../../client-core/replay-archive.ts";
import { ReplayClock, type AudioLike } from "../../../client-core/replay-clock.ts";
import { Emitter } from "../../../client-core/emitter.ts";
import { systemTimers, type Timers } from "../../../client-core/timers.ts";
import type { RoomState } from "../../../protocol/types.ts";

/** What the player drives: an <audio> element, or the stand-in clock. */
export interface MediaLike extends AudioLike {
  play(): Promise<void> | void;
  pause(): void;
  /** Seconds; NaN or Infinity while unknown. */
  readonly duration: number;
}

export const SPEEDS = [0.5, 1, 1.5, 2] as const;
/** ←/→ move this much. */
export const STEP_MS = 5000;
/** How often a live archive is asked whether it grew. */
const LIVE_POLL_MS = 2000;
/**
 * The view reads bundles this far ahead of the position (in session time, rounded up to the
 * next keyframe), not the whole rest of the session: a seek in a two-hour session reads
 * seconds of journal, and playing reads on as it goes (`#readAhead`).
 */
const READ_AHEAD_MS = 120_000;
const READ_AHEAD_CHECK_MS = 5000;
/** A rewind that plays this close to the live edge has caught up: it returns to live. */
export const CATCH_UP_MS = 1000;
/** A live archive's audio is reloaded when playing comes this close (s) to the end it had when loaded. */
export const AUDIO_END_S = 0.5;

/**
 * A clock that counts session time itself, for a session without playable audio (no voice,
 * or a browser that cannot play Ogg Opus): the same controls, silent.
 */
export class SilentMedia implements MediaLike {
  #base = 0;
  #since = 0;
  #paused = true;
  #rate = 1;
  readonly #timers: Pick<Timers, "now">;
  constructor(timers: Pick<Timers, "now"> = systemTimers, readonly duration = NaN) {
    this.#timers = timers;
  }
  get currentTime(): number {
    return this.#paused ? this.#base : this.#base + ((this.#timers.now() - this.#since) * this.#rate) / 1000;
  }
  set currentTime(s: number) {
    this.#base = s;
    this.#since = this.#timers.now();
  }
  get playbackRate(): number {
    return this.#rate;
  }
  set playbackRate(r: number) {
    this.#base = this.currentTime;
    this.#since = this.#timers.now();
    this.#rate = r;
  }
  get paused(): boolean {
    return this.#paused;
  }
  play(): void {
    if (!this.#paused) return;
    this.#since = this.#timers.now();
    this.#paused = false;
  }
  pause(): void {
    this.#base = this.currentTime;
    this.#paused = true;
  }
}

export interface SearchHit {
  deck: string;
  page: number;
  snippet: string;
  times: number[];
}

export interface ReplayPlayerEvents extends Record<string, unknown[]> {
  /** The picture, the position or the controls changed. */
  change: [];
  problem: [string];
}

export class ReplayPlayer extends Emitter<ReplayPlayerEvents> {
  readonly archive: ReplayArchive;
  index: ReplayIndex = { keys: [], pages: [], audio: [], last: 0, duration: 0 };
  chat: readonly ReplayChat[] = [];
  /** What is on screen. */
  view: RoomState | null = null;
  #media: MediaLike;
  #viewer: MeetingView | null = null;
  #source: JournalSource | null = null;
  /** Counts seeks: an older seek's answer is dropped when a newer one started. */
  #seeks = 0;
  #poll: unknown = null;
  #ahead: unknown = null;
  /** The seq the view was last told it may read to. */
  #horizon = 0;
  #closed = false;
  /** When (timers.now()) the index was last read: the live edge moves on from its duration. */
  #indexAt = 0;
  readonly #timers: Timers;

  constructor(archive: ReplayArchive, media: MediaLike, timers: Timers = systemTimers) {
    super();
    this.archive = archive;
    this.#media = media;
    this.#timers = timers;
  }

  get media(): MediaLike {
    return this.#media;
  }

  /** Session ms now heard. */
  get position(): number {
    return Math.max(0, Math.min(this.duration, this.#media.currentTime * 1000));
  }

  get duration(): number {
    return Math.max(this.archive.manifest.duration, this.index.duration, this.view?.clock ?? 0);
  }

  get playing(): boolean {
    return !this.#media.paused;
  }

  get rate(): number {
    return this.#media.playbackRate;
  }

  get live(): boolean {
    return !!this.archive.manifest.live;
  }

  /**
   * Where the live meeting is now (session ms, an estimate): the index's end when it was
   * last read plus the time since (the session clock runs on). A finished session: its end.
   */
  get liveEdge(): number {
    if (!this.live) return this.duration;
    return Math.max(this.duration, this.index.duration + (this.#timers.now() - this.#indexAt));
  }

  /** A rewind playing within CATCH_UP_MS of the live edge: nothing is left to catch up. */
  get caughtUp(): boolean {
    return this.live && this.playing && this.#media.currentTime * 1000 >= this.liveEdge - CATCH_UP_MS;
  }

  /**
   * A live archive's audio element has played to (or within AUDIO_END_S of) the length its
   * source had when loaded, while the session is longer: the source should be loaded again
   * to hear what was recorded since. `ended`: the element fired `ended`.
   */
  audioNeedsReload(ended: boolean): boolean {
    const m = this.#media;
    if (!this.live || this.#closed || m instanceof SilentMedia || !Number.isFinite(m.duration) || m.duration <= 0) return false;
    const nearEnd = ended || (!m.paused && m.currentTime >= m.duration - AUDIO_END_S);
    return nearEnd && this.liveEdge > m.duration * 1000 + AUDIO_END_S * 1000;
  }

  /** Loads the index and the chat, and shows the session at `t` (paused). */
  async open(t = 0): Promise<void> {
    this.index = await this.archive.index();
    this.#indexAt = this.#timers.now();
    this.archive.chat().then(
      (c) => {
        this.chat = c;
        this.emit("change");
      },
      () => this.emit("problem", "The chat of this session could not be loaded."),
    );
    await this.seek(t);
    if (this.live) this.#pollLive();
  }

  /** Plays through the stand-in clock from now on (the audio could not be played). */
  useSilentClock(): void {
    if (this.#media instanceof SilentMedia) return;
    const was = this.#media;
    const silent = new SilentMedia(this.#timers);
    silent.currentTime = was.currentTime;
    silent.playbackRate = was.playbackRate;
    if (!was.paused) silent.play();
    was.pause();
    this.#media = silent;
    this.#viewer?.setPlayoutClock(new ReplayClock(silent, this.#timers));
    this.emit("change");
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.#timers.clear(this.#poll);
    this.#timers.clear(this.#ahead);
    this.#media.pause();
    await this.#viewer?.close();
  }

  /**
   * Shows the session at `t` (clamped to it): a fresh view from the archive's seek. Seeks
   * asked while one runs (a dragged seek bar) collapse into the latest; the promise resolves
   * when the session shows the last time asked.
   */
  seek(t: number): Promise<void> {
    this.#wanted = t;
    this.#seeking ??= (async () => {
      try {
        while (this.#wanted !== null) {
          const next = this.#wanted;
          this.#wanted = null;
          await this.#seekNow(next).catch(() => this.emit("problem", "This part of the session could not be loaded. Check your network connection and try again."));
        }
      } finally {
        this.#seeking = null;
      }
    })();
    return this.#seeking;
  }

  #wanted: number | null = null;
  #seeking: Promise<void> | null = null;

  async #seekNow(t: number): Promise<void> {
    const at = Math.max(0, Math.min(this.duration || t, t));
    const mine = ++this.#seeks;
    const was = this.#media.paused;
    this.#media.pause();
    this.#media.currentTime = at / 1000;
    const start = await this.archive.seek(at);
    if (mine !== this.#seeks || this.#closed) return;
    this.#horizon = this.#horizonAt(at);
    const source = new JournalSource(this.#windowed(archiveReader(this.archive)), { title: this.archive.manifest.title, start, pageSize: 500 });
    const viewer = new MeetingView(source, { timers: this.#timers });
    viewer.setPlayoutClock(new ReplayClock(this.#media, this.#timers));
    const old = this.#viewer;
    this.#viewer = viewer;
    this.#source = source;
    void old?.close();
    viewer.on("change", () => {
      if (this.#viewer !== viewer) return;
      this.view = viewer.view;
      this.emit("change");
    });
    viewer.on("error", () => this.emit("problem", "Part of this session could not be loaded; it may show incomplete."));
    this.view = null;
    const opened = viewer.open();
    this.view = viewer.view;
    this.emit("change");
    if (!was) await this.play();
    await opened.catch(() => this.emit("problem", "This session could not be loaded."));
    this.#readAhead();
  }

  /** The seq to read to when the position is `t`: the first keyframe READ_AHEAD_MS past it (all: none). */
  #horizonAt(t: number): number {
    const key = this.index.keys.find((k) => k.t > t + READ_AHEAD_MS);
    return key ? key.seq : Infinity;
  }

  /** The archive as the view sees it: it ends at the horizon. */
  #windowed(reader: JournalReader): JournalReader {
    return {
      lastSeq: async () => Math.min(await reader.lastSeq(), this.#horizon),
      read: (from, to) => reader.read(from, Math.min(to, this.#horizon)),
    };
  }

  /** While the position moves, moves the horizon with it and lets the view read on. */
  #readAhead() {
    this.#timers.clear(this.#ahead);
    if (this.#closed) return;
    const next = this.#horizonAt(this.position);
    if (next > this.#horizon) {
      this.#horizon = next;
      this.#source?.grew();
    }
    if (this.#horizon !== Infinity || this.live) this.#ahead = this.#timers.set(() => this.#readAhead(), READ_AHEAD_CHECK_MS);
  }

  async play(): Promise<void> {
    if (this.position >= this.duration && this.duration > 0 && !this.live) await this.seek(0);
    try {
      await this.#media.play();
    } catch (err) {
      // The browser wants a tap first (autoplay): stay paused and say so; anything else
      // (the audio cannot be played at all): play on silent.
      if ((err as Error)?.name === "NotAllowedError") {
        this.emit("problem", "Press play to start the replay with its sound.");
        this.retime();
        return;
      }
      this.useSilentClock();
      await this.#media.play();
    }
    this.retime();
  }

  pause(): void {
    this.#media.pause();
    this.retime();
  }

  toggle(): Promise<void> {
    if (this.playing) {
      this.pause();
      return Promise.resolve();
    }
    return this.play();
  }

  setRate(rate: number): void {
    this.#media.playbackRate = Math.min(2, Math.max(0.5, rate));
    this.retime();
  }

  /** The clock moved under us (the audio stalled, resumed, ended): recheck what is due. */
  retime(): void {
    this.#viewer?.retimePlayout();
    this.emit("change");
  }

  /** Page changes for the seek bar's marks. */
  get marks(): readonly ReplayPageMark[] {
    return this.index.pages;
  }

  /** The first time page `n` was shown: of the deck on screen first, else of any deck. */
  firstTimeOf(page: number): number | null {
    const deck = this.view?.deck?.id;
    const mark = this.index.pages.find((p) => p.page === page && p.deck === deck) ?? this.index.pages.find((p) => p.page === page);
    return mark ? mark.t : null;
  }

  /** The page on screen at session time t (from the marks), for the seek bar's thumbnail. */
  pageAt(t: number): ReplayPageMark | null {
    let found: ReplayPageMark | null = null;
    for (const p of this.index.pages) {
      if (p.t > t) break;
      found = p;
    }
    return found;
  }

  /** Chat sent up to now. */
  chatNow(): readonly ReplayChat[] {
    const now = this.position;
    let n = 0;
    while (n < this.chat.length && this.chat[n]!.t <= now) n++;
    return this.chat.slice(0, n);
  }

  /** Pages whose slide text holds `query`, with the times each was shown. */
  async search(query: string): Promise<SearchHit[]> {
    const decks = [...new Set(this.index.pages.map((p) => p.deck))];
    const texts = await Promise.all(decks.map(async (deck) => ({ deck, text: await this.archive.pageText(deck) })));
    return searchPages(query, texts, this.index.pages);
  }

  /** A live archive grows: read what is new, and keep the index (marks, duration) current. */
  #pollLive() {
    const tick = async () => {
      if (this.#closed) return;
      try {
        this.index = await this.archive.index();
        this.#indexAt = this.#timers.now();
        this.#source?.grew();
        this.emit("change");
      } catch {
        // the meeting ended and the rewind token with it: stay on what we have
      }
      if (!this.#closed) this.#poll = this.#timers.set(() => void tick(), LIVE_POLL_MS);
    };
    this.#poll = this.#timers.set(() => void tick(), LIVE_POLL_MS);
  }
}
