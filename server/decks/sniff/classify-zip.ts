/**
 * Tells what a ZIP-based file is from its parts: OOXML (PowerPoint or Word, with or
 * without macros), OpenDocument (presentation or text), or Keynote. The file name plays
 * no part.
 */
import { fail, ok, type DeckResult } from "../errors.ts";
import type { SourceType } from "../types.ts";
import type { ZipListing } from "./zip.ts";

export interface ZipKind {
  type: SourceType;
  /** Slides the deck declares (PPTX/PPTM only): LibreOffice turns zero slides into one blank page. */
  slides?: number;
}

const ODF_TYPES: Record<string, SourceType> = {
  "application/vnd.oasis.opendocument.presentation": "odp",
  "application/vnd.oasis.opendocument.presentation-template": "odp",
  "application/vnd.oasis.opendocument.text": "odt",
  "application/vnd.oasis.opendocument.text-template": "odt",
};

/** The part name of the PowerPoint presentation part, from [Content_Types].xml, if any. */
export function presentationPart(parts: Map<string, string>): string | null {
  const types = parts.get("[Content_Types].xml");
  if (!types) return null;
  for (const m of types.matchAll(/<Override\b[^>]*>/g)) {
    const tag = m[0];
    const ct = /ContentType="([^"]*)"/.exec(tag)?.[1] ?? "";
    const part = /PartName="\/?([^"]*)"/.exec(tag)?.[1];
    if (part && /presentationml\.(presentation|slideshow|template)\.main\+xml|ms-powerpoint\.[a-z.]*macroEnabled\.main\+xml/i.test(ct)) return part;
  }
  return null;
}

export function classifyZip(z: ZipListing): DeckResult<ZipKind> {
  const mimetype = z.parts.get("mimetype")?.trim();
  if (mimetype !== undefined && mimetype.startsWith("application/vnd.oasis.opendocument")) {
    const type = ODF_TYPES[mimetype];
    if (!type) return fail("unknown-type", `This OpenDocument file (${mimetype}) is not a presentation or a text document.`);
    if (z.parts.get("META-INF/manifest.xml")?.includes("encryption-data")) {
      return fail("password-protected");
    }
    return ok({ type });
  }
  const contentTypes = z.parts.get("[Content_Types].xml");
  if (contentTypes !== undefined) return classifyOoxml(z, contentTypes);
  // Keynote '09 and older keep index.apxl, which LibreOffice (libetonyek) reads; Keynote 6 and
  // later keep Index/*.iwa (or Index.zip), which it cannot: say so instead of failing later.
  if (z.names.has("index.apxl") || z.names.has("index.apxl.gz")) return ok({ type: "key" });
  if (z.names.has("Index.zip") || [...z.names].some((n) => /^Index\/.*\.iwa$/.test(n))) {
    return fail("conversion-failed", "This Keynote file was saved by Keynote 6 or later, which LibreOffice cannot convert. Export it from Keynote as PowerPoint or PDF and upload that.");
  }
  return fail("unknown-type", "This is a ZIP archive, not a presentation or a document.");
}

function classifyOoxml(z: ZipListing, contentTypes: string): DeckResult<ZipKind> {
  const part = presentationPart(z.parts);
  if (part) {
    const xml = z.parts.get(part);
    if (xml === undefined) return fail("corrupt-file", `The presentation part "${part}" is missing from the file.`);
    const slides = [...xml.matchAll(/<(?:[A-Za-z_][\w.-]*:)?sldId\b/g)].length;
    const macros = z.names.has("ppt/vbaProject.bin") || /macroEnabled/i.test(contentTypes);
    return ok({ type: macros ? "pptm" : "pptx", slides });
  }
  if (/wordprocessingml\.(document|template)\.main\+xml|ms-word\.[a-z.]*macroEnabled\.main\+xml/i.test(contentTypes)
    || z.names.has("word/document.xml")) {
    return ok({ type: "docx" });
  }
  if (/spreadsheetml|ms-excel/i.test(contentTypes)) {
    return fail("unknown-type", "Spreadsheets are not supported; export the sheet to PDF and upload that.");
  }
  return fail("unknown-type", "This Office file is not a presentation or a text document.");
}
