/**
 * <dc-sessions>: "Your sessions" (/sessions) for a logged-in presenter: every session they
 * recorded (title, date, duration, pages, size; newest first) with Replay (mints an owner
 * link and opens it), Download (the zip, through an owner link), Share (mints a share link
 * with a copy button; lists the session's shares, each revocable) and Delete (after a
 * confirmation), and Export video (dc-export-video: the server's export job, its progress,
 * the video's download). Data over the archive IQs (app/replay-sessions.ts).
 */
import { LitElement, css, html, nothing } from "lit";
import { customElement, property, state } from "lit/decorators.js";
import type { XmppLike } from "../../../client-core/xmpp-like.ts";
import { describeError } from "../app/errors.ts";
import {
  deleteSession,
  downloadUrl,
  listSessions,
  listShares,
  replayPath,
  revokeShare,
  sessionLink,
  type ArchiveItem,
  type ArchiveShare,
} from "../app/replay-sessions.ts";
import { formatTime } from "./dc-seek-bar.ts";
import "./dc-export-video.ts";
import { base } from "./shared-styles.ts";

/** 1.2 MB, 340 kB… */
export function formatBytes(n: number): string {
  if (n < 1000) return `${n} B`;
  if (n < 1e6) return `${(n / 1e3).toFixed(n < 1e4 ? 1 : 0)} kB`;
  if (n < 1e9) return `${(n / 1e6).toFixed(n < 1e7 ? 1 : 0)} MB`;
  return `${(n / 1e9).toFixed(1)} GB`;
}

interface Sharing {
  session: string;
  /** The link just minted. */
  link: string;
  shares: ArchiveShare[];
  copied: boolean;
}

@customElement("dc-sessions")
export class DcSessions extends LitElement {
  static override styles = [
    base,
    css`
      :host { display: block; padding: 1rem; max-width: 60rem; margin: 0 auto; }
      header { display: flex; align-items: center; gap: 1rem; flex-wrap: wrap; margin-bottom: 1rem; }
      header .grow { flex: 1; }
      a { color: var(--dc-accent-2); }
      ul.list { list-style: none; padding: 0; margin: 0; display: grid; gap: 0.6rem; }
      li.session { background: var(--dc-panel); border: 1px solid var(--dc-line); border-radius: 12px; padding: 0.75rem 0.9rem; display: grid; gap: 0.5rem; }
      .top { display: flex; gap: 0.75rem; align-items: baseline; flex-wrap: wrap; }
      .top h2 { font-size: 1.05rem; }
      .facts { font-size: 0.88rem; }
      .live { color: var(--dc-live); font-weight: 600; font-size: 0.85rem; }
      .buttons { display: flex; gap: 0.4rem; flex-wrap: wrap; }
      .share { display: grid; gap: 0.4rem; background: var(--dc-panel-2); border-radius: 10px; padding: 0.6rem; }
      .share .row { display: flex; gap: 0.4rem; }
      .share input { font-size: 0.85rem; }
      .share ul { margin: 0; padding-left: 1.1rem; font-size: 0.88rem; }
      .share li button { min-height: 1.7rem; padding: 0.1rem 0.5rem; margin-left: 0.4rem; font-size: 0.82rem; }
      button.danger { border-color: #6b2a33; }
    `,
  ];

  @property({ attribute: false }) accessor xmpp: XmppLike | null = null;
  @property() accessor component = "";
  /** Base of links others open (publicUrl or this page's origin). */
  @property() accessor origin = location.origin;

  @state() accessor items: ArchiveItem[] | null = null;
  @state() accessor error = "";
  @state() accessor sharing: Sharing | null = null;
  @state() accessor busy = "";

  override connectedCallback(): void {
    super.connectedCallback();
    void this.#load();
  }

