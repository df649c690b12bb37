/**
 * <dc-live-bar>: where a follower is: on the live page, or browsing on their own with a
 * way back ("Back to live (page N)").
 *
 * @fires dc-back-to-live {void} return to the presenter's page
 */
import { LitElement, css, html } from "lit";
import { customElement, property } from "lit/decorators.js";
import { base } from "./shared-styles.ts";

@customElement("dc-live-bar")
export class DcLiveBar extends LitElement {
  static override styles = [
    base,
    css`
      :host { display: flex; align-items: center; gap: 0.6rem; flex-wrap: wrap; }
      .live { font-weight: 700; font-size: 0.78rem; color: #fff; background: var(--dc-live); border-radius: 4px; padding: 1px 6px; letter-spacing: 0.05em; }
      .private { color: var(--dc-warn); }
      button.primary { background: var(--dc-live); border-color: var(--dc-live); }
      /* A phone on its side: this sits in the narrow column beside the slide. */
      @media (orientation: landscape) and (max-height: 540px) {
        :host { gap: 0.25rem; font-size: 0.8rem; line-height: 1.25; }
        button.primary { min-height: 0; padding: 0.3rem 0.5rem; }
      }
    `,
  ];

  /** The page this person sees. */
  @property({ type: Number }) accessor page = 1;
  /** The presenter's page. */
  @property({ type: Number }) accessor live = 1;
  @property({ type: Number }) accessor pages = 0;

  override render() {
    if (this.page === this.live) {
      return html`<span class="live">LIVE</span><span>Page ${this.page}${this.pages ? ` of ${this.pages}` : ""}</span>`;
    }
    return html`
      <span class="private">Browsing on your own: page ${this.page}${this.pages ? ` of ${this.pages}` : ""}</span>
      <button class="primary" @click=${this.#back}>Back to live (page ${this.live})</button>
    `;
  }

  #back() {
    this.dispatchEvent(new CustomEvent<void>("dc-back-to-live", { bubbles: true, composed: true }));
  }
}

declare global {
  interface HTMLElementTagNameMap {
    "dc-live-bar": DcLiveBar;
  }
  interface HTMLElementEventMap {
    "dc-back-to-live": CustomEvent<void>;
  }
}
