/**
 * <dc-share>: how others join: the link (with a copy button), the meeting code, and the
 * link as a QR code for phones.
 *
 * A link on localhost does not work on a phone: the panel asks the server which addresses
 * other devices reach it on (/api/config `reachable`) and offers those links instead (a
 * choice when there are several), or warns that the link only works on this computer.
 */
import { LitElement, css, html, nothing, type PropertyValues } from "lit";
import { customElement, property, state } from "lit/decorators.js";
import { unsafeSVG } from "lit/directives/unsafe-svg.js";
import QRCode from "qrcode";
import { loadConfig, shareLinks } from "../app/config.ts";
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
      .warn { margin: 0; font-size: 0.85rem; }
      .choices { display: flex; flex-wrap: wrap; gap: 0.3rem; }
      .choices button[aria-pressed="true"] { font-weight: 600; }
    `,
  ];

  @property() accessor link = "";
  @property() accessor code = "";
  @state() accessor svg = "";
  @state() accessor copied = false;
  /** Base URLs other devices reach the server on; null until the server has said. */
  @state() accessor reachable: string[] | null = null;
  /** Which of the offered links is shown (and in the QR code). */
  @state() accessor chosen = 0;

  override connectedCallback(): void {
    super.connectedCallback();
    // Asked afresh each time the panel appears: the machine's addresses may have changed.
    loadConfig().then(
      (c) => (this.reachable = c.reachable),
      () => (this.reachable = []),
    );
  }

  /** The links offered and the one shown. */
  #offer(): { links: string[]; shown: string; thisComputerOnly: boolean; onNetwork: boolean } {
    // Until the server has said, no link is offered: the page's own may be one a phone cannot
    // open (localhost), and a QR code of it scanned in that moment would fail.
    if (!this.link || this.reachable === null) return { links: [], shown: "", thisComputerOnly: false, onNetwork: false };
    const { links, thisComputerOnly } = shareLinks(this.link, this.reachable, this.code);
    // The links are the server's LAN addresses (LAN mode, DECKCAST_HTTP_HOST=0.0.0.0), not the page's own.
    const onNetwork = !thisComputerOnly && links[0] !== this.link;
    return { links, shown: links[Math.min(this.chosen, links.length - 1)] ?? this.link, thisComputerOnly, onNetwork };
  }

  override render() {
    const { links, shown, thisComputerOnly, onNetwork } = this.#offer();
    return html`
      <div class="dim">Meeting code <code>${this.code}</code></div>
      ${thisComputerOnly
        ? html`<p class="warn error" role="note">This link only works on this computer. To let phones join, restart deckcast with DECKCAST_HTTP_HOST=0.0.0.0 or in LAN mode (npm start -- --lan; phones on the same network can then use the link shown here), or set DECKCAST_PUBLIC_URL to an address they reach.</p>`
        : nothing}
      ${links.length > 1
        ? html`<div class="choices" role="group" aria-label="Addresses of this server">
            ${links.map((l, i) => html`<button aria-pressed=${i === this.chosen ? "true" : "false"} @click=${() => (this.chosen = i)}>${new URL(l).host}</button>`)}
          </div>`
        : nothing}
      ${onNetwork ? html`<div class="dim where">On this network</div>` : nothing}
      <div class="link">
        <input readonly aria-label=${onNetwork ? "Join link on this network" : "Join link"} placeholder="Finding the address others can reach…" .value=${shown} @focus=${(e: Event) => (e.target as HTMLInputElement).select()} />
        <button ?disabled=${!shown} @click=${() => this.#copy(shown)}>${this.copied ? "Copied" : "Copy"}</button>
      </div>
      ${this.svg ? html`<div class="qr" role="img" aria-label="QR code of the join link">${unsafeSVG(this.svg)}</div>` : nothing}
    `;
  }

  /** The link the QR code was last drawn for. */
  #drawn = "";

  protected override willUpdate(changed: PropertyValues<this>): void {
    if (!changed.has("link") && !changed.has("reachable") && !changed.has("chosen")) return;
    const { shown } = this.#offer();
    if (!shown) this.svg = "";
    if (!shown || shown === this.#drawn) return;
    this.#drawn = shown;
    QRCode.toString(shown, { type: "svg", margin: 1, errorCorrectionLevel: "M" }).then(
      (svg) => {
        if (this.#drawn === shown) this.svg = svg;
      },
      () => (this.svg = ""),
    );
  }

  async #copy(link: string) {
    try {
      await navigator.clipboard.writeText(link);
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
