/**
 * Keyboard and presentation-clicker keys → what they mean in a meeting. Clickers send
 * PageDown/PageUp (some send arrows); digits then Enter go to a page, like in a slide show.
 */
import type { Tool } from "../ink/recorder.ts";

export type KeyAction =
  | { kind: "next" }
  | { kind: "prev" }
  | { kind: "first" }
  | { kind: "last" }
  | { kind: "goto"; page: number }
  | { kind: "digits"; text: string }
  | { kind: "escape" }
  | { kind: "fullscreen" }
  | { kind: "tool"; tool: Tool }
  | { kind: "undo" };

/** What a key press says (a KeyboardEvent has all of it; tests pass plain objects). */
export interface KeyPress {
  key: string;
  shiftKey?: boolean;
  ctrlKey?: boolean;
  metaKey?: boolean;
  altKey?: boolean;
}

/** Digits typed more than this long ago are forgotten. */
export const DIGITS_MS = 2500;

const TOOL_KEYS: Record<string, Tool> = { p: "pen", h: "highlighter", l: "laser", e: "eraser" };

export class PageKeys {
  #digits = "";
  #at = 0;
  readonly #now: () => number;

  /** `now`: a clock in ms (the wall clock unless a test gives its own). */
  constructor(now: () => number = Date.now) {
    this.#now = now;
  }

  /** The page number being typed ("" when none, or when it was typed too long ago). */
  get digits(): string {
    return this.#now() - this.#at > DIGITS_MS ? "" : this.#digits;
  }

  /** The action for a key press, or null when the key means nothing here (let it through). */
  read(e: KeyPress): KeyAction | null {
    if (e.altKey) return null;
    const mod = e.ctrlKey || e.metaKey;
    if (mod) return e.key.toLowerCase() === "z" && !e.shiftKey ? { kind: "undo" } : null;
    if (/^[0-9]$/.test(e.key)) {
      this.#digits = (this.digits + e.key).slice(-3);
      this.#at = this.#now();
      return { kind: "digits", text: this.#digits };
    }
    if (e.key === "Enter" && this.digits) {
      const page = Number(this.#digits);
      this.#digits = "";
      return page >= 1 ? { kind: "goto", page } : { kind: "digits", text: "" };
    }
    switch (e.key) {
      case "ArrowRight":
      case "ArrowDown":
      case "PageDown":
      case "n":
        return { kind: "next" };
      case " ":
        return e.shiftKey ? { kind: "prev" } : { kind: "next" };
      case "ArrowLeft":
      case "ArrowUp":
      case "PageUp":
        return { kind: "prev" };
      case "Home":
        return { kind: "first" };
      case "End":
        return { kind: "last" };
      case "Escape":
        this.#digits = "";
        return { kind: "escape" };
      case "f":
      case "F5":
        return { kind: "fullscreen" };
    }
    const tool = TOOL_KEYS[e.key.toLowerCase()];
    return tool ? { kind: "tool", tool } : null;
  }
}

/** True when the key press belongs to a text field, not to the meeting. */
export function typingInField(e: KeyboardEvent): boolean {
  const target = e.composedPath()[0] as HTMLElement | undefined;
  if (!target || !(target instanceof HTMLElement)) return false;
  return target.isContentEditable || target.tagName === "INPUT" || target.tagName === "TEXTAREA" || target.tagName === "SELECT";
}
