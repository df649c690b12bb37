/**
 * <dc-meeting>: one meeting on screen, for the presenter and for followers alike; what the
 * person can do follows from whether they hold the presenter role right now (it can be
 * handed over mid-meeting).
 *
 * It owns no protocol logic: the MeetingSession (app/meeting-session.ts) gives the room
 * state to show and takes the presenter's events; the InkRecorder turns pointer input into
 * ink events. This element lays out the children, passes them what they show, and turns
 * their events and the keyboard into calls on the session.
 *
 * Keys: → ↓ PageDown Space next, ← ↑ PageUp Shift+Space previous, Home/End, digits + Enter
 * go to a page, F fullscreen, Esc back to live; presenter: P H L E tools, Ctrl+Z undo.
 */
import { LitElement, html, nothing, svg, type PropertyValues } from "lit";
import { customElement, property, state } from "lit/decorators.js";
import type { DeckEvent, RoomState, Stroke } from "../../../protocol/types.ts";
import type { ChatMessage } from "../app/chat.ts";
import { loadDeckInfo, pageRatio, type DeckInfo } from "../app/deck-info.ts";
import { describeError } from "../app/errors.ts";
import { rememberMic, rememberedMeeting } from "../app/login-session.ts";
import { PageKeys, typingInField, type KeyAction } from "../app/keys.ts";
import { MeetingAudio } from "../app/meeting-audio.ts";
import type { ConnectionState, MeetingSession } from "../app/meeting-session.ts";
import type { Occupant } from "../app/occupants.ts";
import type { UploadProgress } from "../app/upload.ts";
import { InkRecorder, type Tool } from "../ink/recorder.ts";
import { meetingStyles } from "./dc-meeting.styles.ts";
import type { InkInput } from "./dc-stage.ts";
import type { ListenCommand } from "./dc-listen.ts";
import type { MicCommand } from "./dc-mic.ts";
import { COLORS, WIDTHS, type InkCommand, type ToolChange } from "./dc-ink-toolbar.ts";
import "./dc-chat.ts";
import "./dc-connection.ts";
import "./dc-ink-toolbar.ts";
import "./dc-listen.ts";
import "./dc-live-bar.ts";
import "./dc-mic.ts";
import "./dc-people.ts";
import "./dc-presenter-away.ts";
import "./dc-share.ts";
import "./dc-stage.ts";
import "./dc-thumbs.ts";
import "./dc-upload.ts";

const FULLSCREEN_ICON = html`<svg width="16" height="16" viewBox="0 0 16 16" aria-hidden="true" style="vertical-align:-2px">${svg`<path d="M1 5V1h4M11 1h4v4M15 11v4h-4M5 15H1v-4" fill="none" stroke="currentColor" stroke-width="2"/>`}</svg>`;

/** Problems stay on screen this long unless dismissed. */
const PROBLEM_MS = 9000;
/** The presenter's microphone counts as on while relayed audio (100 ms pages) came this recently. */
const AUDIO_QUIET_MS = 2500;

/** The meeting ended (`dc-meeting-ended`): whether this person was presenting (or pressed End), and its title. */
export interface MeetingEnded {
  presenter: boolean;
  title: string;
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

  @state() accessor view: RoomState | null = null;
  @state() accessor presenting = false;
  @state() accessor people: readonly Occupant[] = [];
  @state() accessor messages: readonly ChatMessage[] = [];
  @state() accessor connection: ConnectionState = "connecting";
  /** A follower browsing on their own: the page they look at (null = live). */
  @state() accessor privatePage: number | null = null;
  @state() accessor deckInfo: DeckInfo | null = null;
  @state() accessor upload: UploadProgress | null = null;
  @state() accessor problem = "";
  @state() accessor tab: "people" | "chat" = "chat";
  @state() accessor unread = 0;
  @state() accessor tool: Tool | null = null;
  @state() accessor color: string = COLORS[0].value;
  @state() accessor width: number = WIDTHS[1].value;
  @state() accessor digits = "";
  /** Bumped when the stroke being drawn grows between batches. */
  @state() accessor inkTick = 0;
  /** Bumped when the microphone or the sound changed (MeetingAudio holds the values). */
  @state() accessor audioTick = 0;
  /** Relayed audio is arriving: the presenter's microphone is on. */
  @state() accessor voice = false;
  #audio: MeetingAudio | null = null;
  #voiceTimer: ReturnType<typeof setTimeout> | undefined;
  /** dc-meeting-ended was sent; this person pressed End. */
  #endAnnounced = false;
  #endedByMe = false;

