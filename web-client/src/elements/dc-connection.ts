/**
 * <dc-connection>: tells the person when the connection to the meeting is lost, that it is
 * being restored, and when it is back and caught up. Says nothing while all is well.
 */
import { LitElement, css, html, nothing, type PropertyValues } from "lit";
import { customElement, property, state } from "lit/decorators.js";
import type { ConnectionState } from "../app/meeting-session.ts";
import { base } from "./shared-styles.ts";

/** How long "back online" stays up. */
const BACK_MS = 4000;

@customElement("dc-connection")
export class DcConnection extends LitElement {
  static override styles = [
    base,
    css`
      :host { display: block; }
      div { padding: 0.45rem 0.8rem; font-size: 0.92rem; display: flex; gap: 0.5rem; align-items: center; }
      .lost { background: #4a3712; color: #ffe2a8; }
      .back { background: #173d2a; color: #b6f0cf; }
      .ended { background: #2a2f3d; color: var(--dc-text); }
      .spin { width: 0.9rem; height: 0.9rem; border-radius: 50%; border: 2px solid currentColor; border-right-color: transparent; animation: spin 0.9s linear infinite; }
      @keyframes spin { to { transform: rotate(1turn); } }
    `,
  ];

  @property() accessor state: ConnectionState = "connecting";
  /** The live page, said when the connection is back. */
  @property({ type: Number }) accessor page = 1;
  @state() accessor back = false;
  #timer: ReturnType<typeof setTimeout> | undefined;

  protected override willUpdate(changed: PropertyValues<this>): void {
    if (changed.has("state") && changed.get("state") === "reconnecting" && this.state === "online") {
      this.back = true;
      clearTimeout(this.#timer);
      this.#timer = setTimeout(() => (this.back = false), BACK_MS);
    }
    if (this.state === "reconnecting") this.back = false;
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    clearTimeout(this.#timer);
  }

  override render() {
    if (this.state === "reconnecting") {
      return html`<div class="lost" role="status"><span class="spin" aria-hidden="true"></span>Connection lost. Reconnecting… You will catch up on everything you missed.</div>`;
    }
    if (this.state === "ended") return html`<div class="ended" role="status">This meeting has ended.</div>`;
    if (this.back) return html`<div class="back" role="status">Back online and up to date (page ${this.page}).</div>`;
    return nothing;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    "dc-connection": DcConnection;
  }
}
