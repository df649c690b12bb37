/**
 * <dc-meeting>: one meeting on screen, for the presenter and for followers alike; what the
 * person can do follows from whether they hold the presenter role right now (it can be
 * handed over mid-meeting).
 *
 * Layout and wiring only: the MeetingSession (app/meeting-session.ts) gives the room state
 * to show and takes the presenter's events; PresenterControls (app/presenter-controls.ts)
 * turns the keyboard, the ink toolbar, pointer input and the page buttons into those events
 * (keys are listed there) and holds the tool and the page shown. This element lays out the
 * children, passes them what they show, and hands their events to the two.
 */
import { LitElement, html, nothing, svg, type PropertyValues } from "lit";
import { customElement, property, state } from "lit/decorators.js";
import type { RoomState } from "../../../protocol/types.ts";
import type { RecordingStatus } from "../../../protocol/recording-status.ts";
import type { ChatMessage } from "../app/chat.ts";
import { loadDeckInfo, pageRatio, type DeckInfo } from "../app/deck-info.ts";
import { describeError } from "../app/errors.ts";
import { rememberMic, rememberedMeeting } from "../app/login-session.ts";
import { typingInField } from "../app/keys.ts";
import { MeetingAudio } from "../app/meeting-audio.ts";
import type { ConnectionState, MeetingSession } from "../app/meeting-session.ts";
import type { Occupant } from "../app/occupants.ts";
import { PresenterControls } from "../app/presenter-controls.ts";
import { VoiceActivity } from "../app/voice-activity.ts";
import type { UploadProgress } from "../app/upload.ts";
import { meetingStyles } from "./dc-meeting.styles.ts";
import type { InkInput, StageWidth } from "./dc-stage.ts";
import { deckPrefetch, type DeckPrefetchStatus } from "../app/deck-prefetch.ts";
import { deckOfflineText } from "./dc-deck-offline.ts";
import type { ListenCommand } from "./dc-listen.ts";
import type { MicCommand } from "./dc-mic.ts";
import { COLORS, WIDTHS, type InkCommand, type ToolChange } from "./dc-ink-toolbar.ts";
import "./dc-chat.ts";
import "./dc-connection.ts";
import "./dc-ink-toolbar.ts";
import "./dc-listen.ts";
import "./dc-live-bar.ts";
import { PhoneFollow } from "../app/phone-follow.ts";
import "./dc-recording.ts";
import "./dc-mic.ts";
import "./dc-people.ts";
import "./dc-presenter-away.ts";
import "./dc-share.ts";
import "./dc-stage.ts";
import "./dc-thumbs.ts";
import type { PageSelect } from "./dc-thumbs.ts";
import "./dc-upload.ts";
import "./dc-replay.ts";
import type { ReplayArchive } from "../../../client-core/replay-archive.ts";
import { HttpReplayArchive } from "../app/replay-http.ts";

const FULLSCREEN_ICON = html`<svg width="16" height="16" viewBox="0 0 16 16" aria-hidden="true" style="vertical-align:-2px">${svg`<path d="M1 5V1h4M11 1h4v4M15 11v4h-4M5 15H1v-4" fill="none" stroke="currentColor" stroke-width="2"/>`}</svg>`;

/** A rewind opens the replay this far back. */
const REWIND_MS = 30_000;

/** Problems stay on screen this long unless dismissed. */
const PROBLEM_MS = 9000;

/** The meeting ended (`dc-meeting-ended`): whether this person was presenting (or pressed End), and its title. */
export interface MeetingEnded {
  presenter: boolean;
  title: string;
  /** The meeting was live-only: nothing of it was kept. */
  liveOnly?: boolean;
}

@customElement("dc-meeting")
export class DcMeeting extends LitElement {
  static override styles = meetingStyles;

  @property({ attribute: false }) accessor session: MeetingSession | null = null;
  @property() accessor code = "";
  /** The join link for this meeting. */
  @property() accessor link = "";
  /** Logged in with an account: may upload decks and take the presenter role back. */
  @property({ type: Boolean }) accessor account = false;
  /** Mints a rewind token for this live meeting (app/replay-sessions.ts rewindLink); null: no rewind. */
  @property({ attribute: false }) accessor rewindLink: (() => Promise<{ token: string }>) | null = null;
  /** Rewinding: the player over the live archive, opened this long ago in session time. */
  @state() accessor rewinding: { archive: ReplayArchive; start: number } | null = null;
  /** The central server's base URL when this page came from an edge (ClientConfig.edge.upstream): deck manifests come from there. */
  @property({ attribute: false }) accessor upstream: string | null = null;
  /** The deck prefetch's progress (app/deck-prefetch.ts). */
  @state() accessor prefetch: DeckPrefetchStatus | null = null;
  #prefetchShown = "";
  #focusedPage = 0;

