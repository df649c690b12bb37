/**
 * Deck error catalogue: every way an upload or a conversion can fail, as a stable code
 * (clients and the CLI switch on it), the HTTP status the web side answers with, and a
 * message in plain words for the person who uploaded the file.
 *
 * These codes travel in `code` attributes (deck-status messages), JSON bodies and CLI
 * output; they are not XMPP stanza errors (those live in protocol/errors.ts). The code list
 * is a wire shape: protocol/deck-errors.ts; this is the server's catalogue over it.
 */
import type { DeckErrorCode } from "../../protocol/deck-errors.ts";
import type { Result } from "../../protocol/types.ts";

export type { DeckErrorCode };

export interface DeckErrorSpec {
  status: number;
  message: string;
}

export const DECK_ERRORS = {
  "unknown-type": { status: 415, message: "This file type is not supported. Upload a presentation (PPTX, PPT, ODP, Keynote), a document (DOCX, DOC, ODT, RTF), a PDF or an image (PNG, JPEG)." },
  "empty-file": { status: 400, message: "The file is empty." },
  "corrupt-file": { status: 422, message: "The file is damaged and cannot be read." },
  "password-protected": { status: 422, message: "The file is protected by a password. Remove the password and upload it again." },
  "no-pages": { status: 422, message: "The deck has no slides." },
  "too-many-pages": { status: 422, message: "The deck has more pages than allowed." },
  "too-large": { status: 413, message: "The file is larger than allowed." },
  "zip-bomb": { status: 422, message: "The file expands to far more data than a real document would; it was refused." },
  "conversion-timeout": { status: 422, message: "Converting the file took too long and was stopped." },
  "conversion-failed": { status: 422, message: "The file could not be converted to PDF." },
  "token-expired": { status: 403, message: "The upload link has expired; ask for a new one." },
  "token-invalid": { status: 403, message: "The upload link is not valid." },
  "size-mismatch": { status: 400, message: "The upload's size does not match the size declared for the slot." },
  "slot-used": { status: 409, message: "A file was already uploaded with this link." },
  "upload-aborted": { status: 400, message: "The upload was interrupted before the whole file arrived." },
  "unknown-deck": { status: 404, message: "There is no deck with that id." },
  "unknown-slot": { status: 404, message: "There is no upload with that id." },
  "bad-request": { status: 400, message: "The request is malformed." },
  "internal": { status: 500, message: "Something went wrong on the server." },
} as const satisfies Record<DeckErrorCode, DeckErrorSpec>;

/** A refused input or failed step: a stable code and a sentence a person understands. */
export interface DeckError {
  code: DeckErrorCode;
  message: string;
}

export type DeckResult<T> = Result<T, DeckError>;

/** Builds a DeckError; `message` replaces the catalogue's default with something more precise. */
export function deckError(code: DeckErrorCode, message?: string): DeckError {
  return { code, message: message ?? DECK_ERRORS[code].message };
}

/** The refusal for a document over the page limit, with both numbers. */
export function tooManyPages(pages: number, max: number): DeckError {
  return deckError("too-many-pages", `The document has ${pages} pages; at most ${max} are allowed.`);
}

/** 104857600 → "104,857,600". */
export function groupDigits(n: number): string {
  return String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ",");
}

/** A size a person reads: exact bytes, and the binary figure when it is 1 KiB or more ("104,857,600 bytes (100 MiB)"). */
export function describeBytes(n: number): string {
  const units = [["GiB", 1024 ** 3], ["MiB", 1024 ** 2], ["KiB", 1024]] as const;
  const unit = units.find(([, size]) => n >= size);
  const exact = `${groupDigits(n)} ${n === 1 ? "byte" : "bytes"}`;
  if (!unit) return exact;
  return `${exact} (${(n / unit[1]).toFixed(2).replace(/\.?0+$/, "")} ${unit[0]})`;
}

/**
 * The refusal of a file over the size limit. The file's size is given in bytes only: a
 * rounded figure for it could read the same as the limit's ("104.9 MB; the limit is 104.9 MB").
 */
export function tooLargeMessage(size: number, max: number): string {
  return `The file is ${groupDigits(size)} bytes; the limit is ${describeBytes(max)}.`;
}

export function ok<T>(value: T): DeckResult<T> {
  return { ok: true, value };
}

export function fail<T = never>(code: DeckErrorCode, message?: string): DeckResult<T> {
  return { ok: false, error: deckError(code, message) };
}

/** HTTP status for a deck error code. */
export function httpStatus(code: DeckErrorCode): number {
  return DECK_ERRORS[code].status;
}
