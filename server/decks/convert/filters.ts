/**
 * LibreOffice filters per source type. The import filter is forced (never detected from
 * the name or guessed by LibreOffice): a text file named .pptx must not "convert" as a text
 * document, and the filter must match the type deckcast sniffed from the content.
 */
import type { SourceType } from "../types.ts";

export interface OfficeFilters {
  importFilter: string;
  exportFilter: string;
}

const IMPRESS_PDF = "impress_pdf_Export";
const WRITER_PDF = "writer_pdf_Export";

/** Types LibreOffice converts, and how. PDF and images never go through LibreOffice. */
export const OFFICE_FILTERS: Partial<Record<SourceType, OfficeFilters>> = {
  pptx: { importFilter: "Impress MS PowerPoint 2007 XML", exportFilter: IMPRESS_PDF },
  // Macros are kept in the model but never run: the loader sets MacroExecutionMode NEVER.
  pptm: { importFilter: "Impress MS PowerPoint 2007 XML", exportFilter: IMPRESS_PDF },
  ppt: { importFilter: "MS PowerPoint 97", exportFilter: IMPRESS_PDF },
  odp: { importFilter: "impress8", exportFilter: IMPRESS_PDF },
  key: { importFilter: "Apple Keynote", exportFilter: IMPRESS_PDF },
  docx: { importFilter: "MS Word 2007 XML", exportFilter: WRITER_PDF },
  doc: { importFilter: "MS Word 97", exportFilter: WRITER_PDF },
  odt: { importFilter: "writer8", exportFilter: WRITER_PDF },
  rtf: { importFilter: "Rich Text Format", exportFilter: WRITER_PDF },
};
