/**
 * <dc-thumbs>: the deck's pages as a strip of thumbnails; the shown page is highlighted,
 * the live page marked. Scrolls to keep the shown page in view, only when it is not: an
 * IntersectionObserver keeps which thumbnails are wholly in view, where asking (or a
 * scrollIntoView that has nothing to do) forces a layout at every page turn, 0.2–0.8 ms of a
 * follower's main thread in the glass bench's profile. A new deck gets new <img>
 * elements: Chromium keeps painting an <img>'s old picture until its new src has loaded, so
 * reused ones showed the previous deck's pages for a moment.
 *
 * @fires dc-page-select {PageSelect} a thumbnail was chosen
 */
import { LitElement, css, html, nothing, type PropertyValues } from "lit";
import { customElement, property } from "lit/decorators.js";
import { keyed } from "lit/directives/keyed.js";
import { afterFrame } from "../render/after-frame.ts";
import { thumbSrc, thumbUrl } from "../render/page-images.ts";
import { base } from "./shared-styles.ts";

export interface PageSelect {
  page: number;
}

/** The share of a thumbnail that must show for it to count as in view (1 less a rounding's worth). */
const IN_VIEW = 0.99;

@customElement("dc-thumbs")
export class DcThumbs extends LitElement {
  static override styles = [
    base,
    css`
      :host { display: block; overflow-x: auto; overflow-y: hidden; scrollbar-width: thin; }
      ol { display: flex; gap: 0.5rem; margin: 0; padding: 0.4rem; list-style: none; }
      button { padding: 0; border-radius: 6px; border: 2px solid transparent; background: var(--dc-panel-2); position: relative; min-height: 0; line-height: 0; }
      button[aria-current="true"] { border-color: var(--dc-accent-2); }
      img { height: var(--dc-thumb-height, 64px); aspect-ratio: var(--dc-thumb-ratio, 16 / 9); width: auto; border-radius: 4px; display: block; background: #fff; }
      .n { position: absolute; left: 3px; bottom: 3px; font-size: 0.72rem; line-height: 1; padding: 2px 4px; border-radius: 4px; background: rgb(0 0 0 / 0.65); color: #fff; }
      .live { position: absolute; right: 3px; top: 3px; font-size: 0.62rem; line-height: 1; padding: 2px 4px; border-radius: 4px; background: var(--dc-live); color: #fff; font-weight: 700; }
    `,
  ];

  @property() accessor deck: string | null = null;
  @property({ type: Number }) accessor pages = 0;
  /** The page on the stage. */
  @property({ type: Number }) accessor current = 1;
  /** The room's live page (marked), or 0 to mark none. */
  @property({ type: Number }) accessor live = 0;
  @property({ type: Number }) accessor ratio = 16 / 9;
  /** True once the deck is held offline: the thumbnails then come from the held bytes (thumbSrc). */
  @property({ type: Boolean }) accessor offline = false;

  override render() {
    if (!this.deck) return nothing;
    const pages = Array.from({ length: this.pages }, (_, i) => i + 1);
    return keyed(this.deck, html`<ol style="--dc-thumb-ratio:${this.ratio}" aria-label="Pages">
      ${pages.map(
        (p) => html`<li>
          <button data-page=${p} aria-current=${p === this.current ? "true" : "false"} aria-label="Page ${p}" title="Page ${p}" @click=${() => this.#select(p)}>
            <img src=${thumbSrc(this.deck!, p)} data-thumb=${thumbUrl(this.deck!, p)} alt="" loading="lazy" decoding="async" />
            <span class="n">${p}</span>
            ${p === this.live && this.live !== this.current ? html`<span class="live">LIVE</span>` : nothing}
          </button>
        </li>`,
      )}
    </ol>`);
  }

  /** Pages whose thumbnail is wholly in the strip's view, as the observer last said. */
  readonly #inView = new Set<number>();
  #observer: IntersectionObserver | null = null;

  override connectedCallback(): void {
    super.connectedCallback();
    if (this.hasUpdated) this.#observe(); // moved in the page: watch the same buttons again
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    this.#observer?.disconnect();
    this.#inView.clear();
  }

  protected override updated(changed: PropertyValues<this>): void {
    if (changed.has("deck") || changed.has("pages")) this.#observe();
    // Scrolling forces a layout: after the frame that shows the new page, not before it.
    if (changed.has("current") || changed.has("deck")) {
      const page = this.current;
      afterFrame(() => {
        if (this.#observer && this.#inView.has(page)) return;
        // Centred: the next few pages' thumbnails are in view too, so the next few turns need no scroll.
        this.renderRoot.querySelector(`button[data-page="${page}"]`)?.scrollIntoView({ block: "nearest", inline: "center" });
      });
    }
  }

  /** Watches this deck's buttons (a new deck renders new ones); without IntersectionObserver, every turn scrolls. */
  #observe(): void {
    this.#observer?.disconnect();
    this.#inView.clear();
    if (typeof IntersectionObserver !== "function") return;
    this.#observer ??= new IntersectionObserver(
      (entries) => {
        for (const e of entries) {
          const page = Number((e.target as HTMLElement).dataset.page);
          if (e.intersectionRatio >= IN_VIEW) this.#inView.add(page);
          else this.#inView.delete(page);
        }
      },
      { root: this, threshold: [IN_VIEW] },
    );
    for (const b of this.renderRoot.querySelectorAll("button[data-page]")) this.#observer.observe(b);
  }

  #select(page: number) {
    this.dispatchEvent(new CustomEvent<PageSelect>("dc-page-select", { detail: { page }, bubbles: true, composed: true }));
  }
}

declare global {
  interface HTMLElementTagNameMap {
    "dc-thumbs": DcThumbs;
  }
  interface HTMLElementEventMap {
    "dc-page-select": CustomEvent<PageSelect>;
  }
}
