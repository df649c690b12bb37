/**
 * <dc-login>: log in with a deckcast account (to create meetings and present).
 *
 * On a page another device opened over plain http (passwordInClear, app/config.ts) the form
 * says why it cannot be used and sends nothing: the password would cross the network in
 * clear, and the server refuses such logins anyway (mod_auth_deckcast_token).
 *
 * @fires dc-login {LoginDetail} the form was submitted
 */
import { LitElement, css, html, nothing } from "lit";
import { customElement, property, query } from "lit/decorators.js";
import { passwordInClear } from "../app/config.ts";
import { PASSWORD_NEEDS_HTTPS } from "../app/errors.ts";
import { base } from "./shared-styles.ts";

export interface LoginDetail {
  username: string;
  password: string;
}

@customElement("dc-login")
export class DcLogin extends LitElement {
  static override styles = [base, css`:host { display: grid; place-items: center; padding: 1rem; } form { display: contents; }`];

  @property({ type: Boolean }) accessor busy = false;
  /** A sentence saying why the last attempt failed. */
  @property() accessor error = "";

  @query("#user") accessor userInput!: HTMLInputElement;
  @query("#password") accessor passwordInput!: HTMLInputElement;

  /** Plain http from another device: the password would travel in clear. */
  readonly #inClear = passwordInClear();

  override render() {
    const closed = this.#inClear;
    return html`
      <form class="card" @submit=${this.#submit}>
        <h1>deckcast</h1>
        <p class="dim">Log in to create a meeting and present. Joining a meeting needs no account: open its link.</p>
        <label>User name <input id="user" name="username" autocomplete="username" autocapitalize="none" spellcheck="false" required ?disabled=${closed} /></label>
        <label>Password <input id="password" name="password" type="password" autocomplete="current-password" required ?disabled=${closed} /></label>
        ${closed ? html`<p class="error" role="alert">${PASSWORD_NEEDS_HTTPS}</p>` : this.error ? html`<p class="error" role="alert">${this.error}</p>` : nothing}
        <button class="primary" type="submit" ?disabled=${this.busy || closed}>${this.busy ? "Logging in…" : "Log in"}</button>
      </form>
    `;
  }

  #submit(e: Event) {
    e.preventDefault();
    if (this.#inClear) return;
    const username = this.userInput.value.trim().replace(/@.*$/, "");
    const password = this.passwordInput.value;
    if (!username || !password) return;
    this.dispatchEvent(new CustomEvent<LoginDetail>("dc-login", { detail: { username, password }, bubbles: true, composed: true }));
  }
}

declare global {
  interface HTMLElementTagNameMap {
    "dc-login": DcLogin;
  }
  interface HTMLElementEventMap {
    "dc-login": CustomEvent<LoginDetail>;
  }
}
