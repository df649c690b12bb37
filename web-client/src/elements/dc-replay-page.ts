/**
 * <dc-replay-page>: the page of a replay link (/replay/<token>): opens the archive the token
 * names over the replay HTTP API and shows the player, or a clear message when the link is
 * not valid (wrong, expired or revoked: the server answers all alike) or the server cannot
 * be reached. No login: the token is the permission. A logged-in owner of the session also
 * gets "Export video" (their own sessions are asked for once; anyone else sees no button).
 */
import { LitElement, css, html } from "lit";
import { customElement, property, state } from "lit/decorators.js";
import type { ReplayArchive } from "../../../client-core/replay-archive.ts";
import { HttpReplayArchive, ReplayNotFound } from "../app/replay-http.ts";
import { listSessions } from "../app/replay-sessions.ts";
import type { XmppLike } from "../../../client-core/xmpp-like.ts";
import { base } from "./shared-styles.ts";
import "./dc-replay.ts";

export const BAD_LINK = "This replay link is not valid or was revoked.";

@customElement("dc-replay-page")
export class DcReplayPage extends LitElement {
  static override styles = [base, css`:host { display: block; height: 100%; } .center { display: grid; place-items: center; min-height: 100%; padding: 1rem; } a { color: var(--dc-accent-2); } p { margin: 0; }`];

  @property() accessor token = "";
  /** Session ms to open at (?t= in the link). */
  @property({ type: Number }) accessor start = 0;

  /** A logged-in person's connection and the component's domain: the owner can export the video from here. */
  @property({ attribute: false }) accessor xmpp: XmppLike | null = null;
  @property() accessor component = "";

  @state() accessor archive: ReplayArchive | null = null;
  /** This person owns the session (it is in their own list): they may export it. */
  @state() accessor owner = false;
  @state() accessor error = "";

  override connectedCallback(): void {
    super.connectedCallback();
    HttpReplayArchive.open(this.token).then(
      (a) => {
        this.archive = a;
        if (this.xmpp && this.component) {
          listSessions(this.xmpp, this.component).then(
            (mine) => (this.owner = mine.some((s) => s.session === a.manifest.session)),
            () => undefined, // no button then; the replay plays as for anyone
          );
        }
      },
      (err: unknown) => (this.error = err instanceof ReplayNotFound ? BAD_LINK : "The replay could not be loaded. Check your network connection and reload the page."),
    );
  }

  override render() {
    if (this.error) return html`<div class="center"><div class="card" role="alert"><p class="bad-link">${this.error}</p><p><a href="/">Go to the start page</a></p></div></div>`;
    if (!this.archive) return html`<div class="center dim" role="status">Loading the replay…</div>`;
    return html`<dc-replay .archive=${this.archive} .start=${this.start} .xmpp=${this.owner ? this.xmpp : null} .component=${this.component}></dc-replay>`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    "dc-replay-page": DcReplayPage;
  }
}
