/**
 * <deckcast-app>: the whole client. Routes between logging in (/), creating a meeting
 * (/ once logged in) and a meeting (/m/<code>), holds the XMPP connection, and starts the
 * MeetingSession that <dc-meeting> shows.
 *
 * Presenters log in with an account; followers open /m/<code>, pick a name and join as
 * guests. Someone logged in who opens a meeting link joins with their account (and can
 * take the presenter role back if they created the meeting). `?next=/m/<code>` on the login
 * page returns there after logging in.
 */
import type { Client } from "@xmpp/client";
import { LitElement, css, html } from "lit";
import { customElement, state } from "lit/decorators.js";
import { joinLink, loadConfig, meetingAddresses, type ClientConfig } from "../app/config.ts";
import { connect, disconnect, type Identity } from "../app/connect.ts";
import { describeError } from "../app/errors.ts";
import { createMeeting, isMeetingCode } from "../app/meeting-api.ts";
import { MeetingSession } from "../app/meeting-session.ts";
import type { CreateDetail } from "./dc-create-meeting.ts";
import type { JoinDetail } from "./dc-join.ts";
import type { LoginDetail } from "./dc-login.ts";
import { base } from "./shared-styles.ts";
import "./dc-create-meeting.ts";
import "./dc-join.ts";
import "./dc-login.ts";
import "./dc-meeting.ts";

type Route = { kind: "home"; next: string | null } | { kind: "meeting"; code: string } | { kind: "unknown" };

function readRoute(): Route {
  const path = location.pathname.replace(/\/+$/, "") || "/";
  if (path === "/") {
    const next = new URLSearchParams(location.search).get("next");
    return { kind: "home", next: next && /^\/m\/[a-z0-9]+$/.test(next) ? next : null };
  }
  const m = /^\/m\/([^/]+)$/.exec(path);
  return m ? { kind: "meeting", code: m[1]!.toLowerCase() } : { kind: "unknown" };
}

@customElement("deckcast-app")
export class DeckcastApp extends LitElement {
  static override styles = [base, css`:host { display: block; height: 100%; } .center { display: grid; place-items: center; min-height: 100%; padding: 1rem; } a { color: var(--dc-accent-2); }`];

  @state() accessor config: ClientConfig | null = null;
  @state() accessor route: Route = readRoute();
  @state() accessor xmpp: Client | null = null;
  /** The account logged in ("" = none, or a guest connection). */
  @state() accessor account = "";
  @state() accessor session: MeetingSession | null = null;
  @state() accessor busy = false;
  @state() accessor error = "";
  @state() accessor fatal = "";

  override connectedCallback(): void {
    super.connectedCallback();
    window.addEventListener("popstate", this.#onPopState);
    loadConfig().then(
      (c) => (this.config = c),
      () => (this.fatal = "Cannot reach the deckcast server. Check your network connection and reload the page."),
    );
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    window.removeEventListener("popstate", this.#onPopState);
  }

  override render() {
    if (this.fatal) return html`<div class="center"><p class="error" role="alert">${this.fatal}</p></div>`;
    if (!this.config) return html`<div class="center dim">Loading…</div>`;
    const r = this.route;
    if (r.kind === "unknown") return html`<div class="center"><p>There is nothing here. <a href="/">Go to the start page</a>.</p></div>`;
    if (r.kind === "home") {
      if (!this.account) return html`<dc-login ?busy=${this.busy} .error=${this.error} @dc-login=${this.#onLogin}></dc-login>`;
      return html`<dc-create-meeting ?busy=${this.busy} .error=${this.error} .username=${this.account} @dc-create=${this.#onCreate} @dc-logout=${this.#onLogout}></dc-create-meeting>`;
    }
    if (!isMeetingCode(r.code)) return html`<div class="center"><p class="error" role="alert">“${r.code}” is not a meeting code. Check the link.</p></div>`;
    if (this.session) {
      return html`<dc-meeting .session=${this.session} .code=${r.code} .link=${joinLink(this.config, r.code)} ?account=${!!this.account}></dc-meeting>`;
    }
    return html`<div class="center">
      <dc-join .code=${r.code} ?busy=${this.busy} .error=${this.error} .account=${this.account} @dc-join=${this.#onJoin}></dc-join>
      ${this.account ? "" : html`<p class="dim">Presenting? <a href="/?next=/m/${r.code}">Log in</a> first.</p>`}
    </div>`;
  }

  #navigate(path: string) {
    history.pushState(null, "", path);
    this.route = readRoute();
    this.error = "";
  }

  #onPopState = () => {
    void this.#leaveMeeting();
    this.route = readRoute();
    this.error = "";
  };

  async #run(task: () => Promise<void>) {
    this.busy = true;
    this.error = "";
    try {
      await task();
    } catch (err) {
      this.error = describeError(err);
    } finally {
      this.busy = false;
    }
  }

  #onLogin = (e: CustomEvent<LoginDetail>) =>
    this.#run(async () => {
      await this.#drop();
      this.xmpp = await connect(this.config!, { kind: "account", ...e.detail });
      this.account = e.detail.username;
      const next = this.route.kind === "home" ? this.route.next : null;
      if (next) this.#navigate(next);
    });

  #onLogout = () => {
    void this.#drop();
  };

  #onCreate = (e: CustomEvent<CreateDetail>) =>
    this.#run(async () => {
      const created = await createMeeting(this.xmpp!, this.config!.domains.component, e.detail);
      await this.#enter(created.code, e.detail.nick, created.started);
      history.pushState(null, "", `/m/${created.code}`);
      this.route = readRoute();
    });

  #onJoin = (e: CustomEvent<JoinDetail>) =>
    this.#run(async () => {
      if (this.route.kind !== "meeting") return;
      if (!this.xmpp) this.xmpp = await connect(this.config!, { kind: "guest" } satisfies Identity);
      await this.#enter(this.route.code, e.detail.nick);
    });

  /** Joins the room and loads its state; the meeting shows once that worked. */
  async #enter(code: string, nick: string, started?: number) {
    const { room, meeting } = meetingAddresses(this.config!, code);
    const session = new MeetingSession(this.xmpp!, { room, meeting, nick, componentDomain: this.config!.domains.component, ...(started ? { started } : {}) });
    try {
      await session.join();
    } catch (err) {
      await session.leave();
      throw err;
    }
    this.session = session;
  }

  async #leaveMeeting() {
    const s = this.session;
    this.session = null;
    await s?.leave();
    // A guest's connection exists only for the meeting.
    if (!this.account) await this.#drop();
  }

  async #drop() {
    const x = this.xmpp;
    await this.session?.leave();
    this.session = null;
    this.xmpp = null;
    this.account = "";
    if (x) await disconnect(x);
  }
}

declare global {
  interface HTMLElementTagNameMap {
    "deckcast-app": DeckcastApp;
  }
}