  @state() accessor view: RoomState | null = null;
  @state() accessor presenting = false;
  @state() accessor people: readonly Occupant[] = [];
  @state() accessor messages: readonly ChatMessage[] = [];
  @state() accessor connection: ConnectionState = "connecting";
  /** The recording's health (app/meeting-session.ts `recording`). */
  @state() accessor recording: RecordingStatus | null = null;
  @state() accessor deckInfo: DeckInfo | null = null;
  @state() accessor upload: UploadProgress | null = null;
  @state() accessor problem = "";
  @state() accessor tab: "people" | "chat" = "chat";
  @state() accessor unread = 0;
  /** Bumped when the controls changed (PresenterControls holds the tool, the page shown, the digits, the stroke being drawn). */
  @state() accessor controlsTick = 0;
  /** Bumped when the microphone or the sound changed (MeetingAudio holds the values). */
  @state() accessor audioTick = 0;
  /** Relayed audio is arriving: the presenter's microphone is on. */
  @state() accessor voice = false;
  #audio: MeetingAudio | null = null;
  /** Relayed audio arriving or not (app/voice-activity.ts). */
  readonly #voice = new VoiceActivity();
  /** dc-meeting-ended was sent; this person pressed End. */
  #endAnnounced = false;
  #endedByMe = false;

