/**
 * Decides what an uploaded file is from its bytes (magic numbers and container contents),
 * never from its name, and refuses what must not reach a converter: empty files, files over
 * the size limit, unknown types, zip bombs, encrypted OOXML and ODF, decks with no slides or
 * too many.
 */
import { open, stat } from "node:fs/promises";
import { fail, ok, type DeckResult } from "../errors.ts";
import type { SourceType } from "../types.ts";
import { classifyZip, presentationPart } from "./classify-zip.ts";
import { listOle2Names, OLE2_MAGIC } from "./ole2.ts";
import { titleFromXml } from "../title.ts";
import { DEFAULT_ZIP_LIMITS, inspectZip, type ZipLimits } from "./zip.ts";

export interface SniffLimits {
  /** Largest accepted file in bytes. */
  maxBytes: number;
  /** Most pages (slides) a deck may have. */
  maxPages: number;
  zip?: ZipLimits;
}

export interface Sniffed {
  type: SourceType;
  /** Declared slide count, when the format tells it without converting (PPTX/PPTM). */
  slides?: number;
  /** The document's own title (OOXML core properties, ODF meta), when it has one; not yet judged. */
  title?: string;
}

const PNG_MAGIC = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

export async function sniff(path: string, limits: SniffLimits): Promise<DeckResult<Sniffed>> {
  const { size } = await stat(path);
  if (size === 0) return fail("empty-file");
  if (size > limits.maxBytes) {
    return fail("too-large", `The file is ${mb(size)} MB; the limit is ${mb(limits.maxBytes)} MB.`);
  }
  const fh = await open(path, "r");
  let head: Buffer;
  let ole2Names: DeckResult<Set<string>> | null = null;
  try {
    head = Buffer.alloc(Math.min(size, 1024));
    await fh.read(head, 0, head.length, 0);
    if (head.subarray(0, 8).equals(OLE2_MAGIC)) ole2Names = await listOle2Names(fh, size);
  } finally {
    await fh.close();
  }

  // Exact signatures at offset 0 first; then PDF, whose header may follow up to 1 KiB of junk.
  if (head.subarray(0, 8).equals(PNG_MAGIC)) return ok({ type: "png" });
  if (head[0] === 0xff && head[1] === 0xd8 && head[2] === 0xff) return ok({ type: "jpeg" });
  if (head.subarray(0, 5).toString("latin1") === "{\\rtf") return ok({ type: "rtf" });
  if (ole2Names) return classifyOle2(ole2Names);
  const sig = head.length >= 4 ? head.readUInt32LE(0) : 0;
  if (sig === 0x04034b50 || sig === 0x06054b50) return sniffZip(path, limits);
  if (head[0] === 0x4d && head[1] === 0x5a) {
    return fail("unknown-type", "This is a Windows program, not a presentation or a document.");
  }
  if (head.includes("%PDF-")) return ok({ type: "pdf" });
  return fail("unknown-type");
}

function classifyOle2(names: DeckResult<Set<string>>): DeckResult<Sniffed> {
  if (!names.ok) return names;
  const n = names.value;
  if (n.has("EncryptionInfo") || n.has("EncryptedPackage")) return fail("password-protected");
  if (n.has("PowerPoint Document")) return ok({ type: "ppt" });
  if (n.has("WordDocument")) return ok({ type: "doc" });
  if (n.has("Workbook") || n.has("Book")) {
    return fail("unknown-type", "Spreadsheets are not supported; export the sheet to PDF and upload that.");
  }
  return fail("unknown-type", "This is an Office file of a kind deckcast does not convert.");
}

async function sniffZip(path: string, limits: SniffLimits): Promise<DeckResult<Sniffed>> {
  const listing = await inspectZip(path, limits.zip ?? DEFAULT_ZIP_LIMITS, presentationPart);
  if (!listing.ok) return listing;
  const kind = classifyZip(listing.value);
  if (!kind.ok) return kind;
  const { slides } = kind.value;
  if (slides === 0) return fail("no-pages");
  if (slides !== undefined && slides > limits.maxPages) {
    return fail("too-many-pages", `The deck has ${slides} slides; at most ${limits.maxPages} are allowed.`);
  }
  const meta = kind.value.type === "odp" || kind.value.type === "odt" ? "meta.xml" : "docProps/core.xml";
  const title = titleFromXml(listing.value.parts.get(meta) ?? "");
  return ok(title ? { ...kind.value, title } : kind.value);
}

function mb(n: number): string {
  return (n / 1e6).toFixed(n < 1e7 ? 1 : 0);
}
