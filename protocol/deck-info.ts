/**
 * A deck's record on the wire (docs/protocol.md §Decks, 5): the JSON of GET /decks/<id>
 * (page sizes for layout, the title, the source type), and its checker. The server's
 * stored record (server/decks/types.ts DeckRecord) is this with the page texts always
 * present; the client decodes what it fetched and refuses a body that does not check.
 * Pure: no I/O; never throws on input.
 */

import { Checker, describe, getter, isRecord, type Loc } from "./check.ts";
import { LIMITS } from "./namespaces.ts";
import { fail } from "./result.ts";
import type { Result } from "./types.ts";

/** What an uploaded file turned out to be, decided by its content, never by its name. */
export const SOURCE_TYPES = ["pptx", "pptm", "ppt", "odp", "key", "docx", "doc", "odt", "rtf", "pdf", "png", "jpeg"] as const;
export type SourceType = (typeof SOURCE_TYPES)[number];

/** Page size in PDF points (1/72 inch), after the page's rotation. */
export interface PageSize {
  width: number;
  height: number;
}

export interface DeckInfo {
  /** sha256 of the uploaded source, lowercase hex: the deck's content address. */
  id: string;
  sourceType: SourceType;
  pages: number;
  /** One per page, in page order. */
  pageSizes: PageSize[];
  title: string;
  /** ISO 8601 time the deck was first converted. */
  createdAt: string;
  /** Text of each page, in page order: only with ?text=1. */
  text?: string[];
}

export const DECK_INFO = {
  /** Largest page side in points (PDF's own limit is 14,400; UserUnit can scale it). */
  maxPageSide: 1_000_000,
  /** Characters of createdAt. */
  maxCreatedAt: 64,
  /** Code points of one page's text. */
  maxPageText: 1_000_000,
} as const;

const at = (name: string): Loc => ({ path: `deck.${name}`, name });

/** Checks a GET /decks/<id> body. */
export function validateDeckInfo(v: unknown): Result<DeckInfo> {
  if (!isRecord(v)) return fail("bad-request", `a deck record must be an object, got ${describe(v)}`, "deck");
  const get = getter(v);
  const c = new Checker("bad-request");
  const id = c.hex64(get("id"), at("id"));
  const sourceType = c.oneOf(get("sourceType"), at("sourceType"), SOURCE_TYPES);
  const pages = c.page(get("pages"), at("pages"));
  const title = c.text(get("title"), at("title"), LIMITS.maxTitle, true);
  const createdAt = c.text(get("createdAt"), at("createdAt"), DECK_INFO.maxCreatedAt, true);
  const pageSizes: PageSize[] = [];
  const sizes = get("pageSizes");
  if (!Array.isArray(sizes)) c.fail("deck.pageSizes", `pageSizes must be an array, got ${describe(sizes)}`);
  else if (!c.failed && sizes.length !== pages) c.fail("deck.pageSizes", `pageSizes has ${sizes.length} entries for ${pages} pages`);
  else {
    for (const [i, size] of sizes.entries()) {
      const path = `deck.pageSizes[${i + 1}]`;
      if (!isRecord(size)) {
        c.fail(path, `a page size must be {width, height}, got ${describe(size)}`);
        break;
      }
      const g = getter(size);
      pageSizes.push({ width: side(c, g("width"), { path: `${path}.width`, name: "width" }), height: side(c, g("height"), { path: `${path}.height`, name: "height" }) });
    }
  }
  const info: DeckInfo = { id, sourceType, pages, pageSizes, title, createdAt };
  const text = get("text");
  if (text !== undefined) {
    if (!Array.isArray(text) || text.length !== pages) c.fail("deck.text", `text must hold one string per page, got ${describe(text)}`);
    else info.text = text.map((t: unknown, i) => (typeof t === "string" && t.length <= DECK_INFO.maxPageText ? t : (c.fail(`deck.text[${i + 1}]`, `page text must be a string of at most ${DECK_INFO.maxPageText} characters`), "")));
  }
  return c.result(info);
}

/** A page side: a finite number above 0, at most maxPageSide. */
function side(c: Checker, v: unknown, loc: Loc): number {
  if (typeof v === "number" && Number.isFinite(v) && v > 0 && v <= DECK_INFO.maxPageSide) return v;
  c.fail(loc.path, `${loc.name} must be a number in (0, ${DECK_INFO.maxPageSide}], got ${describe(v)}`);
  return 1;
}