  #problemTimer: ReturnType<typeof setTimeout> | undefined;
  #off: (() => void)[] = [];
  #offControls: (() => void)[] = [];
  readonly #controls = new PresenterControls(
    {
      view: () => this.view,
      presenting: () => this.presenting,
      clock: () => this.session?.clock() ?? 0,
      present: (events) => this.session?.present(events),
      ratio: (page) => pageRatio(this.deckInfo, page),
    },
    { color: COLORS[0].value, width: WIDTHS[1].value },
  );

  /** The page on this person's stage. */
  get shownPage(): number {
    return this.#controls.shownPage;
  }

  /** The screen stays on and the voice shows on the lock screen while following (app/phone-follow.ts). */
  #phone = new PhoneFollow({ onPlay: () => this.#audio?.setMuted(false), onPause: () => this.#audio?.setMuted(true) });

  override connectedCallback(): void {
    super.connectedCallback();
    window.addEventListener("keydown", this.#onKey);
    this.#phone.start();
    this.#offControls = [
      this.#controls.on("change", () => this.controlsTick++),
      this.#controls.on("fullscreen", () => this.#fullscreen()),
      this.#voice.on("change", (on) => (this.voice = on)),
      // Every image held is a change; the meeting view re-renders only when what it shows changes.
      deckPrefetch.on("change", (st) => {
        const shown = st ? `${st.deck} ${deckOfflineText(st)} ${st.refused}` : "";
        if (shown === this.#prefetchShown) return;
        this.#prefetchShown = shown;
        this.prefetch = st;
      }),
    ];
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    window.removeEventListener("keydown", this.#onKey);
    this.#phone.stop();
    for (const off of this.#offControls) off();
    deckPrefetch.want(null, 0, 1, null);
    this.#voice.stop();
    this.#controls.finish();
    for (const off of this.#off) off();
    void this.#audio?.stop();
    this.#audio = null;
  }

  protected override willUpdate(changed: PropertyValues<this>): void {
    if (changed.has("session")) this.#subscribe();
  }

  #subscribe() {
    for (const off of this.#off) off();
    this.#off = [];
    void this.#audio?.stop();
    this.#audio = null;
    const s = this.session;
    if (!s) return;
    const audio = (this.#audio = new MeetingAudio(s));
    exposeForTests(s, audio);
    const sync = () => {
      const before = this.view;
      if (!this.#endAnnounced && (s.connection === "ended" || s.confirmed?.ended)) this.#announceEnd(s);
      this.view = s.view;
      this.presenting = s.presenting;
      // A role change, a new deck or reaching the live page (the controls pick the pen for a new presenter).
      this.#controls.sync();
      this.people = s.people;
      if (s.messages !== this.messages) {
        const added = s.messages.length - this.messages.length;
        if (this.tab !== "chat" && added > 0) this.unread += added;
        this.messages = s.messages;
      }
      this.connection = s.connection;
      this.recording = s.recording;
      this.#phone.setMedia(audio.listening && !s.presenting ? { title: s.view?.title ?? "", presenter: s.view?.presenter ?? null, playing: !audio.muted } : null);
      if (s.view?.deck?.id !== before?.deck?.id) this.#deckChanged(s.view?.deck?.id ?? null);
    };
    this.#off.push(
      s.on("change", sync),
      s.on("problem", (text) => this.#showProblem(text)),
      audio.on("change", () => {
        this.audioTick++;
        sync(); // listening or muted changed: the lock screen's media says so
      }),
      // A reload offers the microphone again when it was on (app/login-session.ts).
      audio.mic.on("change", () => rememberMic(this.code, audio.mic.state !== "off")),
      s.on("audio", () => this.#voice.heard()),
      audio.on("problem", (text) => this.#showProblem(text)),
    );
    sync();
  }

  #deckChanged(id: string | null) {
    this.deckInfo = null;
    if (!id) return deckPrefetch.want(null, 0, 1, null);
    loadDeckInfo(id).then(
      (info) => {
        if (this.view?.deck?.id === id) this.deckInfo = info;
      },
      (err: unknown) => this.#showProblem(describeError(err)),
    );
  }

  /** Tells the app once that the meeting is over (it shows the ending: the meeting list or a closing message). */
  #announceEnd(s: MeetingSession) {
    this.#endAnnounced = true;
    this.#controls.finish();
    const detail: MeetingEnded = { presenter: this.presenting || this.#endedByMe, title: s.view?.title ?? s.confirmed?.title ?? "", ...(s.recording?.state === "live-only" ? { liveOnly: true } : {}) };
    this.dispatchEvent(new CustomEvent<MeetingEnded>("dc-meeting-ended", { detail, bubbles: true, composed: true }));
  }

  protected override updated(): void {
    // The landscape phone layout sizes the slide's column from the page's shape.
    this.style.setProperty("--ratio", String(pageRatio(this.deckInfo, this.shownPage)));
    if (this.#focusedPage !== this.shownPage) deckPrefetch.focus((this.#focusedPage = this.shownPage));
  }

  /** The stage's deck or image width changed: the whole deck is prefetched at that width. */
  #onStageWidth = (e: CustomEvent<StageWidth>) => {
    if (e.detail.deck === this.view?.deck?.id) deckPrefetch.want(e.detail.deck, e.detail.width, this.shownPage, this.upstream);
  };

  override render() {
    const v = this.view;
    if (!v) return html`<p class="loading">Joining the meeting…</p>`;
    if (this.#endAnnounced || v.ended) {
      return html`<div class="closed"><div class="card" role="status"><h1>${v.title || "Meeting"}</h1><p>The meeting has ended. Thank you for joining.</p></div></div>`;
    }
    void this.controlsTick;
    const c = this.#controls;
    const page = c.shownPage;
    const deck = v.deck;
    const ratio = pageRatio(this.deckInfo, page);
    return html`
      <header>
        <div class="title">
          <h1>${v.title || "Meeting"}</h1>
          <span class="dim">${this.presenting ? "You are presenting" : v.presenter ? `${v.presenter} is presenting` : ""}<dc-deck-offline
            .status=${deck && this.prefetch?.deck === deck.id ? this.prefetch : null}></dc-deck-offline></span>
        </div>
        <div class="actions">
          ${this.#audio && !this.presenting
            ? html`<dc-listen ?listening=${this.#audio.listening} ?muted=${this.#audio.muted} .volume=${this.#audio.volume} ?voice=${this.voice} @dc-listen=${this.#onListen}></dc-listen>`
            : nothing}
          ${this.rewindLink && !this.presenting
            ? html`<button class="rewind" @click=${() => void this.#rewind()} title="Go back 30 seconds and replay (R); L returns to live">⟲<span class="wide"> Rewind</span></button>`
            : nothing}
          <button @click=${this.#fullscreen} title="Fullscreen (F)" aria-label="Fullscreen">${FULLSCREEN_ICON}<span class="wide"> Fullscreen</span></button>
          ${this.presenting ? html`<button class="danger" @click=${this.#end}>End<span class="wide"> meeting</span></button>` : nothing}
        </div>
      </header>
      <dc-recording .status=${this.recording} ?presenting=${this.presenting} .code=${this.code}></dc-recording>
      <dc-connection .state=${this.connection} .page=${v.page}></dc-connection>
      ${this.rewinding
        ? html`<dc-replay style="position:fixed;inset:0;z-index:50" rewind .archive=${this.rewinding.archive} .start=${this.rewinding.start} @dc-back-to-live=${this.#backToLive}></dc-replay>`
        : nothing}
      <dc-presenter-away .session=${this.session}></dc-presenter-away>
      ${this.problem ? html`<div class="problem" role="alert"><span>${this.problem}</span><button @click=${() => (this.problem = "")} aria-label="Dismiss">✕</button></div>` : nothing}
      <div class="body">
        <section class="stage-area" aria-label="Slides">
          ${this.presenting && deck
            ? html`<dc-ink-toolbar .tool=${c.tool} .color=${c.color} .width=${c.width} @dc-tool-change=${this.#onTool} @dc-ink-command=${this.#onInkCommand}></dc-ink-toolbar>`
            : nothing}
          <dc-stage
            style="--ratio:${ratio}"
            .deck=${deck?.id ?? null}
            .pages=${deck?.pages ?? 0}
            .page=${page}
            .ratio=${ratio}
            .strokes=${v.ink[page] ?? []}
            .drawing=${c.drawing(page)}
            .pointer=${v.pointer && v.pointer.page === page ? v.pointer : null}
            .input=${this.presenting && deck ? c.tool : null}
            @dc-ink-input=${this.#onInk}
            @dc-stage-width=${this.#onStageWidth}
          >
            <span slot="empty">${this.presenting ? "Upload a deck to start presenting." : "Waiting for the presenter to open a deck…"}</span>
          </dc-stage>
          ${c.digits ? html`<div class="digits" aria-live="assertive">Go to page ${c.digits}…</div>` : nothing}
          ${deck ? this.#nav(v, page) : nothing}
          ${deck
            ? html`<dc-thumbs .deck=${deck.id} .pages=${deck.pages} .current=${page} .live=${this.presenting ? 0 : v.page} .ratio=${ratio}
                .offline=${this.prefetch?.done === true && this.prefetch.deck === deck.id}
                @dc-page-select=${(e: CustomEvent<PageSelect>) => c.goTo(e.detail.page)}></dc-thumbs>`
            : nothing}
        </section>
        <aside>
          ${this.presenting && this.#audio
            ? html`<section class="box"><h2>Microphone</h2><dc-mic .state=${this.#audio.mic.state} .error=${this.#audio.mic.error} .inputs=${this.#audio.inputs}
                .device=${this.#audio.mic.deviceId} .level=${this.#level} ?resume=${!!rememberedMeeting(this.code)?.mic} @dc-mic-command=${this.#onMic}></dc-mic></section>`
            : nothing}
          ${this.presenting && this.account
            ? html`<section class="box"><h2>Deck</h2><dc-upload .progress=${this.upload} @dc-upload-file=${this.#onUpload}></dc-upload></section>`
            : nothing}
          ${this.presenting
            ? html`<details class="box" ?open=${this.people.length <= 1}><summary><h2>Invite people</h2></summary><dc-share .link=${this.link} .code=${this.code}></dc-share></details>`
            : nothing}
          <div class="tabs" role="tablist">
            <button role="tab" aria-selected=${this.tab === "chat"} @click=${() => this.#showTab("chat")}>Chat${this.unread ? html` <span class="count">${this.unread}</span>` : nothing}</button>
            <button role="tab" aria-selected=${this.tab === "people"} @click=${() => this.#showTab("people")}>People <span class="count dim">${this.people.length}</span></button>
          </div>
          <div class="panel" role="tabpanel">
            ${this.tab === "chat"
              ? html`<dc-chat .messages=${this.messages} ?disabled=${this.connection !== "online"} @dc-chat-send=${this.#onChat}></dc-chat>`
              : html`<dc-people .people=${this.people} .presenter=${v.presenter} ?canHandOver=${(this.presenting || this.account) && !v.ended} @dc-hand-over=${this.#onHandOver}></dc-people>`}
          </div>
        </aside>
      </div>
    `;
  }

  #nav(v: RoomState, page: number) {
    const pages = v.deck?.pages ?? 0;
    return html`<div class="nav">
      <button aria-label="Previous page" ?disabled=${page <= 1} @click=${() => this.#controls.goTo(page - 1)}>‹</button>
      ${this.presenting
        ? html`<span class="where">Page ${page} of ${pages}</span>`
        : html`<dc-live-bar .page=${page} .live=${v.page} .pages=${pages} @dc-back-to-live=${() => this.#controls.backToLive()}></dc-live-bar>`}
      <button aria-label="Next page" ?disabled=${page >= pages} @click=${() => this.#controls.goTo(page + 1)}>›</button>
    </div>`;
  }

  #onKey = (e: KeyboardEvent) => {
    if (typingInField(e) || this.#endAnnounced || this.rewinding) return; // a rewind's player has the keys
    if ((e.key === "r" || e.key === "R") && !e.ctrlKey && !e.metaKey && !e.altKey && this.rewindLink && !this.presenting) {
      e.preventDefault();
      void this.#rewind();
      return;
    }
    if (this.#controls.key(e)) e.preventDefault();
  };

  /** Rewind: the replay player over this live meeting's archive, 30 s back; the live sound pauses meanwhile. */
  async #rewind() {
    if (this.rewinding || !this.rewindLink) return;
    try {
      const { token } = await this.rewindLink();
      const archive = await HttpReplayArchive.open(token);
      this.#mutedBeforeRewind = this.#audio?.muted ?? false;
      this.#audio?.setMuted(true);
      // The player covers the page: a fullscreen slide would hide it.
      if (document.fullscreenElement) void document.exitFullscreen().catch(() => undefined);
      this.rewinding = { archive, start: Math.max(0, (this.session?.clock() ?? 0) - REWIND_MS) };
    } catch (err) {
      this.#showProblem(`Rewinding is not possible now. ${describeError(err)}`);
    }
  }

  #backToLive = () => {
    this.rewinding = null;
    this.#audio?.setMuted(this.#mutedBeforeRewind);
  };

  #mutedBeforeRewind = false;

  #onTool = (e: CustomEvent<ToolChange>) => this.#controls.pick(e.detail);

  #onInkCommand = (e: CustomEvent<InkCommand>) => this.#controls.command(e.detail.command);

  #onInk = (e: CustomEvent<InkInput>) => this.#controls.ink(e.detail.phase, e.detail.points);

  async #onUpload(e: CustomEvent<{ file: File }>) {
    const s = this.session;
    if (!s) return;
    const file = e.detail.file;
    try {
      const deck = await s.upload(file, (p) => (this.upload = p));
      this.#controls.openDeck(deck);
    } catch (err) {
      this.upload = { phase: "failed", file: file.name, message: err instanceof Error ? err.message : describeError(err) };
    }
  }

  #level = () => this.#audio?.mic.level() ?? 0;

  #onMic(e: CustomEvent<MicCommand>) {
    const audio = this.#audio;
    if (!audio) return;
    const d = e.detail;
    const done =
      d.command === "on" ? audio.mic.start()
      : d.command === "off" ? audio.mic.stop()
      : d.command === "device" ? audio.mic.choose(d.id)
      : audio.mic.setMuted(d.command === "mute");
    done.catch((err: unknown) => this.#showProblem(describeError(err)));
  }

  #onListen(e: CustomEvent<ListenCommand>) {
    const audio = this.#audio;
    const d = e.detail;
    if (!audio) return;
    if (d.command === "listen") audio.listen().catch((err: unknown) => this.#showProblem(`The sound could not be started. ${describeError(err)}`));
    else if (d.command === "volume") audio.setVolume(d.volume);
    else audio.setMuted(d.command === "mute");
  }

  #onChat(e: CustomEvent<{ text: string }>) {
    this.session?.sendChat(e.detail.text).catch((err: unknown) => this.#showProblem(`Your message was not sent. ${describeError(err)}`));
  }

  #onHandOver(e: CustomEvent<{ nick: string }>) {
    this.session?.handOver(e.detail.nick).catch((err: unknown) => this.#showProblem(describeError(err)));
  }

  #showTab(tab: "people" | "chat") {
    this.tab = tab;
    if (tab === "chat") this.unread = 0;
  }

  #fullscreen() {
    if (document.fullscreenElement) void document.exitFullscreen();
    else this.renderRoot.querySelector<HTMLElement>(".stage-area")?.requestFullscreen?.().catch(() => this.#showProblem("This browser does not allow fullscreen here."));
  }

  async #end() {
    if (!confirm("End the meeting for everyone?")) return;
    this.#endedByMe = true;
    await this.session?.flush();
    this.session?.end().catch((err: unknown) => {
      this.#endedByMe = false;
      this.#showProblem(describeError(err));
    });
  }

  #showProblem(text: string) {
    this.problem = text;
    clearTimeout(this.#problemTimer);
    this.#problemTimer = setTimeout(() => (this.problem = ""), PROBLEM_MS);
  }
}

/**
 * `window.__deckcast`: the meeting's session and audio, for the browser tests and
 * benchmarks (test/e2e, bench/) and for debugging from the console.
 */
function exposeForTests(session: MeetingSession, audio: MeetingAudio) {
  (window as unknown as { __deckcast: unknown }).__deckcast = { session, audio };
}

declare global {
  interface HTMLElementTagNameMap {
    "dc-meeting": DcMeeting;
  }
  interface HTMLElementEventMap {
    "dc-meeting-ended": CustomEvent<MeetingEnded>;
  }
}
