/**
 * <deckcast-app>: the whole client. Routes between logging in (/), creating a meeting
 * (/ once logged in) and a meeting (/m/<code>), holds the XMPP connection, and starts the
 * MeetingSession that <dc-meeting> shows.
 *
 * Presenters log in with an account; followers open /m/<code>, pick a name and join as
 * guests. Someone logged in who opens a meeting link joins with their account (and can
 * take the presenter role back if they created the meeting). `?next=/m/<code>` on the login
 * page returns there after logging in.
 *
 * A reload keeps the login: after a password login the app asks for a login token and
 * keeps it in this tab's sessionStorage (app/login-session.ts, never the password); on load
 * it logs in with it and goes back into the meeting it was in, with the same name (so a
 * presenter is the presenter again). A refused token is forgotten and the login form says
 * so. Logging out revokes the token.
 */
import type { Client } from "@xmpp/client";
import { LitElement, css, html } from "lit";
import { customElement, state } from "lit/decorators.js";
import { joinLink, loadConfig, meetingAddresses, type ClientConfig } from "../app/config.ts";
import { connect, disconnect, issueLoginToken, revokeLoginToken, type Identity } from "../app/connect.ts";
import { describeError, isMeetingEnded } from "../app/errors.ts";
import { clearLogin, forgetMeeting, loadLogin, rememberMeeting, rememberedMeeting, saveLogin, type SavedLogin } from "../app/login-session.ts";
import { createMeeting, isMeetingCode, recordingAvailability } from "../app/meeting-api.ts";
import { MeetingSession } from "../app/meeting-session.ts";
import { rewindLink } from "../app/replay-sessions.ts";
import type { CreateDetail } from "./dc-create-meeting.ts";
import type { JoinDetail } from "./dc-join.ts";
import type { LoginDetail } from "./dc-login.ts";
import { base } from "./shared-styles.ts";
import "./dc-create-meeting.ts";
import "./dc-join.ts";
import "./dc-login.ts";
import "./dc-meeting.ts";
import "./dc-replay-page.ts";
import "./dc-sessions.ts";

type Route =
  | { kind: "home"; next: string | null }
  | { kind: "meeting"; code: string }
  | { kind: "replay"; token: string; start: number }
  | { kind: "sessions" }
  | { kind: "unknown" };

function readRoute(): Route {
  const path = location.pathname.replace(/\/+$/, "") || "/";
  if (path === "/") {
    const next = new URLSearchParams(location.search).get("next");
    return { kind: "home", next: next && /^\/m\/[a-z0-9]+$|^\/sessions$/.test(next) ? next : null };
  }
  if (path === "/sessions") return { kind: "sessions" };
  const replay = /^\/replay\/([^/]+)$/.exec(path);
  if (replay) return { kind: "replay", token: replay[1]!, start: Math.max(0, Number(new URLSearchParams(location.search).get("t")) || 0) };
  const m = /^\/m\/([^/]+)$/.exec(path);
  return m ? { kind: "meeting", code: m[1]!.toLowerCase() } : { kind: "unknown" };
}

@customElement("deckcast-app")
export class DeckcastApp extends LitElement {
  static override styles = [base, css`:host { display: block; height: 100%; } .center { display: grid; place-items: center; min-height: 100%; padding: 1rem; } a { color: var(--dc-accent-2); } .closed p { margin: 0; } .sessions-link { text-align: center; margin: 0 0 1.5rem; color: var(--dc-dim); }`];

  @state() accessor config: ClientConfig | null = null;
  @state() accessor route: Route = readRoute();
  @state() accessor xmpp: Client | null = null;
  /** The account logged in ("" = none, or a guest connection). */
  @state() accessor account = "";
  @state() accessor session: MeetingSession | null = null;
  @state() accessor busy = false;
  @state() accessor error = "";
  @state() accessor fatal = "";
  /** A meeting this person cannot (or no longer) take part in: its code and the closing words. */
  @state() accessor closed: { code: string; text: string } | null = null;
  /** Said on the create screen after a meeting this person presented ended. */
  @state() accessor notice = "";
  /** Logging back in with the saved token after a reload. */
  @state() accessor restoring = false;
  /** The token this tab logged in with or was given (revoked at logout). */
  #login: SavedLogin | null = null;

