/**
 * Upload status: uploaded → converting → ready | failed, per slot. Each change is kept
 * (for GET /upload/<slot>/status) and told to the uploader's full JID as a deck-status
 * message from the component:
 *
 *   <message to="alice@localhost/web" from="deckcast.localhost" type="normal">
 *     <deck-status xmlns="urn:deckcast:0" slot="…" state="ready" deck="<sha256>" pages="12"
 *                  title="Q3 review">Q3 review is ready: 12 pages.</deck-status>
 *   </message>
 */
import { NS } from "../../../protocol/namespaces.ts";
import xml, { type Element } from "@xmpp/xml";
import type { DeckErrorCode } from "../errors.ts";


export type UploadState = "uploaded" | "converting" | "ready" | "failed";

export interface UploadStatus {
  slot: string;
  state: UploadState;
  /** Content address (sha256 of the source), known from "uploaded" on. */
  deck?: string;
  pages?: number;
  title?: string;
  /** Error code when failed. */
  code?: DeckErrorCode;
  /** 0..100 while converting. */
  progress?: number;
  /** A sentence for the person. */
  message: string;
}

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
  const attrs: Record<string, string> = { xmlns: NS.deckcast, slot: s.slot, state: s.state };
  if (s.deck) attrs.deck = s.deck;
  if (s.pages !== undefined) attrs.pages = String(s.pages);
  if (s.title !== undefined) attrs.title = s.title;
  if (s.code) attrs.code = s.code;
  if (s.progress !== undefined) attrs.progress = String(s.progress);
  return xml("message", { to, from, type: "normal" }, xml("deck-status", attrs, s.message));
}

/** Reads a deck-status element back (for clients and tests); null when it is not one. */
export function parseDeckStatus(el: Element): UploadStatus | null {
  const ds = el.name === "deck-status" ? el : el.getChild("deck-status", NS.deckcast);
  if (!ds || ds.attrs.xmlns !== NS.deckcast) return null;
  const a = ds.attrs as Record<string, string | undefined>;
  const state = a.state as UploadState;
  if (!a.slot || !["uploaded", "converting", "ready", "failed"].includes(state)) return null;
  const s: UploadStatus = { slot: a.slot, state, message: ds.getText() };
  if (a.deck) s.deck = a.deck;
  if (a.pages) s.pages = Number(a.pages);
  if (a.title !== undefined) s.title = a.title;
  if (a.code) s.code = a.code as DeckErrorCode;
  if (a.progress) s.progress = Number(a.progress);
  return s;
}
