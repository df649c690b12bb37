/**
 * <dc-replay>: the replay player on screen (app/replay-player.ts holds the logic): the stage
 * (dc-stage, the same page images and ink drawing as live) with the slides, ink (strokes in
 * progress too) and pointer as they were, the session's audio (<audio>, pitch kept at every
 * speed), play/pause, 0.5–2×, the seek bar with a mark per page change, search in slide text
 * (each hit lists the times its page was shown; a click jumps there) and the chat beside,
 * up to the current time.
 *
 * Keys: Space play/pause, ←/→ 5 s, Home/End, digits: the first time that page was shown. In
 * a rewind (`rewind` set) `L` or the button returns to the live meeting (`dc-back-to-live`),
 * and so does catching up with it (playing within a second of the live edge, at 1.5× or 2×).
 * A rewind's audio.opus grows as the meeting goes on: when the element nears the end its
 * source had, the source is loaded again (same URL, a cache-busting query; same position and
 * speed) and plays on.
 *
 * @fires dc-back-to-live {void} the person asked to return to the live meeting
 */
import { LitElement, css, html, nothing, type PropertyValues } from "lit";
import { customElement, property, query, state } from "lit/decorators.js";
import type { ReplayArchive } from "../../../client-core/replay-archive.ts";
import type { RoomState, Stroke } from "../../../protocol/types.ts";
import { loadDeckInfo, pageRatio, type DeckInfo } from "../app/deck-info.ts";
import { typingInField } from "../app/keys.ts";
import { ReplayPlayer, SPEEDS, STEP_MS, type SearchHit } from "../app/replay-player.ts";
import { formatTime, type SeekTo } from "./dc-seek-bar.ts";
import { base } from "./shared-styles.ts";
import "./dc-seek-bar.ts";
import "./dc-stage.ts";

/** How often the shown position is brought up to date while playing. */
const POSITION_MS = 250;

/** Digits typed within this long make one page number. */
const DIGITS_MS = 1200;

@customElement("dc-replay")
export class DcReplay extends LitElement {
  static override styles = [
    base,
    css`
      :host { display: grid; grid-template-rows: auto 1fr; height: 100%; min-height: 0; background: var(--dc-bg); }
      header { display: flex; align-items: center; gap: 0.75rem; padding: 0.5rem 0.9rem; border-bottom: 1px solid var(--dc-line); min-width: 0; }
      header h1 { font-size: 1.05rem; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
      header .when { font-size: 0.85rem; }
      header .grow { flex: 1; }
      .rewind { background: var(--dc-live); border-color: var(--dc-live); color: #fff; font-weight: 600; }
      .body { display: grid; grid-template-columns: minmax(0, 1fr) 20rem; min-height: 0; }
      .main { display: grid; grid-template-rows: minmax(0, 1fr) auto; min-height: 0; min-width: 0; }
      dc-stage { min-height: 10rem; margin: 0.5rem; }
      .controls { display: grid; grid-template-columns: auto auto 1fr auto auto; align-items: center; gap: 0.5rem; padding: 0.25rem 0.75rem 0.6rem; }
      .time { font-variant-numeric: tabular-nums; font-size: 0.9rem; color: var(--dc-dim); white-space: nowrap; }
      select { font: inherit; color: var(--dc-text); background: var(--dc-panel-2); border: 1px solid var(--dc-line); border-radius: 8px; min-height: 2.25rem; }
      aside { border-left: 1px solid var(--dc-line); display: grid; grid-template-rows: auto auto minmax(0, 1fr); min-height: 0; padding: 0.6rem; gap: 0.5rem; }
      aside h2 { font-size: 0.95rem; }
      form { display: flex; gap: 0.4rem; }
      form input { flex: 1; min-width: 0; font: inherit; color: var(--dc-text); background: var(--dc-bg); border: 1px solid var(--dc-line); border-radius: 8px; padding: 0.4rem 0.6rem; }
      .hits { list-style: none; margin: 0; padding: 0; display: grid; gap: 0.35rem; max-height: 14rem; overflow-y: auto; }
      .hits li { background: var(--dc-panel-2); border-radius: 8px; padding: 0.35rem 0.5rem; font-size: 0.9rem; }
      .hits button { min-height: 1.8rem; padding: 0.1rem 0.45rem; font-size: 0.85rem; margin: 0.15rem 0.2rem 0 0; }
      .chat { list-style: none; margin: 0; padding: 0; overflow-y: auto; display: grid; align-content: start; gap: 0.4rem; min-height: 3rem; }
      .chat li { background: var(--dc-panel-2); border-radius: 10px; padding: 0.3rem 0.55rem; overflow-wrap: anywhere; }
      .chat .nick { font-size: 0.78rem; color: var(--dc-dim); display: block; }
      .note { font-size: 0.9rem; color: var(--dc-dim); }
      .problem { margin: 0.4rem 0.75rem 0; }
      @media (max-width: 760px) {
        .body { grid-template-columns: minmax(0, 1fr); grid-template-rows: auto minmax(0, 1fr); overflow-y: auto; }
        .main { grid-template-rows: auto auto; }
        dc-stage { height: min(56vw, 50vh); margin: 0.35rem; }
        aside { border-left: 0; border-top: 1px solid var(--dc-line); }
        .controls { grid-template-columns: auto auto 1fr auto; }
        .controls .time { grid-column: 2; }
        header .when { display: none; }
      }
      @media (max-height: 500px) and (orientation: landscape) {
        :host { grid-template-rows: auto 1fr; }
        header { padding: 0.2rem 0.6rem; }
        header .when { display: none; }
        .body { grid-template-columns: minmax(0, 1fr) 14rem; grid-template-rows: none; overflow: hidden; }
        .main { grid-template-rows: minmax(0, 1fr) auto; }
        dc-stage { height: auto; margin: 0.25rem; }
        .controls { padding: 0 0.5rem 0.25rem; gap: 0.35rem; }
        aside { border-top: 0; border-left: 1px solid var(--dc-line); padding: 0.35rem; }
      }
    `,
  ];

