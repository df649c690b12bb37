/**
 * Upload status: uploaded → converting → ready | failed, per slot (the shape and its codec:
 * protocol/deck-status.ts). Each change is kept
 * (for GET /upload/<slot>/status) and told to the uploader's full JID as a deck-status
 * message from the component:
 *
 *   <message to="alice@localhost/web" from="deckcast.localhost" type="normal">
 *     <deck-status xmlns="urn:deckcast:0" slot="…" state="ready" deck="<sha256>" pages="12"
 *                  title="Q3 review">Q3 review is ready: 12 pages.</deck-status>
 *   </message>
 */
import xml, { type Element } from "@xmpp/xml";
import { deckStatusOf, decodeDeckStatus, encodeDeckStatus, type DeckState, type DeckStatus } from "../../../protocol/deck-status.ts";

/** The wire shape is protocol/deck-status.ts; these names are the server's for it. */
export type UploadState = DeckState;
export type UploadStatus = DeckStatus;

/** Statuses are kept this long after their last change. */
const KEEP_MS = 60 * 60_000;

export class UploadTracker {
  private readonly statuses = new Map<string, { status: UploadStatus; jid: string; at: number }>();

  /** `notify(jid, status)` tells the uploader; it must not throw (log instead). */
  constructor(private readonly notify: (jid: string, status: UploadStatus) => void, private readonly now: () => number = Date.now) {}

  update(jid: string, status: UploadStatus): void {
    this.sweep();
    this.statuses.set(status.slot, { status, jid, at: this.now() });
    this.notify(jid, status);
  }

  get(slot: string): UploadStatus | null {
    return this.statuses.get(slot)?.status ?? null;
  }

  private sweep(): void {
    const cutoff = this.now() - KEEP_MS;
    for (const [slot, s] of this.statuses) if (s.at < cutoff) this.statuses.delete(slot);
  }
}

/** The deck-status message for one status change. */
export function deckStatusMessage(from: string, to: string, s: UploadStatus): Element {
  return xml("message", { to, from, type: "normal" }, encodeDeckStatus(s));
}

/** Reads a deck-status element (or the message around one) back, for tests; null when it is not a valid one. */
export function parseDeckStatus(el: Element): UploadStatus | null {
  const r = el.name === "deck-status" ? decodeDeckStatus(el) : deckStatusOf(el);
  return r?.ok ? r.value : null;
}
