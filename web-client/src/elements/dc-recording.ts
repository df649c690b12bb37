/**
 * <dc-recording>: whether the meeting is recorded, for everyone (docs/protocol.md §Recording
 * status). A small indicator ("Recorded" / "Live only — not recorded" / "Recording failed");
 * once per meeting per browser, a dismissable notice on joining a recorded meeting ("This
 * session is recorded: slides, ink, voice and chat"); for the presenter, the recording's
 * size and duration so far, the disk's room, a warning when it holds less than an hour more
 * at the current rate, and a failure shown prominently, in plain words.
 */
import { LitElement, css, html, nothing } from "lit";
import { customElement, property, state } from "lit/decorators.js";
import { headroomLow, headroomMs, type RecordingStatus } from "../../../protocol/recording-status.ts";
import { base } from "./shared-styles.ts";

export const RECORDED_NOTICE = "This session is recorded: slides, ink, voice and chat";
const SEEN_KEY = (code: string) => `deckcast:recording-notice:${code}`;

/** 1.2 MB, 850 KB, 3.4 GB. */
export function formatBytes(n: number): string {
  if (n < 1000) return `${n} B`;
  const units = ["KB", "MB", "GB", "TB"];
  let v = n / 1000;
  let i = 0;
  while (v >= 1000 && i < units.length - 1) {
    v /= 1000;
    i++;
  }
  return `${v < 10 ? v.toFixed(1) : Math.round(v)} ${units[i]}`;
}

/** 0:42, 12:05, 1:02:33. */
export function formatDuration(ms: number): string {
  const s = Math.floor(ms / 1000);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const ss = String(s % 60).padStart(2, "0");
  return h > 0 ? `${h}:${String(m).padStart(2, "0")}:${ss}` : `${m}:${ss}`;
}

function seen(code: string): boolean {
  try {
    return localStorage.getItem(SEEN_KEY(code)) === "1";
  } catch {
    return false;
  }
}

function markSeen(code: string): void {
  try {
    localStorage.setItem(SEEN_KEY(code), "1");
  } catch {
    // private mode: shown again next time, which is the safe side
  }
}

@customElement("dc-recording")
export class DcRecording extends LitElement {
  static override styles = [
    base,
    css`
      :host { display: block; }
      .bar { display: flex; flex-wrap: wrap; gap: 0.4rem 0.8rem; align-items: center; padding: 0.3rem 0.8rem; font-size: 0.88rem; }
      .badge { display: inline-flex; align-items: center; gap: 0.35rem; font-weight: 600; }
      .dot { width: 0.6rem; height: 0.6rem; border-radius: 50%; background: #e5484d; }
      .live-only .dot { background: var(--dc-dim); }
      .figures { color: var(--dc-dim); }
      .warn { color: var(--dc-warn); }
      .failed { background: #4a1d1f; color: #ffd7d5; padding: 0.55rem 0.8rem; font-weight: 600; }
      .notice { display: flex; gap: 0.6rem; align-items: center; justify-content: space-between; background: #2a2f3d; padding: 0.35rem 0.8rem; font-size: 0.88rem; }
      .notice .badge { font-weight: 500; }
      .notice .dot { flex: none; }
      .notice button { flex: none; }
      @media (orientation: landscape) and (max-height: 540px) {
        .bar, .notice { font-size: 0.78rem; padding: 0.25rem 0.5rem; gap: 0.4rem; }
        .notice button { min-height: 1.9rem; padding: 0.1rem 0.6rem; }
      }
    `,
  ];

  @property({ attribute: false }) accessor status: RecordingStatus | null = null;
  @property({ type: Boolean }) accessor presenting = false;
  /** The meeting's code: the notice is shown once per meeting per browser. */
  @property() accessor code = "";
  @state() accessor dismissed = false;

  override render() {
    const s = this.status;
    if (!s) return nothing;
    if (s.state === "failed") return this.#failed(s);
    // The joining notice takes the indicator's place (one row, not two: phones have little room).
    return this.#notice(s) ?? this.#bar(s);
  }

  /** The notice is on screen in this page (it was not seen before in this browser). */
  #showing = false;

  #notice(s: RecordingStatus) {
    if (s.state === "live-only" || this.presenting || this.dismissed || !this.code) return null;
    if (!this.#showing) {
      if (seen(this.code)) return null;
      this.#showing = true;
      markSeen(this.code); // once per meeting per browser: a reload does not show it again
    }
    return html`<div class="notice" role="status"><span class="badge"><span class="dot" aria-hidden="true"></span>${RECORDED_NOTICE}.</span><button @click=${this.#dismiss}>OK</button></div>`;
  }

  #failed(s: RecordingStatus) {
    const why = s.reason ?? "the archive could not be written";
    return this.presenting
      ? html`<div class="failed" role="alert">Recording failed: ${why}. Your changes are held and sent again as soon as the server can save them; chat goes on. Tell the person running deckcast.</div>`
      : html`<div class="failed" role="status">Recording failed: ${why}. The presenter has been told.</div>`;
  }

  #bar(s: RecordingStatus) {
    if (s.state === "live-only") return html`<div class="bar live-only"><span class="badge"><span class="dot" aria-hidden="true"></span>Live only — not recorded</span></div>`;
    const low = headroomLow(s);
    const left = headroomMs(s);
    return html`<div class="bar">
      <span class="badge" title=${RECORDED_NOTICE}><span class="dot" aria-hidden="true"></span>Recorded</span>
      ${this.presenting
        ? html`<span class="figures" data-figures>${formatBytes(s.bytes)} · ${formatDuration(s.duration)}${s.free >= 0 ? ` · ${formatBytes(s.free)} free` : ""}</span>
            ${low ? html`<span class="warn" role="alert">The server's disk holds less than an hour more (about ${Math.max(1, Math.round(left / 60_000))} min at this rate).</span>` : nothing}`
        : nothing}
    </div>`;
  }

  #dismiss() {
    markSeen(this.code);
    this.dismissed = true;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    "dc-recording": DcRecording;
  }
}
