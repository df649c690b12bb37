/**
 * <dc-level-meter>: a bar showing how loud the microphone hears the presenter, redrawn every
 * animation frame while it is on screen. `read` gives the level (0 silent … 1 full scale).
 */
import { LitElement, css, html } from "lit";
import { customElement, property, query } from "lit/decorators.js";

@customElement("dc-level-meter")
export class DcLevelMeter extends LitElement {
  static override styles = css`
    :host { display: block; height: 0.5rem; border-radius: 999px; background: #2a3142; overflow: hidden; }
    div { height: 100%; width: 100%; transform-origin: left; transform: scaleX(0); background: linear-gradient(90deg, #2fa36b 0 70%, #e2a336 85%, #e5484d); }
    :host([muted]) div { filter: grayscale(1) brightness(0.8); }
  `;

  /** Reads the current level, 0..1. */
  @property({ attribute: false }) accessor read: (() => number) | null = null;
  /** Shown greyed out (the microphone hears, but nothing is sent). */
  @property({ type: Boolean, reflect: true }) accessor muted = false;
  @query("div") accessor bar!: HTMLDivElement;
  #frame = 0;
  #shown = 0;

  override connectedCallback(): void {
    super.connectedCallback();
    this.#frame = requestAnimationFrame(this.#tick);
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    cancelAnimationFrame(this.#frame);
  }

  override render() {
    return html`<div role="meter" aria-label="Microphone level" aria-valuemin="0" aria-valuemax="100"></div>`;
  }

  #tick = () => {
    const level = this.read?.() ?? 0;
    // Rise at once, fall slowly, like a VU meter.
    this.#shown = Math.max(level, this.#shown * 0.9);
    if (this.bar) {
      this.bar.style.transform = `scaleX(${this.#shown.toFixed(3)})`;
      this.bar.setAttribute("aria-valuenow", String(Math.round(this.#shown * 100)));
    }
    this.#frame = requestAnimationFrame(this.#tick);
  };
}

declare global {
  interface HTMLElementTagNameMap {
    "dc-level-meter": DcLevelMeter;
  }
}
