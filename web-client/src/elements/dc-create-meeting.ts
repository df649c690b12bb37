/**
 * <dc-create-meeting>: a logged-in person starts a meeting (title, their name in it). A
 * notice above the form says what just happened (a meeting they presented has ended).
 *
 * @fires dc-create {CreateDetail} the form was submitted
 * @fires dc-logout {void} the person wants to log out
 */
import { LitElement, css, html, nothing } from "lit";
import { customElement, property, query } from "lit/decorators.js";
import { LIMITS } from "../../../protocol/namespaces.ts";
import { base } from "./shared-styles.ts";

export interface CreateDetail {
  title: string;
  nick: string;
}

@customElement("dc-create-meeting")
export class DcCreateMeeting extends LitElement {
  static override styles = [base, css`:host { display: grid; place-items: center; padding: 1rem; } form { display: contents; } .row { display: flex; gap: 0.5rem; justify-content: space-between; align-items: center; } .notice { margin: 0; color: #b6f0cf; background: #173d2a; border: 1px solid #24603f; border-radius: 8px; padding: 0.55rem 0.75rem; }`];

  @property({ type: Boolean }) accessor busy = false;
  @property() accessor error = "";
  /** What just happened, e.g. "“Quarterly review” has ended. The recording is saved." */
  @property() accessor notice = "";
  /** The account's user name: the default display name. */
  @property() accessor username = "";

  @query("#title") accessor titleInput!: HTMLInputElement;
  @query("#nick") accessor nickInput!: HTMLInputElement;

  override render() {
    return html`
      <form class="card" @submit=${this.#submit}>
        ${this.notice ? html`<p class="notice" role="status">${this.notice}</p>` : nothing}
        <div class="row"><h1>New meeting</h1><button type="button" @click=${this.#logout}>Log out</button></div>
        <label>Title <input id="title" maxlength=${LIMITS.maxTitle} placeholder="Quarterly review" /></label>
        <label>Your name in the meeting <input id="nick" maxlength=${LIMITS.maxNick} .value=${this.username} required /></label>
        ${this.error ? html`<p class="error" role="alert">${this.error}</p>` : nothing}
        <button class="primary" type="submit" ?disabled=${this.busy}>${this.busy ? "Creating…" : "Create meeting"}</button>
      </form>
    `;
  }

  #submit(e: Event) {
    e.preventDefault();
    const nick = this.nickInput.value.trim();
    if (!nick) return;
    this.dispatchEvent(new CustomEvent<CreateDetail>("dc-create", { detail: { title: this.titleInput.value.trim(), nick }, bubbles: true, composed: true }));
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
