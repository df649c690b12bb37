/**
 * What a person in a meeting does with the keyboard, the toolbar and the page buttons, and
 * what it turns into: for the presenter, protocol events (page turns, ink, deck-open) stamped
 * with the session clock; for a follower, browsing on their own (a private page). No DOM:
 * <dc-meeting> feeds it key descriptors and its children's events and lays out its state;
 * tests drive it in Node with an injected clock and timers.
 *
 * Keys (app/keys.ts): → ↓ PageDown Space next, ← ↑ PageUp Shift+Space previous, Home/End,
 * digits + Enter go to a page, F fullscreen; presenter: P H L E pick a tool, Ctrl/Cmd+Z
 * undo. Esc drops a page number being typed, else goes back to live (a follower browsing),
 * else leaves the ink tool. A new presenter gets the pen, so dragging on the page draws.
 */
import type { DeckEvent, DeckRef, RoomState, Stroke } from "../../../protocol/types.ts";
import { InkRecorder, browserTimers, type RecorderTimers, type Tool } from "../ink/recorder.ts";
import { Emitter } from "../../../client-core/emitter.ts";
import { DIGITS_MS, PageKeys, type KeyAction, type KeyPress } from "./keys.ts";

/** What the controls read from the meeting and where the presenter's events go. */
export interface ControlsHost {
  /** The room as this person sees it (null before the state arrived). */
  view(): RoomState | null;
  /** True while this person holds the presenter role. */
  presenting(): boolean;
  /** The session clock (ms) for new events. */
  clock(): number;
  /** Sends the presenter's events to the room. */
  present(events: DeckEvent[]): void;
  /** Page width / height of `page` (for the eraser's distances). */
  ratio(page: number): number;
}

/** The ink style picked in the toolbar. */
export interface InkPick {
  tool?: Tool | null;
  color?: string;
  /** Line width in ink units (1/10000 of the page width); highlighters draw 4× wider. */
  width?: number;
}

export type InkPhase = "down" | "move" | "up";

/** Highlighter strokes are this many times wider than the width picked. */
export const HIGHLIGHTER_SCALE = 4;

export interface ControlsEvents extends Record<string, unknown[]> {
  /** Anything shown changed: tool, style, the page shown, the digits typed, the stroke being drawn. */
  change: [];
  /** F or F5: the stage should go fullscreen (or leave it). */
  fullscreen: [];
}

export class PresenterControls extends Emitter<ControlsEvents> {
  #tool: Tool | null = null;
  #color: string;
  #width: number;
  #privatePage: number | null = null;
  #presenting = false;
  #deck: string | null = null;
  #digitsTimer: unknown = null;
  readonly #keys: PageKeys;
  readonly #recorder: InkRecorder;
  readonly #host: ControlsHost;
  readonly #timers: RecorderTimers;