  override connectedCallback(): void {
    super.connectedCallback();
    window.addEventListener("popstate", this.#onPopState);
    loadConfig().then(
      (c) => {
        this.config = c;
        void this.#restore();
      },
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
    if (this.restoring) return html`<div class="center dim" role="status">Logging you back in…</div>`;
    const r = this.route;
    // A replay link needs no login: the token is the permission.
    if (r.kind === "replay") return html`<dc-replay-page .token=${r.token} .start=${r.start} .xmpp=${this.account ? this.xmpp : null} .component=${this.config.domains.component}></dc-replay-page>`;
    if (r.kind === "sessions") {
      if (!this.account) return html`<dc-login ?busy=${this.busy} .error=${this.error} @dc-login=${this.#onLogin}></dc-login>`;
      return html`<dc-sessions .xmpp=${this.xmpp} .component=${this.config.domains.component} .origin=${this.config.publicUrl ?? location.origin}
        @dc-open-replay=${(e: CustomEvent<{ path: string }>) => this.#navigate(e.detail.path)}></dc-sessions>`;
    }
    if (r.kind === "unknown") return html`<div class="center"><p>There is nothing here. <a href="/">Go to the start page</a>.</p></div>`;
    if (r.kind === "home") {
      if (!this.account) return html`<dc-login ?busy=${this.busy} .error=${this.error} @dc-login=${this.#onLogin}></dc-login>`;
      return html`<dc-create-meeting ?busy=${this.busy} .error=${this.error} .notice=${this.notice} .username=${this.account} .check=${this.#checkRecording} @dc-create=${this.#onCreate} @dc-logout=${this.#onLogout}></dc-create-meeting>
        <p class="sessions-link"><a href="/sessions" @click=${this.#onLink}>Your sessions</a>: replay, share or download what you presented.</p>`;
    }
    // The code is not echoed: it is whatever the link said.
    if (!isMeetingCode(r.code)) return this.#closedCard("This link does not lead to a meeting: a meeting code is 6 letters and digits, like k7m2qd. Check the link you were sent.");
    if (this.session) {
      return html`<dc-meeting .session=${this.session} .code=${r.code} .upstream=${this.config.edge?.upstream ?? null} .link=${joinLink(this.config, r.code)} ?account=${!!this.account} @dc-meeting-ended=${this.#onEnded}
        .rewindLink=${() => rewindLink(this.xmpp!, meetingAddresses(this.config!, r.code).meeting)}></dc-meeting>`;
    }
    if (this.closed?.code === r.code) return this.#closedCard(this.closed.text);
    return html`<div class="center">
      <dc-join .code=${r.code} ?busy=${this.busy} .error=${this.error} .account=${this.account} .edges=${this.config.edges} @dc-join=${this.#onJoin}></dc-join>
      ${this.account ? "" : html`<p class="dim">Presenting? <a href="/?next=/m/${r.code}">Log in</a> first.</p>`}
    </div>`;
  }

  /** The end of the road for a meeting link: the words, and the way home. */
  #closedCard(text: string) {
    return html`<div class="center"><div class="card closed" role="status"><p>${text}</p><p><a href="/">Go to the start page</a></p></div></div>`;
  }

  /** The meeting on screen ended: its presenter goes back to the start (where the recording will be listed), others see a closing message. */
  #onEnded = (e: CustomEvent<{ presenter: boolean; title: string; liveOnly?: boolean }>) => {
    const r = this.route;
    if (r.kind !== "meeting") return;
    void this.#leaveMeeting();
    if (e.detail.presenter && this.account) {
      this.#navigate("/");
      this.notice = `${e.detail.title ? `“${e.detail.title}”` : "The meeting"} has ended. ${e.detail.liveOnly ? "It was live only: nothing of it was kept." : "The recording is saved."}`;
    } else {
      this.closed = { code: r.code, text: "The meeting has ended. Thank you for joining." };
    }
  };

