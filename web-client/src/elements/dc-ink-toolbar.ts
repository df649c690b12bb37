/**
 * <dc-ink-toolbar>: the presenter's ink tools (pen, highlighter, laser, eraser), colours,
 * widths, undo and clear page. Shortcuts (handled by the meeting, shown on the buttons where
 * there is a keyboard): P pen, H highlighter, L laser, E eraser, Ctrl/Cmd+Z undo. The
 * meeting picks the pen for a new presenter, so dragging on the page draws at once.
 *
 * @fires dc-tool-change {ToolChange} a tool, colour or width was picked
 * @fires dc-ink-command {InkCommand} undo or clear page
 */
import { LitElement, css, html } from "lit";
import { customElement, property } from "lit/decorators.js";
import type { Tool } from "../ink/recorder.ts";
import { base } from "./shared-styles.ts";

export interface ToolChange {
  tool?: Tool | null;
  color?: string;
  width?: number;
}

export interface InkCommand {
  command: "undo" | "clear";
}

export const COLORS = [
  { value: "#e53935", name: "Red" },
  { value: "#1e88e5", name: "Blue" },
  { value: "#43a047", name: "Green" },
  { value: "#fdd835", name: "Yellow" },
  { value: "#212121", name: "Black" },
] as const;

/** Widths in ink units (1/10000 of the page width); highlighters draw 4× wider. */
export const WIDTHS = [
  { value: 20, name: "Thin" },
  { value: 45, name: "Medium" },
  { value: 90, name: "Thick" },
] as const;

const TOOLS: { tool: Tool; label: string; key: string; icon: string }[] = [
  { tool: "pen", label: "Pen", key: "P", icon: "✎" },
  { tool: "highlighter", label: "Highlighter", key: "H", icon: "▍" },
  { tool: "laser", label: "Laser pointer", key: "L", icon: "◉" },
  { tool: "eraser", label: "Eraser", key: "E", icon: "⌫" },
];

@customElement("dc-ink-toolbar")
export class DcInkToolbar extends LitElement {
  static override styles = [
    base,
    css`
      :host { display: flex; flex-wrap: wrap; gap: 0.35rem 0.75rem; align-items: center; }
      .group { display: flex; gap: 0.25rem; align-items: center; }
      button { min-width: 2.25rem; padding: 0.3rem 0.5rem; }
      button[aria-pressed="true"] { background: var(--dc-accent); border-color: var(--dc-accent); color: #fff; }
      .swatch { width: 1.6rem; height: 1.6rem; min-width: 0; min-height: 0; border-radius: 50%; padding: 0; border: 2px solid var(--dc-line); }
      .swatch[aria-pressed="true"] { outline: 2px solid #fff; outline-offset: 1px; background: var(--c); border-color: var(--c); }
      .dot { display: inline-block; border-radius: 50%; background: currentColor; vertical-align: middle; }
      kbd { font: 600 0.68rem/1 ui-monospace, monospace; opacity: 0.75; margin-left: 0.2rem; vertical-align: 0.1rem; }
      @media not (hover: hover) { kbd { display: none; } }
    `,
  ];

  /** The active tool, or null when the pointer just points (no ink). */
  @property() accessor tool: Tool | null = null;
  @property() accessor color: string = COLORS[0].value;
  @property({ type: Number }) accessor width: number = WIDTHS[1].value;

  override render() {
    return html`
      <div class="group" role="group" aria-label="Tools">
        ${TOOLS.map(
          (t) => html`<button aria-pressed=${this.tool === t.tool ? "true" : "false"} title="${t.label} (${t.key})" aria-label=${t.label}
            @click=${() => this.#change({ tool: this.tool === t.tool ? null : t.tool })}>${t.icon}<kbd aria-hidden="true">${t.key}</kbd></button>`,
        )}
      </div>
      <div class="group" role="group" aria-label="Colour">
        ${COLORS.map(
          (c) => html`<button class="swatch" style="--c:${c.value};background:${c.value}" aria-pressed=${this.color === c.value ? "true" : "false"} title=${c.name} aria-label=${c.name}
            @click=${() => this.#change({ color: c.value, ...(this.tool === "pen" || this.tool === "highlighter" ? {} : { tool: "pen" }) })}></button>`,
        )}
      </div>
      <div class="group" role="group" aria-label="Width">
        ${WIDTHS.map(
          (w, i) => html`<button aria-pressed=${this.width === w.value ? "true" : "false"} title=${w.name} aria-label=${w.name} @click=${() => this.#change({ width: w.value })}>
            <span class="dot" style="width:${4 + i * 4}px;height:${4 + i * 4}px"></span>
          </button>`,
        )}
      </div>
      <div class="group">
        <button title="Undo (Ctrl+Z)" @click=${() => this.#command("undo")}>Undo</button>
        <button title="Clear this page" @click=${() => this.#command("clear")}>Clear</button>
      </div>
    `;
  }

  #change(detail: ToolChange) {
    this.dispatchEvent(new CustomEvent<ToolChange>("dc-tool-change", { detail, bubbles: true, composed: true }));
  }

  #command(command: InkCommand["command"]) {
    this.dispatchEvent(new CustomEvent<InkCommand>("dc-ink-command", { detail: { command }, bubbles: true, composed: true }));
  }
}

declare global {
  interface HTMLElementTagNameMap {
    "dc-ink-toolbar": DcInkToolbar;
  }
  interface HTMLElementEventMap {
    "dc-tool-change": CustomEvent<ToolChange>;
    "dc-ink-command": CustomEvent<InkCommand>;
  }
}