  @property({ attribute: false }) accessor archive: ReplayArchive | null = null;
  /** Deck records (page sizes) by id; the server's by default. */
  @property({ attribute: false }) accessor deckInfo: (id: string) => Promise<unknown> = loadDeckInfo;
  /** Session ms to open at. */
  @property({ type: Number }) accessor start = 0;
  /** A rewind of the live meeting: offers the way back to it. */
  @property({ type: Boolean }) accessor rewind = false;
  /**
   * The owner's XMPP connection and component, when the page has them: offers "Export video"
   * (<dc-export-video>, defined by the app with dc-sessions; never in the offline replay).
   */
  @property({ attribute: false }) accessor xmpp: unknown = null;
  @property() accessor component = "";

  @state() accessor tick = 0;
  @state() accessor info: DeckInfo | null = null;
  @state() accessor hits: SearchHit[] | null = null;
  @state() accessor problem = "";
  @state() accessor ready = false;

  @query("audio") accessor audio!: HTMLAudioElement;

  #player: ReplayPlayer | null = null;
  #frame: ReturnType<typeof setTimeout> | undefined;
  #digits = "";
  #digitsAt = 0;
  #deck: string | null = null;

  /** The player (for tests and the console). */
  get player(): ReplayPlayer | null {
    return this.#player;
  }

