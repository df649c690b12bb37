/**
 * <dc-deck-offline>: a small, quiet status of the deck prefetch (app/deck-prefetch.ts):
 * "Deck 12/30 offline…" while the pages arrive (with their thumbnails, counted as pages), then "Deck ready offline". The host carries
 * `data-deck-ready` once every page is held (tests read it) and `data-deck` naming the deck.
 */
import { LitElement, css, html, nothing, type PropertyValues } from "lit";
import { customElement, property } from "lit/decorators.js";
import type { DeckPrefetchStatus } from "../app/deck-prefetch.ts";

/** What the status says: pages and their thumbnails counted as pages, so "12/30" means what a person expects. */
export function deckOfflineText(s: DeckPrefetchStatus): string {
  if (s.done) return "Deck ready offline";
  const pages = Math.round(s.total / 2);
  const ready = Math.min(pages, Math.floor((s.ready / Math.max(1, s.total)) * pages));
  return `Deck ${ready}/${pages} offline…`;
}

@customElement("dc-deck-offline")
export class DcDeckOffline extends LitElement {
  static override styles = css`
    :host { display: inline; font-size: 0.8rem; }
    span[role="status"]::before { content: " · "; }
    .refused { color: #e0a040; }
  `;

  @property({ attribute: false }) accessor status: DeckPrefetchStatus | null = null;

  protected override willUpdate(changed: PropertyValues<this>): void {
    if (!changed.has("status")) return;
    const s = this.status;
    this.toggleAttribute("data-deck-ready", !!s?.done);
    if (s) this.setAttribute("data-deck", s.deck);
    else this.removeAttribute("data-deck");
  }

  override render() {
    const s = this.status;
    if (!s) return nothing;
    return html`<span role="status" title=${`${s.ready} of ${s.total} page images and thumbnails held on this device, checked`}>
      ${deckOfflineText(s)}
      ${s.refused ? html`<span class="refused"> (${s.refused} refused)</span>` : nothing}
    </span>`;
  }
}