  async #load() {
    if (!this.xmpp) return;
    try {
      this.items = await listSessions(this.xmpp, this.component);
    } catch (err) {
      this.error = describeError(err);
      this.items = [];
    }
  }

  override render() {
    return html`
      <header>
        <h1>Your sessions</h1>
        <span class="grow"></span>
        <a href="/">Back to the start page</a>
      </header>
      ${this.error ? html`<p class="error" role="alert">${this.error}</p>` : nothing}
      ${this.items === null
        ? html`<p class="dim" role="status">Loading your sessions…</p>`
        : this.items.length === 0
          ? html`<p class="dim">No recorded sessions yet. Sessions you present are listed here the moment they end.</p>`
          : html`<ul class="list">${this.items.map((s) => this.#item(s))}</ul>`}
    `;
  }

  #item(s: ArchiveItem) {
    const sharing = this.sharing?.session === s.session ? this.sharing : null;
    const busy = this.busy === s.session;
    return html`<li class="session" data-session=${s.session}>
      <div class="top">
        <h2>${s.title || "Untitled session"}</h2>
        ${s.live ? html`<span class="live">● Live now</span>` : nothing}
      </div>
      <div class="facts dim">${new Date(s.createdAt).toLocaleString()} · ${formatTime(s.duration)} · ${s.pages} ${s.pages === 1 ? "page" : "pages"} · ${formatBytes(s.bytes)}</div>
      <div class="buttons">
        <button class="primary" ?disabled=${busy} @click=${() => this.#replay(s)}>Replay</button>
        <button ?disabled=${busy} @click=${() => this.#download(s)}>Download</button>
        <button ?disabled=${busy} @click=${() => this.#share(s)}>Share</button>
        <button class="danger" ?disabled=${busy} @click=${() => this.#delete(s)}>Delete</button>
        ${s.live ? nothing : html`<dc-export-video .xmpp=${this.xmpp} .component=${this.component} .session=${s.session}></dc-export-video>`}
      </div>
      ${sharing
        ? html`<div class="share">
            <label>Anyone with this link can watch the replay, until you revoke it:
              <div class="row">
                <input readonly .value=${sharing.link} aria-label="Share link" @focus=${(e: Event) => (e.target as HTMLInputElement).select()} />
                <button @click=${this.#copy}>${sharing.copied ? "Copied" : "Copy"}</button>
              </div>
            </label>
            ${sharing.shares.length
              ? html`<span class="dim">Share links of this session:</span>
                  <ul>${sharing.shares.map((sh) => html`<li>made ${new Date(sh.created).toLocaleString()}<button @click=${() => this.#revoke(s, sh)}>Revoke</button></li>`)}</ul>`
              : nothing}
          </div>`
        : nothing}
    </li>`;
  }

  async #task(s: ArchiveItem, fn: () => Promise<void>) {
    this.busy = s.session;
    this.error = "";
    try {
      await fn();
    } catch (err) {
      this.error = describeError(err);
    } finally {
      this.busy = "";
    }
  }

  #replay(s: ArchiveItem) {
    return this.#task(s, async () => {
      const link = await sessionLink(this.xmpp!, this.component, s.session, "owner");
      this.dispatchEvent(new CustomEvent("dc-open-replay", { detail: { path: replayPath(link.token) }, bubbles: true, composed: true }));
    });
  }

  #download(s: ArchiveItem) {
    return this.#task(s, async () => {
      const link = await sessionLink(this.xmpp!, this.component, s.session, "owner");
      const a = document.createElement("a");
      a.href = downloadUrl(link.token);
      a.download = "";
      a.rel = "noreferrer";
      this.renderRoot.appendChild(a);
      a.click();
      a.remove();
    });
  }

  #share(s: ArchiveItem) {
    return this.#task(s, async () => {
      const link = await sessionLink(this.xmpp!, this.component, s.session, "share");
      const shares = await listShares(this.xmpp!, this.component, s.session);
      this.sharing = { session: s.session, link: `${this.origin}${replayPath(link.token)}`, shares, copied: false };
    });
  }

  #copy = async () => {
    const s = this.sharing;
    if (!s) return;
    try {
      await navigator.clipboard.writeText(s.link);
      this.sharing = { ...s, copied: true };
    } catch {
      this.renderRoot.querySelector<HTMLInputElement>(".share input")?.select();
      this.error = "This browser did not allow copying: the link is selected, copy it with Ctrl+C.";
    }
  };

  #revoke(s: ArchiveItem, share: ArchiveShare) {
    return this.#task(s, async () => {
      await revokeShare(this.xmpp!, this.component, s.session, share.id);
      const shares = await listShares(this.xmpp!, this.component, s.session);
      if (this.sharing?.session === s.session) this.sharing = { ...this.sharing, shares };
    });
  }

  #delete(s: ArchiveItem) {
    if (!confirm(`Delete “${s.title || "Untitled session"}”? Its slides' record, ink, voice and chat are removed for good, and its links stop working.`)) return;
    return this.#task(s, async () => {
      await deleteSession(this.xmpp!, this.component, s.session);
      this.items = (this.items ?? []).filter((i) => i.session !== s.session);
      if (this.sharing?.session === s.session) this.sharing = null;
    });
  }
}

declare global {
  interface HTMLElementTagNameMap {
    "dc-sessions": DcSessions;
  }
  interface HTMLElementEventMap {
    "dc-open-replay": CustomEvent<{ path: string }>;
  }
}
