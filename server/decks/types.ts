/** Plain data shared by the deck store, the pipeline, the HTTP routes and the CLI. */

import type { DeckInfo, PageSize, SourceType } from "../../protocol/deck-info.ts";

export type { PageSize, SourceType };

/** File extension used for the stored source (`source.<ext>`). */
export const SOURCE_EXT: Record<SourceType, string> = {
  pptx: "pptx", pptm: "pptm", ppt: "ppt", odp: "odp", key: "key",
  docx: "docx", doc: "doc", odt: "odt", rtf: "rtf",
  pdf: "pdf", png: "png", jpeg: "jpg",
};

/**
 * A converted deck as stored in `<dataDir>/decks/<id>/deck.json`: the wire record of
 * GET /decks/<id> (protocol/deck-info.ts) with the text of each page always present.
 */
export interface DeckRecord extends DeckInfo {
  /** Text of each page, in page order (for search). */
  text: string[];
}

/** What the PDF inspector learns from a PDF. */
export interface PdfFacts {
  pages: number;
  pageSizes: PageSize[];
  text: string[];
  /** The PDF's metadata title (Info /Title, else XMP dc:title) when it is a real one (title.ts), else "". */
  metaTitle: string;
}

/** A deck id is the sha256 hex of its source: exactly 64 lowercase hex digits. */
export function isDeckId(s: string): boolean {
  return /^[0-9a-f]{64}$/.test(s);
}