  #keys = new PageKeys();
  #problemTimer: ReturnType<typeof setTimeout> | undefined;
  #off: (() => void)[] = [];
  #recorder = new InkRecorder({
    clock: () => this.session?.clock() ?? 0,
    send: (events) => this.#present(events),
    strokes: (page) => this.view?.ink[page] ?? [],
    ratio: () => pageRatio(this.deckInfo, this.shownPage),
    changed: () => this.inkTick++,
  });

  /** The page on this person's stage. */
  get shownPage(): number {
    const live = this.view?.page ?? 1;
    return this.presenting ? live : (this.privatePage ?? live);
  }

  override connectedCallback(): void {
    super.connectedCallback();
    window.addEventListener("keydown", this.#onKey);
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    window.removeEventListener("keydown", this.#onKey);
    clearTimeout(this.#voiceTimer);
    this.#recorder.finish();
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
      if (this.presenting !== s.presenting) {
        this.presenting = s.presenting;
        if (!s.presenting) this.#recorder.finish();
        // A new presenter can draw at once: the pen is picked (P H L E change it, Esc leaves it).
        this.tool = s.presenting ? "pen" : null;
        this.privatePage = null;
      }
      this.people = s.people;
      if (s.messages !== this.messages) {
        const added = s.messages.length - this.messages.length;
        if (this.tab !== "chat" && added > 0) this.unread += added;
        this.messages = s.messages;
      }
      this.connection = s.connection;
      if (s.view?.deck?.id !== before?.deck?.id) this.#deckChanged(s.view?.deck?.id ?? null);
      if (this.privatePage !== null && this.privatePage === s.view?.page) this.privatePage = null;
    };
    this.#off.push(
      s.on("change", sync),
      s.on("problem", (text) => this.#showProblem(text)),
      audio.on("change", () => this.audioTick++),
      // A reload offers the microphone again when it was on (app/login-session.ts).
      audio.mic.on("change", () => rememberMic(this.code, audio.mic.state !== "off")),
      s.on("audio", () => this.#heardVoice()),
      audio.on("problem", (text) => this.#showProblem(text)),
    );
    sync();
  }

  #deckChanged(id: string | null) {
    this.privatePage = null;
    this.deckInfo = null;
    if (!id) return;
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
    this.#recorder.finish();
    const detail: MeetingEnded = { presenter: this.presenting || this.#endedByMe, title: s.view?.title ?? s.confirmed?.title ?? "" };
    this.dispatchEvent(new CustomEvent<MeetingEnded>("dc-meeting-ended", { detail, bubbles: true, composed: true }));
  }

  /** Relayed audio arrived: the presenter's microphone is on until it has been quiet for a while. */
  #heardVoice() {
    this.voice = true;
    clearTimeout(this.#voiceTimer);
    this.#voiceTimer = setTimeout(() => (this.voice = false), AUDIO_QUIET_MS);
  }

  protected override updated(): void {
    // The landscape phone layout sizes the slide's column from the page's shape.
    this.style.setProperty("--ratio", String(pageRatio(this.deckInfo, this.shownPage)));
  }

  override render() {
    const v = this.view;
    if (!v) return html`<p class="loading">Joining the meeting…</p>`;
    if (this.#endAnnounced || v.ended) {
      return html`<div class="closed"><div class="card" role="status"><h1>${v.title || "Meeting"}</h1><p>The meeting has ended. Thank you for joining.</p></div></div>`;
    }
    const page = this.shownPage;
    const deck = v.deck;
    const ratio = pageRatio(this.deckInfo, page);
    return html`
      <header>
        <div class="title">
          <h1>${v.title || "Meeting"}</h1>
          <span class="dim">${this.presenting ? "You are presenting" : v.presenter ? `${v.presenter} is presenting` : ""}</span>
        </div>
        <div class="actions">
          ${this.#audio && !this.presenting
            ? html`<dc-listen ?listening=${this.#audio.listening} ?muted=${this.#audio.muted} .volume=${this.#audio.volume} ?voice=${this.voice} @dc-listen=${this.#onListen}></dc-listen>`
            : nothing}
          <button @click=${this.#fullscreen} title="Fullscreen (F)" aria-label="Fullscreen">${FULLSCREEN_ICON}<span class="wide"> Fullscreen</span></button>
          ${this.presenting ? html`<button class="danger" @click=${this.#end}>End<span class="wide"> meeting</span></button>` : nothing}
        </div>
      </header>
      <dc-connection .state=${this.connection} .page=${v.page}></dc-connection>
      <dc-presenter-away .session=${this.session}></dc-presenter-away>
      ${this.problem ? html`<div class="problem" role="alert"><span>${this.problem}</span><button @click=${() => (this.problem = "")} aria-label="Dismiss">✕</button></div>` : nothing}
      <div class="body">
        <section class="stage-area" aria-label="Slides">
          ${this.presenting && deck
            ? html`<dc-ink-toolbar .tool=${this.tool} .color=${this.color} .width=${this.width} @dc-tool-change=${this.#onTool} @dc-ink-command=${this.#onInkCommand}></dc-ink-toolbar>`
            : nothing}
          <dc-stage
            style="--ratio:${ratio}"
            .deck=${deck?.id ?? null}
            .pages=${deck?.pages ?? 0}
            .page=${page}
            .ratio=${ratio}
            .strokes=${v.ink[page] ?? []}
            .drawing=${this.#drawing(v, page)}
            .pointer=${v.pointer && v.pointer.page === page ? v.pointer : null}
            .input=${this.presenting && deck ? this.tool : null}
            @dc-ink-input=${this.#onInk}
          >
            <span slot="empty">${this.presenting ? "Upload a deck to start presenting." : "Waiting for the presenter to open a deck…"}</span>
          </dc-stage>
          ${this.digits ? html`<div class="digits" aria-live="assertive">Go to page ${this.digits}…</div>` : nothing}
          ${deck ? this.#nav(v, page) : nothing}
          ${deck
            ? html`<dc-thumbs .deck=${deck.id} .pages=${deck.pages} .current=${page} .live=${this.presenting ? 0 : v.page} .ratio=${ratio}
                @dc-page-select=${(e: CustomEvent<{ page: number }>) => this.#goTo(e.detail.page)}></dc-thumbs>`
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
      <button aria-label="Previous page" ?disabled=${page <= 1} @click=${() => this.#goTo(page - 1)}>‹</button>
      ${this.presenting
        ? html`<span class="where">Page ${page} of ${pages}</span>`
        : html`<dc-live-bar .page=${page} .live=${v.page} .pages=${pages} @dc-back-to-live=${() => (this.privatePage = null)}></dc-live-bar>`}
      <button aria-label="Next page" ?disabled=${page >= pages} @click=${() => this.#goTo(page + 1)}>›</button>
    </div>`;
  }

  /** Strokes being drawn on `page`, with the presenter's own stroke as drawn so far (not only as sent). */
  #drawing(v: RoomState, page: number): Stroke[] {
    void this.inkTick;
    const mine = this.presenting ? this.#recorder.current : null;
    const list = Object.values(v.drawing).filter((d) => d.page === page && d.stroke !== mine?.stroke);
    if (mine && mine.page === page) list.push(mine);
    return list;
  }

  /** Presenter: turn the room's page. Follower: browse on their own. */
  #goTo(page: number) {
    const v = this.view;
    if (!v?.deck) return;
    const p = Math.min(v.deck.pages, Math.max(1, Math.round(page)));
    if (this.presenting) {
      if (p === v.page) return;
      this.#recorder.finish();
      this.#present([{ type: "page", t: this.session!.clock(), page: p }]);
    } else {
      this.privatePage = p === v.page ? null : p;
    }
  }

  #present(events: DeckEvent[]) {
    this.session?.present(events);
  }

  #onKey = (e: KeyboardEvent) => {
    if (typingInField(e) || !this.view || this.#endAnnounced) return;
    const action = this.#keys.read(e);
    if (!action) return;
    if (this.#handleKey(action)) e.preventDefault();
    this.digits = this.#keys.digits;
  };

  /** True when the key was used. */
  #handleKey(a: KeyAction): boolean {
    const page = this.shownPage;
    const pages = this.view?.deck?.pages ?? 0;
    switch (a.kind) {
      case "next":
        this.#goTo(page + 1);
        return true;
      case "prev":
        this.#goTo(page - 1);
        return true;
      case "first":
        this.#goTo(1);
        return true;
      case "last":
        this.#goTo(pages);
        return true;
      case "goto":
        this.#goTo(a.page);
        return true;
      case "digits":
        return pages > 0;
      case "escape":
        if (this.digits) return true; // only the page number being typed is dropped
        if (this.privatePage !== null) this.privatePage = null;
        else if (this.tool) this.tool = null;
        return true;
      case "fullscreen":
        this.#fullscreen();
        return true;
      case "tool":
        if (!this.presenting) return false;
        this.#setTool(a.tool); // a key picks its tool; Esc leaves it
        return true;
      case "undo":
        if (!this.presenting) return false;
        this.#inkCommand("undo");
        return true;
    }
  }

  #setTool(tool: Tool | null) {
    if (tool !== this.tool) this.#recorder.finish();
    this.tool = tool;
  }

  #onTool = (e: CustomEvent<ToolChange>) => {
    if (e.detail.tool !== undefined) this.#setTool(e.detail.tool);
    if (e.detail.color) this.color = e.detail.color;
    if (e.detail.width) this.width = e.detail.width;
  };

  #onInkCommand = (e: CustomEvent<InkCommand>) => this.#inkCommand(e.detail.command);

  #inkCommand(command: InkCommand["command"]) {
    const page = this.shownPage;
    this.#recorder.finish();
    const t = this.session?.clock() ?? 0;
    if (command === "clear" && (this.view?.ink[page]?.length ?? 0) > 0) this.#present([{ type: "ink-clear", t, page }]);
    if (command === "undo" && (this.view?.ink[page]?.length ?? 0) > 0) this.#present([{ type: "ink-undo", t, page }]);
  }

  #onInk = (e: CustomEvent<InkInput>) => {
    if (!this.tool || !this.presenting) return;
    const width = this.tool === "highlighter" ? this.width * 4 : this.width;
    this.#recorder.input(this.tool, { color: this.color, width }, this.shownPage, e.detail.phase, e.detail.points);
  };

  async #onUpload(e: CustomEvent<{ file: File }>) {
    const s = this.session;
    if (!s) return;
    const file = e.detail.file;
    try {
      const deck = await s.upload(file, (p) => (this.upload = p));
      this.#recorder.finish();
      this.#present([{ type: "deck-open", t: s.clock(), deck }]);
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
