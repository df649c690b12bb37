/** Plain data shared by the deck store, the pipeline, the HTTP routes and the CLI. */

/** What an uploaded file turned out to be, decided by its content, never by its name. */
export type SourceType =
  | "pptx" | "pptm" | "ppt" | "odp" | "key"
  | "docx" | "doc" | "odt" | "rtf"
  | "pdf" | "png" | "jpeg";

/** File extension used for the stored source (`source.<ext>`). */
export const SOURCE_EXT: Record<SourceType, string> = {
  pptx: "pptx", pptm: "pptm", ppt: "ppt", odp: "odp", key: "key",
  docx: "docx", doc: "doc", odt: "odt", rtf: "rtf",
  pdf: "pdf", png: "png", jpeg: "jpg",
};

/** Page size in PDF points (1/72 inch), after the page's rotation. */
export interface PageSize {
  width: number;
  height: number;
}

/** A converted deck as stored in `<dataDir>/decks/<id>/deck.json`. */
export interface DeckRecord {
  /** sha256 of the uploaded source, lowercase hex: the deck's content address. */
  id: string;
  sourceType: SourceType;
  pages: number;
  pageSizes: PageSize[];
  title: string;
  /** Text of each page, in page order (for search). */
  text: string[];
  /** ISO 8601 time the deck was first converted. */
  createdAt: string;
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
