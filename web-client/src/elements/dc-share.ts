/**
 * <dc-share>: how others join: the link (with a copy button), the meeting code, and the
 * link as a QR code for phones.
 */
import { LitElement, css, html, nothing, type PropertyValues } from "lit";
import { customElement, property, state } from "lit/decorators.js";
import { unsafeSVG } from "lit/directives/unsafe-svg.js";
import QRCode from "qrcode";
import { base } from "./shared-styles.ts";

@customElement("dc-share")
export class DcShare extends LitElement {
  static override styles = [
    base,
    css`
      :host { display: grid; gap: 0.6rem; }
      .link { display: flex; gap: 0.4rem; }
      input { font-size: 0.85rem; }
      .qr { background: #fff; border-radius: 10px; padding: 0.4rem; width: min(13rem, 100%); justify-self: center; line-height: 0; }
      .qr svg { width: 100%; height: auto; }
      code { font-size: 1.1rem; letter-spacing: 0.08em; }
    `,
  ];

  @property() accessor link = "";
  @property() accessor code = "";
  @state() accessor svg = "";
  @state() accessor copied = false;

  override render() {
    return html`
      <div class="dim">Meeting code <code>${this.code}</code></div>
      <div class="link">
        <input readonly aria-label="Join link" .value=${this.link} @focus=${(e: Event) => (e.target as HTMLInputElement).select()} />
        <button @click=${this.#copy}>${this.copied ? "Copied" : "Copy"}</button>
      </div>
      ${this.svg ? html`<div class="qr" role="img" aria-label="QR code of the join link">${unsafeSVG(this.svg)}</div>` : nothing}
    `;
  }

  protected override willUpdate(changed: PropertyValues<this>): void {
    if (changed.has("link") && this.link) {
      const link = this.link;
      QRCode.toString(link, { type: "svg", margin: 1, errorCorrectionLevel: "M" }).then(
        (svg) => {
          if (this.link === link) this.svg = svg;
        },
        () => (this.svg = ""),
      );
    }
  }

  async #copy() {
    try {
      await navigator.clipboard.writeText(this.link);
    } catch {
      // No clipboard (plain-http LAN origin): select the text so the person can copy it.
      this.renderRoot.querySelector("input")?.select();
      document.execCommand?.("copy");
    }
    this.copied = true;
    setTimeout(() => (this.copied = false), 1500);
  }
}

declare global {
  interface HTMLElementTagNameMap {
    "dc-share": DcShare;
  }
}