  /** An in-app link: no page load (the login stays). */
  #onLink = (e: MouseEvent) => {
    if (e.button !== 0 || e.ctrlKey || e.metaKey || e.shiftKey) return;
    e.preventDefault();
    this.#navigate((e.currentTarget as HTMLAnchorElement).getAttribute("href") ?? "/");
  };

  #navigate(path: string, error = "") {
    history.pushState(null, "", path);
    this.route = readRoute();
    this.error = error;
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
      await this.#keepLogin(this.xmpp, e.detail.username);
      const next = this.route.kind === "home" ? this.route.next : null;
      if (next) this.#navigate(next);
    });

  #onLogout = () => {
    const x = this.xmpp;
    const login = this.#login;
    this.#login = null;
    clearLogin();
    void (async () => {
      if (x && login) await revokeLoginToken(x, this.config!, login.token);
      await this.#drop();
    })();
  };

  /** Asks for a login token and keeps it for reloads; a login without one still works. */
  async #keepLogin(xmpp: Client, username: string) {
    try {
      const issued = await issueLoginToken(xmpp, this.config!);
      this.#login = { jid: `${username}@${this.config!.domains.accounts}`, ...issued };
      saveLogin(this.#login);
    } catch {
      this.#login = null; // an older server, or storage refused: the next reload asks for the password
    }
  }

  /** After a reload: log in with the saved token and go back into the meeting this tab was in. */
  async #restore() {
    const saved = loadLogin();
    if (!saved) return;
    const [username, host] = saved.jid.split("@") as [string, string];
    if (host !== this.config!.domains.accounts) {
      clearLogin();
      return;
    }
    this.restoring = true;
    try {
      this.xmpp = await connect(this.config!, { kind: "token", username, token: saved.token });
      this.#login = saved;
      this.account = username;
    } catch (err) {
      const refused = (err as { condition?: string }).condition === "not-authorized";
      if (refused) clearLogin();
      this.error = refused ? "Your login has ended (it expired, or you logged out elsewhere). Log in again." : describeError(err);
      this.restoring = false;
      if (this.route.kind === "meeting") this.#navigate(`/?next=/m/${this.route.code}`, this.error);
      return;
    }
    this.restoring = false;
    if (this.route.kind === "home" && this.route.next) this.#navigate(this.route.next);
    const r = this.route;
    const remembered = r.kind === "meeting" ? rememberedMeeting(r.code) : null;
    if (r.kind !== "meeting" || !remembered) return;
    await this.#run(async () => {
      try {
        await this.#enter(r.code, remembered.nick);
      } catch (err) {
        if (!isMeetingEnded(err)) throw err;
        forgetMeeting(r.code); // it ended while this tab was away
        this.closed = { code: r.code, text: "This meeting has ended." };
      }
    });
  }

  /** Whether the server can record a new meeting (the create form asks every 5 s). */
  #checkRecording = () => (this.xmpp && this.config ? recordingAvailability(this.xmpp, this.config.domains.component) : Promise.resolve(null));

  #onCreate = (e: CustomEvent<CreateDetail>) =>
    this.#run(async () => {
      this.notice = "";
      const created = await createMeeting(this.xmpp!, this.config!.domains.component, e.detail);
      await this.#enter(created.code, e.detail.nick, created.started);
      history.pushState(null, "", `/m/${created.code}`);
      this.route = readRoute();
    });

  #onJoin = (e: CustomEvent<JoinDetail>) =>
    this.#run(async () => {
      if (this.route.kind !== "meeting") return;
      if (!this.xmpp) this.xmpp = await connect(this.config!, { kind: "guest" } satisfies Identity);
      const code = this.route.code;
      try {
        await this.#enter(code, e.detail.nick);
      } catch (err) {
        if (!isMeetingEnded(err)) throw err;
        this.closed = { code, text: "This meeting has ended." };
        if (!this.account) await this.#drop();
      }
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
    // An account comes back to this meeting under the same name after a reload.
    if (this.account) rememberMeeting(code, { nick, mic: rememberedMeeting(code)?.mic ?? false });
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
