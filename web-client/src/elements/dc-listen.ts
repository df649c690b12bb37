/**
 * <dc-listen>: a follower's sound: "Presenter's microphone is off" while no voice arrives,
 * "Tap to listen" once it does, until they tap (browsers only play sound after a tap), then
 * mute and volume (and again a word when the microphone goes off). While listening, slides
 * wait for the voice (sync mode); muted, they show as they arrive.
 *
 * @fires dc-listen {ListenCommand} listen, mute, unmute, or a volume (0..1)
 */
import { LitElement, css, html, svg } from "lit";
import { customElement, property } from "lit/decorators.js";
import { base } from "./shared-styles.ts";

/** A speaker, with sound waves or crossed out (inline: no emoji font needed). */
const speaker = (muted: boolean) =>
  html`<svg width="16" height="16" viewBox="0 0 16 16" aria-hidden="true" style="vertical-align:-2px">${svg`<path d="M2 6h3l4-3v10l-4-3H2z" fill="currentColor"/>`}${
    muted ? svg`<path d="M11 6l4 4M15 6l-4 4" stroke="currentColor" stroke-width="1.6"/>` : svg`<path d="M11 5.5a3.5 3.5 0 0 1 0 5M12.5 3.5a6 6 0 0 1 0 9" fill="none" stroke="currentColor" stroke-width="1.4"/>`
  }</svg>`;

export type ListenCommand = { command: "listen" | "mute" | "unmute" } | { command: "volume"; volume: number };

@customElement("dc-listen")
export class DcListen extends LitElement {
  static override styles = [
    base,
    css`
      :host { display: flex; align-items: center; gap: 0.4rem; }
      button.listen { background: var(--dc-ok); border-color: var(--dc-ok); color: #fff; font-weight: 600; }
      input[type="range"] { width: 6rem; accent-color: var(--dc-accent-2); }
      .off { color: var(--dc-dim); font-size: 0.85rem; white-space: nowrap; display: flex; align-items: center; gap: 0.3rem; }
      @media (max-width: 820px), (orientation: landscape) and (max-height: 540px) { input[type="range"] { display: none; } .off { white-space: normal; max-width: 8.5rem; line-height: 1.2; font-size: 0.8rem; } }
    `,
  ];

  @property({ type: Boolean }) accessor listening = false;
  @property({ type: Boolean }) accessor muted = false;
  @property({ type: Number }) accessor volume = 1;
  /** The presenter's voice is arriving (their microphone is on). */
  @property({ type: Boolean }) accessor voice = false;

  override render() {
    const off = html`<span class="off" role="status">${speaker(true)} Presenter's microphone is off</span>`;
    if (!this.listening) {
      if (!this.voice) return off;
      return html`<button class="listen" @click=${() => this.#send({ command: "listen" })}>${speaker(false)} Tap to listen</button>`;
    }
    const title = this.muted ? "Unmute: hear the presenter, slides in step with the voice" : "Mute: slides show as soon as they arrive";
    return html`
      ${this.voice ? "" : off}
      <button aria-pressed=${this.muted} title=${title} aria-label=${this.muted ? "Unmute" : "Mute"} @click=${() => this.#send({ command: this.muted ? "unmute" : "mute" })}>${speaker(this.muted)}</button>
      <input type="range" min="0" max="1" step="0.05" aria-label="Volume" .value=${String(this.volume)} ?disabled=${this.muted}
        @input=${(e: Event) => this.#send({ command: "volume", volume: Number((e.target as HTMLInputElement).value) })} />
    `;
  }

  #send(detail: ListenCommand) {
    this.dispatchEvent(new CustomEvent<ListenCommand>("dc-listen", { detail, bubbles: true, composed: true }));
  }
}

declare global {
  interface HTMLElementTagNameMap {
    "dc-listen": DcListen;
  }
  interface HTMLElementEventMap {
    "dc-listen": CustomEvent<ListenCommand>;
  }
}
