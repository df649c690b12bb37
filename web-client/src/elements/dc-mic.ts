/**
 * <dc-mic>: the presenter's microphone: switch it on or off, mute, pick the input, and see
 * the level. What to do is the host's business (it owns the Microphone).
 *
 * @fires dc-mic-command {MicCommand} on, off, mute, unmute, or a device chosen
 */
import { LitElement, css, html, nothing } from "lit";
import { customElement, property } from "lit/decorators.js";
import type { MicInput, MicState } from "../audio/mic.ts";
import { base } from "./shared-styles.ts";
import "./dc-level-meter.ts";

export type MicCommand = { command: "on" | "off" | "mute" | "unmute" } | { command: "device"; id: string };

@customElement("dc-mic")
export class DcMic extends LitElement {
  static override styles = [
    base,
    css`
      :host { display: grid; gap: 0.5rem; }
      .row { display: flex; gap: 0.4rem; align-items: center; flex-wrap: wrap; }
      .row button { flex: 1; }
      .state { font-size: 0.9rem; display: flex; align-items: center; gap: 0.4rem; }
      .dot { width: 0.6rem; height: 0.6rem; border-radius: 50%; background: var(--dc-dim); }
      .live .dot { background: var(--dc-live); box-shadow: 0 0 0 3px rgb(229 72 77 / 0.3); }
      .muted .dot { background: var(--dc-warn); }
      button.muted { background: var(--dc-warn); border-color: var(--dc-warn); color: #1a1200; font-weight: 600; }
      select { font: inherit; color: var(--dc-text); background: var(--dc-bg); border: 1px solid var(--dc-line); border-radius: 8px; padding: 0.35rem 0.5rem; width: 100%; }
      .error { font-size: 0.88rem; }
    `,
  ];

  @property() accessor state: MicState = "off";
  @property() accessor error = "";
  @property({ attribute: false }) accessor inputs: readonly MicInput[] = [];
  @property() accessor device: string | null = null;
  @property({ attribute: false }) accessor level: (() => number) | null = null;
  /** It was on before the page reloaded: offer it back (the browser needs a click to start it). */
  @property({ type: Boolean }) accessor resume = false;

  override render() {
    const s = this.state;
    const on = s === "live" || s === "muted";
    return html`
      <div class="state ${s}" aria-live="polite"><span class="dot"></span>${this.resume && s === "off" ? "Microphone off since the page reloaded: followers do not hear you" : LABELS[s]}</div>
      ${on ? html`<dc-level-meter .read=${this.level} ?muted=${s === "muted"}></dc-level-meter>` : nothing}
      <div class="row">
        ${on
          ? html`<button class=${s === "muted" ? "muted" : ""} aria-pressed=${s === "muted"} @click=${() => this.#send({ command: s === "muted" ? "unmute" : "mute" })}>${s === "muted" ? "Unmute" : "Mute"}</button>
              <button @click=${() => this.#send({ command: "off" })}>Switch off</button>`
          : html`<button class="primary" ?disabled=${s === "starting"} @click=${() => this.#send({ command: "on" })}>${this.resume ? "Turn the microphone back on" : "Switch microphone on"}</button>`}
      </div>
      ${this.inputs.length > 1
        ? html`<label>Input
            <select @change=${(e: Event) => this.#send({ command: "device", id: (e.target as HTMLSelectElement).value })}>
              ${this.inputs.map((i) => html`<option value=${i.id} ?selected=${i.id === this.device}>${i.label}</option>`)}
            </select></label>`
        : nothing}
      ${this.error ? html`<p class="error" role="alert">${this.error}</p>` : nothing}
    `;
  }

  #send(detail: MicCommand) {
    this.dispatchEvent(new CustomEvent<MicCommand>("dc-mic-command", { detail, bubbles: true, composed: true }));
  }
}

const LABELS: Record<MicState, string> = {
  off: "Microphone off: followers see your slides without your voice",
  starting: "Starting the microphone…",
  live: "On air: everyone hears you",
  muted: "Muted: nobody hears you",
};

declare global {
  interface HTMLElementTagNameMap {
    "dc-mic": DcMic;
  }
  interface HTMLElementEventMap {
    "dc-mic-command": CustomEvent<MicCommand>;
  }
}