  /** `style`: the colour and width picked at first; `timers`: the browser's unless given (tests). */
  constructor(host: ControlsHost, style: { color: string; width: number }, timers: RecorderTimers = browserTimers) {
    super();
    this.#host = host;
    this.#color = style.color;
    this.#width = style.width;
    this.#timers = timers;
    this.#keys = new PageKeys(() => timers.now());
    this.#recorder = new InkRecorder(
      {
        clock: () => host.clock(),
        send: (events) => host.present(events),
        strokes: (page) => host.view()?.ink[page] ?? [],
        ratio: () => host.ratio(this.shownPage),
        changed: () => this.emit("change"),
      },
      timers,
    );
  }

  /** The active ink tool, or null when the pointer just points. */
  get tool(): Tool | null {
    return this.#tool;
  }
  get color(): string {
    return this.#color;
  }
  get width(): number {
    return this.#width;
  }
  /** A follower browsing on their own: the page they look at (null = live). */
  get privatePage(): number | null {
    return this.#privatePage;
  }
  /** The page number being typed ("" when none). */
  get digits(): string {
    return this.#keys.digits;
  }

  /** The page on this person's stage. */
  get shownPage(): number {
    const live = this.#host.view()?.page ?? 1;
    return this.#presenting ? live : (this.#privatePage ?? live);
  }

  /** Strokes being drawn on `page`, with the presenter's own stroke as drawn so far (not only as sent). */
  drawing(page: number): Stroke[] {
    const v = this.#host.view();
    const mine = this.#presenting ? this.#recorder.current : null;
    const list = Object.values(v?.drawing ?? {}).filter((d) => d.page === page && d.stroke !== mine?.stroke);
    if (mine && mine.page === page) list.push(mine);
    return list;
  }

  /**
   * Call after every change of the meeting: a role change finishes what was being drawn and
   * picks the pen for a new presenter (none for a follower); a new deck, or reaching the
   * live page, ends browsing on one's own.
   */
  sync(): void {
    const v = this.#host.view();
    let changed = false;
    const presenting = this.#host.presenting();
    if (presenting !== this.#presenting) {
      this.#presenting = presenting;
      if (!presenting) this.#recorder.finish();
      this.#tool = presenting ? "pen" : null;
      this.#privatePage = null;
      changed = true;
    }
    const deck = v?.deck?.id ?? null;
    if (deck !== this.#deck) {
      this.#deck = deck;
      if (this.#privatePage !== null) changed = true;
      this.#privatePage = null;
    }
    if (this.#privatePage !== null && this.#privatePage === v?.page) {
      this.#privatePage = null;
      changed = true;
    }
    if (changed) this.emit("change");
  }

  /** A key press; true when it was used (the caller then prevents the browser's default). */
  key(press: KeyPress): boolean {
    if (!this.#host.view()) return false;
    const typing = this.#keys.digits;
    const action = this.#keys.read(press);
    if (!action) return false;
    const used = this.#act(action, typing !== "");
    this.#digitsShown();
    return used;
  }

  /** Presenter: turn the room's page. Follower: browse on their own. */
  goTo(page: number): void {
    const v = this.#host.view();
    if (!v?.deck) return;
    const p = Math.min(v.deck.pages, Math.max(1, Math.round(page)));
    if (this.#presenting) {
      if (p === v.page) return;
      this.#recorder.finish();
      this.#host.present([{ type: "page", t: this.#host.clock(), page: p }]);
    } else {
      this.#setPrivatePage(p === v.page ? null : p);
    }
  }

  /** A follower stops browsing and sees the live page again. */
  backToLive(): void {
    this.#setPrivatePage(null);
  }

  /** A tool (or none), colour or width picked in the toolbar. */
  pick(p: InkPick): void {
    if (p.tool !== undefined) this.#setTool(p.tool);
    if (p.color) this.#color = p.color;
    if (p.width) this.#width = p.width;
    this.emit("change");
  }

  /** Undo the last stroke or clear the page shown (only when it has ink). */
  command(command: "undo" | "clear"): void {
    if (!this.#presenting) return;
    const page = this.shownPage;
    this.#recorder.finish();
    if ((this.#host.view()?.ink[page]?.length ?? 0) === 0) return;
    const t = this.#host.clock();
    this.#host.present([command === "clear" ? { type: "ink-clear", t, page } : { type: "ink-undo", t, page }]);
  }

  /** Pointer input on the stage (points: x, y pairs in ink units), for the tool picked. */
  ink(phase: InkPhase, points: number[]): void {
    if (!this.#tool || !this.#presenting || !this.#host.view()?.deck) return;
    const width = this.#tool === "highlighter" ? this.#width * HIGHLIGHTER_SCALE : this.#width;
    this.#recorder.input(this.#tool, { color: this.#color, width }, this.shownPage, phase, points);
  }

  /** The presenter opens an uploaded deck. */
  openDeck(deck: DeckRef): void {
    if (!this.#presenting) return;
    this.#recorder.finish();
    this.#host.present([{ type: "deck-open", t: this.#host.clock(), deck }]);
  }

  /** Ends whatever is being drawn and forgets the timers (leaving, the meeting ended). */
  finish(): void {
    this.#recorder.finish();
    this.#clearDigitsTimer();
  }

  /** True when the key was used. `typing`: a page number was being typed before this key. */
  #act(a: KeyAction, typing: boolean): boolean {
    const page = this.shownPage;
    const pages = this.#host.view()?.deck?.pages ?? 0;
    switch (a.kind) {
      case "next":
        this.goTo(page + 1);
        return true;
      case "prev":
        this.goTo(page - 1);
        return true;
      case "first":
        this.goTo(1);
        return true;
      case "last":
        this.goTo(pages);
        return true;
      case "goto":
        this.goTo(a.page);
        return true;
      case "digits":
        return pages > 0;
      case "escape":
        if (typing) return true; // only the page number being typed is dropped
        if (this.#privatePage !== null) this.#setPrivatePage(null);
        else if (this.#tool) this.#setTool(null);
        return true;
      case "fullscreen":
        this.emit("fullscreen");
        return true;
      case "tool":
        if (!this.#presenting) return false;
        this.#setTool(a.tool); // a key picks its tool; Esc leaves it
        return true;
      case "undo":
        if (!this.#presenting) return false;
        this.command("undo");
        return true;
    }
  }

  #setTool(tool: Tool | null) {
    if (tool !== this.#tool) this.#recorder.finish();
    this.#tool = tool;
    this.emit("change");
  }

  #setPrivatePage(page: number | null) {
    if (page === this.#privatePage) return;
    this.#privatePage = page;
    this.emit("change");
  }

  /** The digits shown changed: show them, and take them off screen when they are forgotten. */
  #digitsShown() {
    this.#clearDigitsTimer();
    this.emit("change");
    if (this.#keys.digits === "") return;
    this.#digitsTimer = this.#timers.after(() => {
      this.#digitsTimer = null;
      this.emit("change");
    }, DIGITS_MS + 1);
  }

  #clearDigitsTimer() {
    if (this.#digitsTimer === null) return;
    this.#timers.clear(this.#digitsTimer);
    this.#digitsTimer = null;
  }
}