  override connectedCallback(): void {
    super.connectedCallback();
    window.addEventListener("keydown", this.#onKey);
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    window.removeEventListener("keydown", this.#onKey);
    clearTimeout(this.#frame);
    this.#frame = undefined;
    void this.#player?.close();
    this.#player = null;
  }

  protected override updated(changed: PropertyValues<this>): void {
    // After the first render too: the <audio> element exists by then.
    if (changed.has("archive")) void this.#open();
  }

  async #open() {
    const archive = this.archive;
    if (!archive || !this.audio) return;
    await this.#player?.close();
    this.#returned = false;
    const audio = this.audio;
    audio.preservesPitch = true;
    audio.src = archive.audioUrl();
    const player = (this.#player = new ReplayPlayer(archive, audio));
    (window as unknown as { __deckcastReplay: unknown }).__deckcastReplay = player;
    player.on("change", () => this.#changed());
    player.on("problem", (text) => (this.problem = text));
    const mine = () => this.#player === player;
    for (const ev of ["playing", "pause", "seeked", "ratechange", "waiting", "stalled"]) audio.addEventListener(ev, () => mine() && player.retime());
    // No playable audio (a session without voice, a browser without Ogg Opus): the replay plays silent.
    audio.addEventListener("error", () => mine() && player.useSilentClock());
    // A rewind: the meeting's audio has grown since the element loaded it.
    audio.addEventListener("timeupdate", () => {
      if (mine() && player.audioNeedsReload(false)) void this.#reloadAudio(player, audio);
    });
    // The audio may end before the session does (the voice stopped): the rest plays silent.
    audio.addEventListener("ended", () => {
      if (!mine()) return;
      if (player.audioNeedsReload(true)) {
        void this.#reloadAudio(player, audio);
        return;
      }
      if (this.#reloading) return;
      if (player.media === audio && audio.currentTime * 1000 < player.duration - 250) {
        player.useSilentClock();
        void player.play();
      } else this.#changed();
    });
    try {
      await player.open(this.start);
      this.ready = true;
    } catch (err) {
      this.problem = err instanceof Error ? err.message : "This session could not be loaded.";
    }
  }

  /** Reloads of a rewind's audio so far (the cache-busting query), and one under way. */
  #reloads = 0;
  #reloading = false;
  #returned = false;

  /**
   * Loads the live archive's audio again, at the same position and speed, and plays on; if
   * it did not grow (nobody spoke since), the rest plays on the silent clock as before.
   */
  async #reloadAudio(player: ReplayPlayer, audio: HTMLAudioElement) {
    if (this.#reloading || !this.archive) return;
    this.#reloading = true;
    const at = audio.currentTime;
    const rate = audio.playbackRate;
    const before = audio.duration;
    const url = this.archive.audioUrl();
    try {
      const loaded = new Promise<boolean>((resolve) => {
        const done = (ok: boolean) => () => {
          audio.removeEventListener("loadedmetadata", yes);
          audio.removeEventListener("error", no);
          resolve(ok);
        };
        const yes = done(true);
        const no = done(false);
        audio.addEventListener("loadedmetadata", yes);
        audio.addEventListener("error", no);
      });
      audio.src = `${url}${url.includes("?") ? "&" : "?"}grown=${++this.#reloads}`;
      audio.defaultPlaybackRate = rate;
      audio.playbackRate = rate;
      audio.preservesPitch = true;
      audio.currentTime = at; // before metadata: the position playing starts from
      const ok = await loaded;
      if (this.#player !== player) return;
      if (ok && audio.currentTime !== at) audio.currentTime = at;
      audio.playbackRate = rate;
      if (!ok || !(audio.duration > before + 0.05)) {
        if (ok) player.useSilentClock();
        await player.play();
        return;
      }
      await player.play();
    } finally {
      this.#reloading = false;
    }
  }

  #changed() {
    if (this.rewind && !this.#returned && this.#player?.caughtUp) {
      // Caught up with the meeting: back to it (as L does).
      this.#returned = true;
      this.#backToLive();
      return;
    }
    const id = this.#player?.view?.deck?.id ?? null;
    if (id !== this.#deck) {
      this.#deck = id;
      this.info = null;
      if (id) {
        this.deckInfo(id).then(
          (info) => {
            if (this.#deck === id) this.info = info as DeckInfo;
          },
          () => undefined, // 16:9 until known
        );
      }
    }
    this.tick++;
    // While playing, the position moves on its own: the time, the seek bar and the chat follow
    // a few times a second (the picture changes with the player's own events).
    if (this.#player?.playing && this.#frame === undefined) {
      this.#frame = setTimeout(() => {
        this.#frame = undefined;
        this.#changed();
      }, POSITION_MS);
    }
  }

  override render() {
    void this.tick;
    const p = this.#player;
    const m = this.archive?.manifest;
    const v: RoomState | null = p?.view ?? null;
    const page = v?.page ?? 1;
    const deck = v?.deck ?? null;
    const ratio = pageRatio(this.info, page);
    const drawing: Stroke[] = Object.values(v?.drawing ?? {}).filter((d) => d.page === page);
    const chat = p?.chatNow() ?? [];
    return html`
      <header>
        <h1>${m?.title || "Session"}</h1>
        ${this.rewind
          ? html`<span class="when dim" role="status">Rewinding the live meeting</span>`
          : html`<span class="when dim">${m ? new Date(m.createdAt).toLocaleString() : ""}</span>`}
        <span class="grow"></span>
        ${this.xmpp && this.component && m && !m.live && !this.rewind
          ? html`<dc-export-video .xmpp=${this.xmpp} .component=${this.component} .session=${m.session}></dc-export-video>`
          : nothing}
        ${this.rewind
          ? html`<button class="rewind" @click=${this.#backToLive} title="Back to the live meeting (L)">Back to live</button>`
          : nothing}
      </header>
      <audio preload="auto" hidden></audio>
      <div class="body">
        <div class="main">
          ${this.problem ? html`<p class="error problem" role="alert">${this.problem}</p>` : nothing}
          <dc-stage
            .deck=${deck?.id ?? null}
            .pages=${deck?.pages ?? 0}
            .page=${page}
            .ratio=${ratio}
            .strokes=${v?.ink[page] ?? []}
            .drawing=${drawing}
            .pointer=${v?.pointer && v.pointer.page === page ? v.pointer : null}
          >
            <span slot="empty">${this.ready ? "No deck was open at this time." : "Loading the session…"}</span>
          </dc-stage>
          <div class="controls">
            <button class="primary play" @click=${() => void p?.toggle()} ?disabled=${!this.ready} aria-label=${p?.playing ? "Pause" : "Play"} title="Play/pause (Space)">
              ${p?.playing ? "❚❚" : "▶"}
            </button>
            <span class="time" aria-live="off">${formatTime(p?.position ?? 0)} / ${formatTime(p?.duration ?? 0)}</span>
            <dc-seek-bar
              .duration=${p?.duration ?? 0}
              .position=${p?.position ?? 0}
              .marks=${p?.marks ?? []}
              .thumb=${this.archive ? (d: string, n: number) => this.archive!.thumbUrl(d, n) : null}
              @dc-seek=${(e: CustomEvent<SeekTo>) => void p?.seek(e.detail.t)}
            ></dc-seek-bar>
            <select aria-label="Speed" .value=${String(p?.rate ?? 1)} @change=${(e: Event) => p?.setRate(Number((e.target as HTMLSelectElement).value))}>
              ${SPEEDS.map((s) => html`<option value=${String(s)} ?selected=${(p?.rate ?? 1) === s}>${s}×</option>`)}
            </select>
          </div>
        </div>
        <aside>
          <section>
            <h2>Search the slides</h2>
            <form @submit=${this.#onSearch} role="search">
              <input name="q" type="search" placeholder="A word on a slide" aria-label="Search the slides" autocomplete="off" />
              <button type="submit">Find</button>
            </form>
          </section>
          ${this.hits === null
            ? html`<span></span>`
            : this.hits.length === 0
              ? html`<p class="note" role="status">No slide shown in this session has that text.</p>`
              : html`<ul class="hits" aria-label="Slides with that text">
                  ${this.hits.map(
                    (h) => html`<li><strong>Page ${h.page}</strong> <span class="dim">${h.snippet}</span><br />
                      ${h.times.map((t) => html`<button class="jump" @click=${() => void p?.seek(t)} aria-label="Go to ${formatTime(t)}">${formatTime(t)}</button>`)}</li>`,
                  )}
                </ul>`}
          <ol class="chat" aria-label="Chat">
            ${chat.length === 0 ? html`<li class="note">No chat yet at this time.</li>` : nothing}
            ${chat.map((c) => html`<li><span class="nick">${c.nick} · ${formatTime(c.t)}</span>${c.text}</li>`)}
          </ol>
        </aside>
      </div>
    `;
  }

  #onSearch = (e: SubmitEvent) => {
    e.preventDefault();
    const q = new FormData(e.target as HTMLFormElement).get("q");
    const query = typeof q === "string" ? q : "";
    if (!query.trim()) {
      this.hits = null;
      return;
    }
    void this.#player?.search(query).then((hits) => (this.hits = hits));
  };

  #backToLive = () => {
    this.dispatchEvent(new CustomEvent("dc-back-to-live", { bubbles: true, composed: true }));
  };

  #onKey = (e: KeyboardEvent) => {
    const p = this.#player;
    if (!p || typingInField(e) || e.ctrlKey || e.metaKey || e.altKey) return;
    // Space on a focused button presses that button; the player must not toggle as well.
    const target = e.composedPath()[0] as HTMLElement | undefined;
    if (e.key === " " && (target?.tagName === "BUTTON" || target?.tagName === "A")) return;
    const handled = ((): boolean => {
      switch (e.key) {
        case " ":
          void p.toggle();
          return true;
        case "ArrowLeft":
          void p.seek(p.position - STEP_MS);
          return true;
        case "ArrowRight":
          void p.seek(p.position + STEP_MS);
          return true;
        case "Home":
          void p.seek(0);
          return true;
        case "End":
          void p.seek(p.duration);
          return true;
        case "l":
        case "L":
          if (!this.rewind) return false;
          this.#backToLive();
          return true;
      }
      if (/^[0-9]$/.test(e.key)) {
        const now = performance.now();
        this.#digits = (now - this.#digitsAt < DIGITS_MS ? this.#digits + e.key : e.key).slice(-3);
        this.#digitsAt = now;
        const t = p.firstTimeOf(Number(this.#digits));
        if (t !== null) void p.seek(t);
        return true;
      }
      return false;
    })();
    if (handled) {
      e.preventDefault();
      e.stopImmediatePropagation();
    }
  };
}

declare global {
  interface HTMLElementTagNameMap {
    "dc-replay": DcReplay;
  }
  interface HTMLElementEventMap {
    "dc-back-to-live": CustomEvent<void>;
  }
}
