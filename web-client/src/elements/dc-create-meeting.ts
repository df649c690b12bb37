/**
 * <dc-create-meeting>: a logged-in person starts a meeting (title, their name in it, and
 * whether it is recorded: "Record this session", checked by default; unchecked, the meeting
 * is live-only and nothing of it is kept). Beside the choice: whether the server can record
 * at all and its disk's room (`check`, asked every 5 s while the form shows). A notice above
 * the form says what just happened (a meeting they presented has ended).
 *
 * @fires dc-create {CreateDetail} the form was submitted
 * @fires dc-logout {void} the person wants to log out
 */
import { LitElement, css, html, nothing } from "lit";
import { customElement, property, query, state } from "lit/decorators.js";
import { LIMITS } from "../../../protocol/namespaces.ts";
import type { RecordingStatus } from "../../../protocol/recording-status.ts";
import { formatBytes } from "./dc-recording.ts";
import { base } from "./shared-styles.ts";

export interface CreateDetail {
  title: string;
  nick: string;
  /** false: live-only (nothing kept once it ends). */
  record: boolean;
}

const CHECK_EVERY_MS = 5000;

@customElement("dc-create-meeting")
export class DcCreateMeeting extends LitElement {
  static override styles = [base, css`:host { display: grid; place-items: center; padding: 1rem; } form { display: contents; } .row { display: flex; gap: 0.5rem; justify-content: space-between; align-items: center; } .check { display: flex; gap: 0.5rem; align-items: center; } .check input { width: auto; } .avail { margin: 0; font-size: 0.88rem; color: var(--dc-dim); } .avail.bad { color: var(--dc-warn); } .notice { margin: 0; color: #b6f0cf; background: #173d2a; border: 1px solid #24603f; border-radius: 8px; padding: 0.55rem 0.75rem; }`];

  @property({ type: Boolean }) accessor busy = false;
  @property() accessor error = "";
  /** What just happened, e.g. "“Quarterly review” has ended. The recording is saved." */
  @property() accessor notice = "";
  /** The account's user name: the default display name. */
  @property() accessor username = "";

  /** Asks the server whether it can record (app/meeting-api.ts recordingAvailability); null: not asked. */
  @property({ attribute: false }) accessor check: (() => Promise<RecordingStatus | null>) | null = null;
  @state() accessor availability: RecordingStatus | null = null;
  @state() accessor record = true;

  @query("#title") accessor titleInput!: HTMLInputElement;
  @query("#nick") accessor nickInput!: HTMLInputElement;
  #timer: ReturnType<typeof setInterval> | null = null;

  override connectedCallback(): void {
    super.connectedCallback();
    this.#ask();
    this.#timer = setInterval(() => this.#ask(), CHECK_EVERY_MS);
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = null;
  }

  #ask() {
    this.check?.().then(
      (s) => (this.availability = s),
      () => undefined,
    );
  }

  #availability() {
    const a = this.availability;
    if (!a) return nothing;
    if (a.state === "unavailable") return html`<p class="avail bad" role="alert" data-availability>Recording is not available on this server now (${a.reason ?? "its archive cannot be written"}). The meeting can still run live only.</p>`;
    return html`<p class="avail" data-availability>Recording is available${a.free >= 0 ? `: ${formatBytes(a.free)} free on the server` : ""}.</p>`;
  }

  override render() {
    return html`
      <form class="card" @submit=${this.#submit}>
        ${this.notice ? html`<p class="notice" role="status">${this.notice}</p>` : nothing}
        <div class="row"><h1>New meeting</h1><button type="button" @click=${this.#logout}>Log out</button></div>
        <label>Title <input id="title" maxlength=${LIMITS.maxTitle} placeholder="Quarterly review" /></label>
        <label>Your name in the meeting <input id="nick" maxlength=${LIMITS.maxNick} .value=${this.username} required /></label>
        <label class="check"><input id="record" type="checkbox" .checked=${this.record} @change=${(e: Event) => (this.record = (e.target as HTMLInputElement).checked)} /> Record this session</label>
        ${this.record ? this.#availability() : html`<p class="avail">Live only: nothing of this meeting is kept once it ends.</p>`}
        ${this.error ? html`<p class="error" role="alert">${this.error}</p>` : nothing}
        <button class="primary" type="submit" ?disabled=${this.busy}>${this.busy ? "Creating…" : "Create meeting"}</button>
      </form>
    `;
  }

  #submit(e: Event) {
    e.preventDefault();
    const nick = this.nickInput.value.trim();
    if (!nick) return;
    this.dispatchEvent(new CustomEvent<CreateDetail>("dc-create", { detail: { title: this.titleInput.value.trim(), nick, record: this.record }, bubbles: true, composed: true }));
  }

  #logout() {
    this.dispatchEvent(new CustomEvent<void>("dc-logout", { bubbles: true, composed: true }));
  }
}

declare global {
  interface HTMLElementTagNameMap {
    "dc-create-meeting": DcCreateMeeting;
  }
  interface HTMLElementEventMap {
    "dc-create": CustomEvent<CreateDetail>;
    "dc-logout": CustomEvent<void>;
  }
}
