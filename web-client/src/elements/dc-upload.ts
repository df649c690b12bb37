/**
 * <dc-upload>: pick a deck file and watch it upload and convert.
 *
 * @fires dc-upload-file {UploadFile} a file was chosen
 */
import { LitElement, css, html, nothing } from "lit";
import { customElement, property } from "lit/decorators.js";
import type { UploadProgress } from "../app/upload.ts";
import { base } from "./shared-styles.ts";

export interface UploadFile {
  file: File;
}

const ACCEPT = ".pptx,.pptm,.ppt,.odp,.key,.docx,.doc,.odt,.rtf,.pdf,.png,.jpg,.jpeg";

@customElement("dc-upload")
export class DcUpload extends LitElement {
  static override styles = [
    base,
    css`
      :host { display: grid; gap: 0.5rem; }
      .pick { display: flex; align-items: center; gap: 0.5rem; flex-wrap: wrap; }
      progress { width: 100%; height: 0.6rem; accent-color: var(--dc-accent); }
      .status { font-size: 0.88rem; color: var(--dc-dim); overflow-wrap: anywhere; }
      .ok { color: #8fe0b5; }
      input[type="file"] { display: none; }
    `,
  ];

  @property({ attribute: false }) accessor progress: UploadProgress | null = null;

  override render() {
    const p = this.progress;
    const busy = p?.phase === "uploading" || p?.phase === "converting";
    return html`
      <div class="pick">
        <button class="${this.progress ? "" : "primary"}" ?disabled=${busy} @click=${() => this.renderRoot.querySelector("input")?.click()}>
          ${busy ? "Working…" : "Upload a deck"}
        </button>
        <span class="dim">PowerPoint, Keynote, LibreOffice, Word or PDF</span>
        <input type="file" accept=${ACCEPT} aria-label="Deck file" @change=${this.#picked} />
      </div>
      ${p ? this.#status(p) : nothing}
    `;
  }

  #status(p: UploadProgress) {
    switch (p.phase) {
      case "uploading":
        return html`<progress max="100" value=${p.percent} aria-label="Upload"></progress><div class="status">Uploading ${p.file}: ${p.percent} %</div>`;
      case "converting":
        return html`${p.percent === null ? html`<progress aria-label="Conversion"></progress>` : html`<progress max="100" value=${p.percent} aria-label="Conversion"></progress>`}
          <div class="status">${p.message}${p.percent !== null ? ` ${p.percent} %` : ""}</div>`;
      case "ready":
        return html`<div class="status ok" role="status">${p.message}</div>`;
      case "failed":
        return html`<div class="error" role="alert">${p.file}: ${p.message}</div>`;
    }
  }

  #picked(e: Event) {
    const input = e.target as HTMLInputElement;
    const file = input.files?.[0];
    input.value = "";
    if (file) this.dispatchEvent(new CustomEvent<UploadFile>("dc-upload-file", { detail: { file }, bubbles: true, composed: true }));
  }
}

declare global {
  interface HTMLElementTagNameMap {
    "dc-upload": DcUpload;
  }
  interface HTMLElementEventMap {
    "dc-upload-file": CustomEvent<UploadFile>;
  }
}
