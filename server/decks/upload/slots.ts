/**
 * XEP-0363 upload slots (https://xmpp.org/extensions/xep-0363.html): a slot is a one-time,
 * short-lived permission to PUT one file of a declared size. Its token is an HMAC-SHA256,
 * under the server's secret, over the slot id, the requester's bare JID, the size and the
 * expiry, so a token cannot be forged, moved to another slot or stretched in time or size.
 */
import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import { fail, ok, type DeckResult } from "../errors.ts";

export interface SlotRequest {
  /** Full JID of the requester (status messages go back to it). */
  jid: string;
  filename: string;
  size: number;
  contentType?: string;
}

export interface Slot {
  id: string;
  jid: string;
  bareJid: string;
  filename: string;
  size: number;
  contentType?: string;
  /** Unix ms after which the PUT is refused with token-expired. */
  expiresAt: number;
  token: string;
  putUrl: string;
  getUrl: string;
  /** A PUT is streaming into this slot right now. */
  receiving: boolean;
  /** A file was stored with this slot: it cannot be used again. */
  used: boolean;
}

export interface SlotOptions {
  /** HMAC key for slot tokens. */
  secret: string;
  /** Base URL the PUT and GET URLs are built on, e.g. http://127.0.0.1:8080. */
  publicUrl: string;
  /** How long a slot may be used. Default 5 minutes. */
  ttlMs?: number;
  /** Clock, for tests. */
  now?: () => number;
}

const SLOT_ID = /^[A-Za-z0-9_-]{22}$/;

export class SlotIssuer {
  private readonly slots = new Map<string, Slot>();
  private readonly ttlMs: number;
  private readonly now: () => number;
  private readonly base: string;

  constructor(private readonly opts: SlotOptions) {
    if (!opts.secret) throw new Error("upload slots need a secret");
    this.ttlMs = opts.ttlMs ?? 5 * 60_000;
    this.now = opts.now ?? Date.now;
    this.base = opts.publicUrl.replace(/\/+$/, "");
  }

  /** Issues a slot; the caller has already checked who asks and how big the file is. */
  issueSlot(req: SlotRequest): Slot {
    this.sweep();
    const id = randomBytes(16).toString("base64url");
    const bareJid = req.jid.split("/")[0]!;
    const expiresAt = this.now() + this.ttlMs;
    const token = `${expiresAt}.${this.mac(id, bareJid, req.size, expiresAt)}`;
    const slot: Slot = {
      id, jid: req.jid, bareJid, filename: req.filename, size: req.size, contentType: req.contentType, expiresAt, token,
      putUrl: `${this.base}/upload/${id}?token=${encodeURIComponent(token)}`,
      getUrl: `${this.base}/decks/pending/${id}`,
      receiving: false,
      used: false,
    };
    this.slots.set(id, slot);
    return slot;
  }

  /** Checks a PUT's slot id and token. Unknown slots and forged tokens look the same: token-invalid. */
  verify(id: string, token: unknown): DeckResult<Slot> {
    const slot = SLOT_ID.test(id) ? this.slots.get(id) : undefined;
    if (!slot || typeof token !== "string") return fail("token-invalid");
    const [expires, mac] = token.split(".");
    const expected = Buffer.from(this.mac(slot.id, slot.bareJid, slot.size, slot.expiresAt));
    const given = Buffer.from(mac ?? "");
    if (Number(expires) !== slot.expiresAt || given.length !== expected.length || !timingSafeEqual(given, expected)) {
      return fail("token-invalid");
    }
    if (this.now() > slot.expiresAt) return fail("token-expired");
    return ok(slot);
  }

  get(id: string): Slot | undefined {
    return this.slots.get(id);
  }

  private mac(id: string, bareJid: string, size: number, expiresAt: number): string {
    return createHmac("sha256", this.opts.secret)
      .update(`deckcast-upload-v1\n${id}\n${bareJid}\n${size}\n${expiresAt}`)
      .digest("base64url");
  }

  /** Forgets slots a full TTL after they expired (until then an old token still reads "expired"). */
  private sweep(): void {
    const cutoff = this.now() - this.ttlMs;
    for (const [id, slot] of this.slots) {
      if (slot.expiresAt < cutoff && !slot.receiving) this.slots.delete(id);
    }
  }
}
