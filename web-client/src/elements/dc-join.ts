/**
 * <dc-join>: a follower picks the name others will see, then joins the meeting as a guest
 * (no account). Someone logged in joins with their account instead. When this office has an
 * edge registered with the server (ClientConfig.edges), it offers the link through it.
 *
 * @fires dc-join {JoinDetail} the form was submitted
 */
import { LitElement, css, html, nothing } from "lit";
import { customElement, property, query } from "lit/decorators.js";
import { LIMITS } from "../../../protocol/namespaces.ts";
import { base } from "./shared-styles.ts";

export interface JoinDetail {
  nick: string;
}

const NICK_KEY = "deckcast.nick";

@customElement("dc-join")
export class DcJoin extends LitElement {
  static override styles = [base, css`:host { display: grid; place-items: center; padding: 1rem; } form { display: contents; } code { font-size: 1.05em; color: var(--dc-text); }`];

  @property() accessor code = "";
  @property({ type: Boolean }) accessor busy = false;
  @property() accessor error = "";
  /** Logged in as this account (joins with it), or "" for a guest. */
  @property() accessor account = "";
  /** Edges on this office's LAN (ClientConfig.edges): base URLs, checked by config.ts. */
  @property({ attribute: false }) accessor edges: string[] = [];

  @query("#nick") accessor nickInput!: HTMLInputElement;

  override render() {
    const remembered = localStorage.getItem(NICK_KEY) ?? this.account;
    return html`
      <form class="card" @submit=${this.#submit}>
        <h1>Join meeting</h1>
        <p class="dim">Meeting <code>${this.code}</code>. ${this.account ? `You join as ${this.account}.` : "No account needed."}</p>
        <label>Your name <input id="nick" maxlength=${LIMITS.maxNick} autocomplete="nickname" .value=${remembered} placeholder="e.g. Sam" required autofocus /></label>
        ${this.#edgeHint()}
        ${this.error ? html`<p class="error" role="alert">${this.error}</p>` : nothing}
        <button class="primary" type="submit" ?disabled=${this.busy}>${this.busy ? "Joining…" : "Join"}</button>
      </form>
    `;
  }

  #edgeHint() {
    const edge = this.edges[0];
    if (!edge) return nothing;
    const link = `${edge.replace(/\/$/, "")}/m/${encodeURIComponent(this.code)}`;
    return html`<p class="edge-hint">Faster here: <a href=${link}>join through this office's edge</a></p>`;
  }

  #submit(e: Event) {
    e.preventDefault();
    const nick = this.nickInput.value.trim().replace(/\s+/g, " ");
    if (!nick) return;
    localStorage.setItem(NICK_KEY, nick);
    this.dispatchEvent(new CustomEvent<JoinDetail>("dc-join", { detail: { nick }, bubbles: true, composed: true }));
  }
}

declare global {
  interface HTMLElementTagNameMap {
    "dc-join": DcJoin;
  }
  interface HTMLElementEventMap {
    "dc-join": CustomEvent<JoinDetail>;
  }
}
