/**
 * XEP-0363 upload slots (https://xmpp.org/extensions/xep-0363.html): a slot is a one-time,
 * short-lived permission to PUT one file of a declared size. Its token is an HMAC-SHA256,
 * under the server's secret, over the slot id, the requester's bare JID, the size and the
 * expiry, so a token cannot be forged, moved to another slot or stretched in time or size.
 *
 * The issuer also holds the upload limits (`limits`, from server/config.ts through
 * DecksOptions.uploadLimits; `configure()` changes them later): one account may hold at most `maxPending` slots at once (10) declaring at
 * most `maxPendingBytes` in total (500 MiB); a slot is pending from its issue until a file
 * is stored with it or it expires (a slot being received stays pending). Over either limit
 * issueSlot throws {@link QuotaExceeded}. `uploadIdleMs` (30 s) is how long an upload body
 * may send nothing before it is cut off (server/http/upload-routes.ts).
 */
import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import { pendingDeckPath, uploadPutPath } from "../../../protocol/deck-urls.ts";
import { describeBytes, fail, ok, type DeckResult } from "../errors.ts";

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

/** Limits on uploads, per account and per body. */
export interface UploadLimits {
  /** Slots one account may hold at once (issued, not yet used or expired). */
  maxPending: number;
  /** Total bytes those slots may declare. */
  maxPendingBytes: number;
  /** An upload body sending nothing for this long is cut off and its slot freed. */
  uploadIdleMs: number;
}

export const UPLOAD_LIMIT_DEFAULTS: UploadLimits = { maxPending: 10, maxPendingBytes: 500 * 1024 * 1024, uploadIdleMs: 30_000 };

/** A slot refused because the account holds too many (or too large) pending slots already. */
export class QuotaExceeded extends Error {
  readonly code = "quota-exceeded";
}

const SLOT_ID = /^[A-Za-z0-9_-]{22}$/;

export class SlotIssuer {
  private readonly slots = new Map<string, Slot>();
  private readonly ttlMs: number;
  private readonly now: () => number;
  private readonly base: string;
  private limitsNow: UploadLimits;

  constructor(private readonly opts: SlotOptions & { limits?: Partial<UploadLimits> }) {
    if (!opts.secret) throw new Error("upload slots need a secret");
    this.ttlMs = opts.ttlMs ?? 5 * 60_000;
    this.now = opts.now ?? Date.now;
    this.base = opts.publicUrl.replace(/\/+$/, "");
    this.limitsNow = { ...UPLOAD_LIMIT_DEFAULTS, ...opts.limits };
  }

  get limits(): UploadLimits {
    return this.limitsNow;
  }

  /** Changes the upload limits (the entry point sets them from the environment). */
  configure(limits: Partial<UploadLimits>): void {
    this.limitsNow = { ...this.limitsNow, ...limits };
  }

  /** The slots `bareJid` holds now: issued, not yet used, not expired (or being received). */
  pending(bareJid: string): { count: number; bytes: number } {
    const now = this.now();
    let count = 0;
    let bytes = 0;
    for (const slot of this.slots.values()) {
      if (slot.bareJid !== bareJid || slot.used || (!slot.receiving && now > slot.expiresAt)) continue;
      count++;
      bytes += slot.size;
    }
    return { count, bytes };
  }

  /**
   * Issues a slot; the caller has already checked who asks and how big the file is.
   * Throws QuotaExceeded when the account would hold more pending slots, or bytes, than allowed.
   */
  issueSlot(req: SlotRequest): Slot {
    this.sweep();
    const bareJid = req.jid.split("/")[0]!;
    const held = this.pending(bareJid);
    const { maxPending, maxPendingBytes } = this.limitsNow;
    if (held.count + 1 > maxPending) {
      throw new QuotaExceeded(`You already have ${held.count} uploads waiting; at most ${maxPending} may wait at once. Finish one or let it expire (${Math.round(this.ttlMs / 60_000)} min) first.`);
    }
    if (held.bytes + req.size > maxPendingBytes) {
      throw new QuotaExceeded(`Your waiting uploads would declare ${describeBytes(held.bytes + req.size)}; at most ${describeBytes(maxPendingBytes)} may wait at once. Finish one or let it expire first.`);
    }
    const id = randomBytes(16).toString("base64url");
    const expiresAt = this.now() + this.ttlMs;
    const token = `${expiresAt}.${this.mac(id, bareJid, req.size, expiresAt)}`;
    const slot: Slot = {
      id, jid: req.jid, bareJid, filename: req.filename, size: req.size, contentType: req.contentType, expiresAt, token,
      putUrl: `${this.base}${uploadPutPath(id, token)}`,
      getUrl: `${this.base}${pendingDeckPath(id)}`,
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
