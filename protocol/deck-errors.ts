/**
 * The deck error codes (docs/protocol.md §Deck error codes): every way an upload or a
 * conversion can fail, as a stable code carried in a failed deck-status's `code`, in the HTTP
 * JSON body `{"error": {"code", "message"}}` and in the CLI's output. Clients switch on the
 * code, never on the message. These are not XMPP stanza errors (protocol/errors.ts).
 * The server's catalogue (HTTP status, default sentence) is server/decks/errors.ts.
 */

import { Checker, describe, isRecord } from "./check.ts";
import { fail } from "./result.ts";
import type { Result } from "./types.ts";

export const DECK_ERROR_CODES = [
  "unknown-type", "empty-file", "corrupt-file", "password-protected", "no-pages", "too-many-pages",
  "too-large", "zip-bomb", "conversion-timeout", "conversion-failed", "token-expired", "token-invalid",
  "size-mismatch", "slot-used", "upload-aborted", "unknown-deck", "unknown-slot", "bad-request", "internal",
] as const;

export type DeckErrorCode = (typeof DECK_ERROR_CODES)[number];

export function isDeckErrorCode(s: unknown): s is DeckErrorCode {
  return typeof s === "string" && (DECK_ERROR_CODES as readonly string[]).includes(s);
}

/** Code points of a deck error's or status's sentence on the wire (the encoder cuts longer ones). */
export const MAX_DECK_MESSAGE = 1000;

/** A deck error as the HTTP routes send it: `{"error": {code, message}}`. */
export interface DeckErrorBody {
  error: { code: DeckErrorCode; message: string };
}

/** Checks an HTTP error body (the client shows `message` only once it passed). */
export function validateDeckErrorBody(v: unknown): Result<DeckErrorBody> {
  if (!isRecord(v) || !isRecord(v.error)) return fail("bad-request", `a deck error body must be {"error": {…}}, got ${describe(v)}`, "error");
  const c = new Checker("bad-request");
  const code = c.oneOf(v.error.code, { path: "error.code", name: "code" }, DECK_ERROR_CODES);
  const message = c.text(v.error.message, { path: "error.message", name: "message" }, MAX_DECK_MESSAGE, true);
  return c.result({ error: { code, message } });
}
