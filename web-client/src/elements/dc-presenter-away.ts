/**
 * <dc-presenter-away>: tells a follower that the presenter is reconnecting (their occupant
 * left a live meeting) and, when they stay away, that they left (app/presenter-presence.ts).
 * Says nothing while the presenter is there.
 */
import { LitElement, css, html, nothing, type PropertyValues } from "lit";
import { customElement, property, state } from "lit/decorators.js";
import type { MeetingSession } from "../app/meeting-session.ts";
import { PRESENTER_GONE_MS, PresenterWatch, type PresenterPresence } from "../app/presenter-presence.ts";
import { base } from "./shared-styles.ts";

@customElement("dc-presenter-away")
export class DcPresenterAway extends LitElement {
  static override styles = [
    base,
    css`
      :host { display: block; }
      div { padding: 0.45rem 0.8rem; font-size: 0.92rem; display: flex; gap: 0.5rem; align-items: center; }
      .reconnecting { background: #3b3318; color: #ffe9b3; }
      .left { background: #2a2f3d; color: var(--dc-text); }
      .spin { width: 0.9rem; height: 0.9rem; flex: none; border-radius: 50%; border: 2px solid currentColor; border-right-color: transparent; animation: spin 0.9s linear infinite; }
      @keyframes spin { to { transform: rotate(1turn); } }
    `,
  ];

  @property({ attribute: false }) accessor session: MeetingSession | null = null;
  @state() accessor presence: PresenterPresence = "here";
  #watch: PresenterWatch | null = null;

  protected override willUpdate(changed: PropertyValues<this>): void {
    if (changed.has("session")) this.#watchSession();
  }

  override connectedCallback(): void {
    super.connectedCallback();
    if (this.session && !this.#watch) this.#watchSession();
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    this.#watch?.stop();
    this.#watch = null;
  }

  #watchSession() {
    this.#watch?.stop();
    this.#watch = null;
    this.presence = "here";
    if (!this.session) return;
    const w = (this.#watch = new PresenterWatch(this.session));
    w.on("change", (p) => (this.presence = p));
    this.presence = w.presence;
  }

  override render() {
    if (this.presence === "reconnecting") {
      return html`<div class="reconnecting" role="status"><span class="spin" aria-hidden="true"></span>The presenter is reconnecting… The meeting goes on when they are back.</div>`;
    }
    if (this.presence === "left") {
      return html`<div class="left" role="status">The presenter left (away for more than ${PRESENTER_GONE_MS / 1000} s). You can still browse the slides; the meeting goes on if they come back.</div>`;
    }
    return nothing;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    "dc-presenter-away": DcPresenterAway;
  }
}
