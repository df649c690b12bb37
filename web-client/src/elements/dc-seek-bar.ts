/**
 * <dc-seek-bar>: the replay's timeline. A slider over the session's duration with a mark at
 * each page change; hovering (or dragging) shows the time there and the thumbnail of the
 * page shown at that time. Keyboard focus works as a slider's (the replay's own keys are
 * the player's).
 *
 * @fires dc-seek {SeekTo} the person picked a time
 */
import { LitElement, css, html, nothing } from "lit";
import { customElement, property, state } from "lit/decorators.js";
import type { ReplayPageMark } from "../../../client-core/replay-archive.ts";
import { base } from "./shared-styles.ts";

export interface SeekTo {
  t: number;
}

/** m:ss, or h:mm:ss from an hour. */
export function formatTime(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const ss = String(s % 60).padStart(2, "0");
  return h > 0 ? `${h}:${String(m).padStart(2, "0")}:${ss}` : `${m}:${ss}`;
}

@customElement("dc-seek-bar")
export class DcSeekBar extends LitElement {
  static override styles = [
    base,
    css`
      :host { display: block; position: relative; padding: 0.9rem 0 0.2rem; }
      .track { position: relative; height: 1.6rem; }
      input { position: absolute; inset: 0; width: 100%; margin: 0; accent-color: var(--dc-accent); cursor: pointer; }
      .mark { position: absolute; top: -0.55rem; width: 2px; height: 0.6rem; background: var(--dc-warn); pointer-events: none; transform: translateX(-1px); }
      .hover {
        position: absolute; bottom: 2.1rem; transform: translateX(-50%); background: var(--dc-panel); border: 1px solid var(--dc-line);
        border-radius: 8px; padding: 0.25rem; display: grid; gap: 0.15rem; justify-items: center; pointer-events: none; z-index: 3;
        font-size: 0.8rem; color: var(--dc-dim); white-space: nowrap;
      }
      .hover img { width: 160px; height: auto; max-height: 120px; object-fit: contain; background: #fff; border-radius: 4px; display: block; }
    `,
  ];

  @property({ type: Number }) accessor duration = 0;
  @property({ type: Number }) accessor position = 0;
  @property({ attribute: false }) accessor marks: readonly ReplayPageMark[] = [];
  /** The thumbnail URL of a deck's page. */
  @property({ attribute: false }) accessor thumb: ((deck: string, page: number) => string) | null = null;

  @state() accessor hover: { x: number; t: number } | null = null;

  override render() {
    const d = Math.max(1, this.duration);
    const h = this.hover;
    const page = h ? this.#pageAt(h.t) : null;
    return html`
      <div class="track" @pointermove=${this.#onHover} @pointerleave=${() => (this.hover = null)}>
        ${this.marks.map((m) => html`<span class="mark" style="left:${(m.t / d) * 100}%" title="Page ${m.page}"></span>`)}
        <input
          type="range"
          min="0"
          max=${Math.round(d)}
          step="100"
          .value=${String(Math.round(Math.min(this.position, d)))}
          aria-label="Position in the session"
          aria-valuetext=${`${formatTime(this.position)} of ${formatTime(this.duration)}`}
          @input=${this.#onInput}
          @keydown=${(e: KeyboardEvent) => e.stopPropagation()}
        />
      </div>
      ${h
        ? html`<div class="hover" style="left:${h.x}px">
            ${page && this.thumb ? html`<img alt="Page ${page.page}" src=${this.thumb(page.deck, page.page)} />` : nothing}
            <span>${formatTime(h.t)}${page ? ` · page ${page.page}` : ""}</span>
          </div>`
        : nothing}
    `;
  }

  #pageAt(t: number): ReplayPageMark | null {
    let found: ReplayPageMark | null = null;
    for (const m of this.marks) {
      if (m.t > t) break;
      found = m;
    }
    return found;
  }

  #onHover = (e: PointerEvent) => {
    const rect = (e.currentTarget as HTMLElement).getBoundingClientRect();
    const x = Math.min(rect.width, Math.max(0, e.clientX - rect.left));
    this.hover = { x, t: rect.width > 0 ? (x / rect.width) * this.duration : 0 };
  };

  #onInput = (e: Event) => {
    const t = Number((e.target as HTMLInputElement).value);
    this.dispatchEvent(new CustomEvent<SeekTo>("dc-seek", { detail: { t }, bubbles: true, composed: true }));
  };
}

declare global {
  interface HTMLElementTagNameMap {
    "dc-seek-bar": DcSeekBar;
  }
  interface HTMLElementEventMap {
    "dc-seek": CustomEvent<SeekTo>;
  }
}
