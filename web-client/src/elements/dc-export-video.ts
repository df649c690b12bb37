/**
 * <dc-export-video>: the owner's "Export video" for one session (in the session list and the
 * replay page): starts the server's export job, shows its progress (polled once a second
 * while it is queued or running) with a Cancel button, then a "Download video" button (an
 * owner link's `/export.<format>`). Data over the export IQs (app/video-export.ts).
 */
import { LitElement, css, html, nothing } from "lit";
import { customElement, property, state } from "lit/decorators.js";
import type { XmppLike } from "../../../client-core/xmpp-like.ts";
import { describeError } from "../app/errors.ts";
import { sessionLink } from "../app/replay-sessions.ts";
import { cancelExport, exportStatus, exportUrl, startExport, type ExportJob } from "../app/video-export.ts";
import { EXPORT_ERRORS } from "../../../protocol/export.ts";
import { base } from "./shared-styles.ts";

const POLL_MS = 1000;

@customElement("dc-export-video")
export class DcExportVideo extends LitElement {
  static override styles = [
    base,
    css`
      :host { display: inline-flex; align-items: center; gap: 0.4rem; flex-wrap: wrap; }
      progress { width: 8rem; }
      .error { font-size: 0.85rem; }
    `,
  ];

  @property({ attribute: false }) accessor xmpp: XmppLike | null = null;
  @property() accessor component = "";
  @property() accessor session = "";

  @state() accessor job: ExportJob | null = null;
  @state() accessor error = "";
  #timer: ReturnType<typeof setTimeout> | undefined;

  override connectedCallback(): void {
    super.connectedCallback();
    void this.#refresh();
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  get #running(): boolean {
    return this.job?.state === "queued" || this.job?.state === "running";
  }

  async #refresh() {
    if (!this.xmpp || !this.session) return;
    try {
      this.job = await exportStatus(this.xmpp, this.component, this.session);
    } catch (err) {
      this.error = describeError(err);
    }
    this.#poll();
  }

  #poll() {
    clearTimeout(this.#timer);
    if (this.#running && this.isConnected) this.#timer = setTimeout(() => void this.#refresh(), POLL_MS);
  }

  #start = async () => {
    this.error = "";
    try {
      this.job = await startExport(this.xmpp!, this.component, this.session, "mp4");
    } catch (err) {
      this.error = describeError(err);
    }
    this.#poll();
  };

  #cancel = async () => {
    try {
      this.job = await cancelExport(this.xmpp!, this.component, this.session);
    } catch (err) {
      this.error = describeError(err);
    }
  };

  #download = async () => {
    const job = this.job;
    if (!job) return;
    try {
      const link = await sessionLink(this.xmpp!, this.component, this.session, "owner");
      const a = document.createElement("a");
      a.href = exportUrl(link.token, job.format);
      a.download = "";
      a.rel = "noreferrer";
      this.renderRoot.appendChild(a);
      a.click();
      a.remove();
    } catch (err) {
      this.error = describeError(err);
    }
  };

  override render() {
    const j = this.job;
    if (!this.xmpp) return nothing;
    const pct = Math.round((j?.progress ?? 0) * 100);
    return html`
      ${this.#running
        ? html`<progress max="100" .value=${pct} aria-label="Exporting the video"></progress>
            <span class="dim" role="status">${j!.state === "queued" ? "Waiting…" : `Exporting… ${pct}%`}</span>
            <button class="cancel" @click=${this.#cancel}>Cancel</button>`
        : html`<button class="export" @click=${this.#start}>${j?.state === "done" ? "Export again" : "Export video"}</button>`}
      ${j?.state === "done" ? html`<button class="download" @click=${this.#download}>Download video</button>` : nothing}
      ${j?.state === "failed" ? html`<span class="error" role="alert">The export failed: ${EXPORT_ERRORS[j.error ?? "encoder-failed"]}</span>` : nothing}
      ${this.error ? html`<span class="error" role="alert">${this.error}</span>` : nothing}
    `;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    "dc-export-video": DcExportVideo;
  }
}
