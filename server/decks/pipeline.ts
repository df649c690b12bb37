/**
 * One deck from source to record, inside a staging folder: the source's PDF (LibreOffice
 * for office formats, split over the idle workers for big PowerPoint decks; as is for
 * PDFs; drawn for images), then validation and facts with pdf.js, then the title (title.ts).
 * Pure steps over files; the service decides caching and cleanup.
 */
import { copyFile, mkdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import { basename, join } from "node:path";
import type { Logger } from "pino";
import { fail, ok, tooManyPages, type DeckResult } from "./errors.ts";
import { OFFICE_FILTERS } from "./convert/filters.ts";
import { convertInParts, unitePdfs } from "./convert/in-parts.ts";
import { imageToPdf } from "./convert/image-pdf.ts";
import { unlinkOdf } from "./convert/odf-links.ts";
import type { ConverterPool } from "./convert/pool.ts";
import type { PdfInspector } from "./pdf/inspector.ts";
import type { Sniffed } from "./sniff/sniff.ts";
import { chooseTitle } from "./title.ts";
import type { DeckRecord, PdfFacts } from "./types.ts";

export interface PipelineDeps {
  pool: ConverterPool;
  inspector: PdfInspector;
  maxPages: number;
  /** PowerPoint decks with at least this many visible slides convert on all idle workers at once. */
  splitFromSlides: number;
  log: Logger;
}

export interface BuildInput {
  id: string;
  /** The source, already inside the staging folder. */
  source: string;
  sniffed: Sniffed;
  stageDir: string;
  /** The uploader's file name: the title when the document has no real one of its own. */
  name?: string;
  timeoutMs?: number;
  onProgress?: (progress: number) => void;
}

/** Makes `<stageDir>/deck.pdf` and returns the deck's record (not yet committed). */
export async function buildDeck(deps: PipelineDeps, input: BuildInput): Promise<DeckResult<DeckRecord>> {
  const facts = await pdfWithFacts(deps, input, join(input.stageDir, "deck.pdf"));
  if (!facts.ok) return facts;
  return ok({
    id: input.id,
    sourceType: input.sniffed.type,
    pages: facts.value.pages,
    pageSizes: facts.value.pageSizes,
    title: chooseTitle(facts.value, { document: input.sniffed.title, fileName: input.name }),
    text: facts.value.text,
    createdAt: new Date().toISOString(),
  });
}

/** Writes the deck's PDF to `pdf` and reads its facts with pdf.js. */
async function pdfWithFacts(deps: PipelineDeps, input: BuildInput, pdf: string): Promise<DeckResult<PdfFacts>> {
  if (OFFICE_FILTERS[input.sniffed.type]) input.onProgress?.(10); // LibreOffice starts
  const inParts = await inPartsWithFacts(deps, input, pdf);
  if (inParts) return inParts;
  const made = await makePdf(deps, input, pdf);
  if (!made.ok) return made;
  input.onProgress?.(70);
  const facts = await deps.inspector.inspect(pdf, deps.maxPages);
  if (facts.ok || input.sniffed.type === "pdf" || facts.error.code !== "corrupt-file") return facts;
  // A PDF LibreOffice just wrote should always read; if not, the conversion failed.
  return fail("conversion-failed", `LibreOffice produced an unreadable PDF (${facts.error.message}).`);
}

/**
 * A PowerPoint deck on every idle LibreOffice worker at once (convert/in-parts.ts): each
 * part is read with pdf.js as soon as it is converted, and pdfunite joins them meanwhile.
 * Null: convert it whole instead.
 */
async function inPartsWithFacts(deps: PipelineDeps, input: BuildInput, pdf: string): Promise<DeckResult<PdfFacts> | null> {
  const { type } = input.sniffed;
  if (type !== "pptx" && type !== "pptm") return null;
  const out = await convertInParts(deps.pool, {
    job: { src: input.source, ...OFFICE_FILTERS[type]! },
    read: (part) => deps.inspector.inspect(part, deps.maxPages),
    workDir: input.stageDir,
    minSlides: deps.splitFromSlides,
    timeoutMs: input.timeoutMs,
    log: deps.log.child({ deck: input.id }),
  });
  if (!out) return null;
  if (!out.ok) return fail(out.code, out.message);
  input.onProgress?.(70);
  try {
    const [read] = await Promise.all([Promise.all(out.parts.map((p) => p.read)), unitePdfs(out.parts.map((p) => p.pdf), pdf)]);
    const facts: PdfFacts = { pages: 0, pageSizes: [], text: [], metaTitle: "" };
    for (const [k, r] of read.entries()) {
      if (!r.ok || r.value.pages !== out.parts[k]!.pages) {
        // Never serve a deck whose parts do not add up (a hidden stub exported after all?).
        deps.log.error({ deck: input.id, part: k, expected: out.parts[k]!.pages, got: r.ok ? r.value.pages : r.error.message }, "a part of the deck is not what was asked for; converting it whole");
        return null;
      }
      facts.pages += r.value.pages;
      facts.pageSizes.push(...r.value.pageSizes);
      facts.text.push(...r.value.text);
      facts.metaTitle ||= r.value.metaTitle;
    }
    if (facts.pages > deps.maxPages) return { ok: false, error: tooManyPages(facts.pages, deps.maxPages) };
    return ok(facts);
  } catch (err) {
    deps.log.warn({ deck: input.id, err: (err as Error).message }, "joining the parts failed; converting the deck whole");
    return null;
  } finally {
    await rm(out.dir, { recursive: true, force: true });
  }
}

async function makePdf(deps: PipelineDeps, input: BuildInput, pdf: string): Promise<DeckResult<void>> {
  const { type } = input.sniffed;
  if (type === "pdf") {
    await copyFile(input.source, pdf);
    return ok(undefined);
  }
  if (type === "png" || type === "jpeg") return imageToPdf(input.source, type, pdf);
  const filters = OFFICE_FILTERS[type];
  if (!filters) return fail("unknown-type");
  const unlinked = type === "odp" || type === "odt" ? await withoutOutsideLinks(deps, input) : null;
  const out = await deps.pool.convert({ src: unlinked?.file ?? input.source, out: pdf, ...filters }, { timeoutMs: input.timeoutMs })
    .finally(() => unlinked && rm(unlinked.dir, { recursive: true, force: true }));
  if (!out.ok) return fail(out.code, out.code === "password-protected" ? undefined : out.message);
  // LibreOffice can report success without writing anything: check.
  const written = await stat(pdf).then((s) => s.size, () => 0);
  if (written === 0) return fail("conversion-failed", "LibreOffice did not produce a PDF for this file.");
  return ok(undefined);
}

/** An OpenDocument source with its outside links emptied (convert/odf-links.ts), or null if it has none. */
async function withoutOutsideLinks(deps: PipelineDeps, input: BuildInput): Promise<{ file: string; dir: string } | null> {
  const unlinked = await unlinkOdf(await readFile(input.source));
  if (!unlinked) return null;
  const dir = join(input.stageDir, "unlinked");
  await mkdir(dir, { recursive: true });
  const file = join(dir, basename(input.source));
  await writeFile(file, unlinked.bytes);
  deps.log.info({ deck: input.id, links: unlinked.unlinked }, "links to outside the file emptied before conversion");
  return { file, dir };
}
