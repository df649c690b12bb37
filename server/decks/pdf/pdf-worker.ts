/**
 * Worker-thread side of the PDF inspector (pdf.js parses on the calling thread in Node, so
 * it runs here, off the server's event loop). Answers {id, path, maxPages} with the PDF's
 * page count, page sizes, per-page text (page-text.ts) and metadata title, or a deck error.
 * Started through worker-boot.mjs, which loads this TypeScript file with tsx.
 */
import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { parentPort } from "node:worker_threads";
import { getDocument, VerbosityLevel } from "pdfjs-dist/legacy/build/pdf.mjs";
import { tooManyPages, type DeckError } from "../errors.ts";
import { isRealTitle, oneLine } from "../title.ts";
import type { PdfFacts } from "../types.ts";
import { joinTextItems } from "./page-text.ts";

export interface InspectRequest { id: number; path: string; maxPages: number }
export type InspectReply = { id: number; ok: true; value: PdfFacts } | { id: number; ok: false; error: DeckError };

const pdfjsRoot = dirname(createRequire(import.meta.url).resolve("pdfjs-dist/package.json"));
const STANDARD_FONTS = join(pdfjsRoot, "standard_fonts") + "/";
const CMAPS = join(pdfjsRoot, "cmaps") + "/";

async function inspect(req: InspectRequest): Promise<InspectReply> {
  const data = new Uint8Array(await readFile(req.path));
  const task = getDocument({
    data,
    isEvalSupported: false, // never compile PDF-supplied code (CVE-2024-4367 class of bugs)
    disableFontFace: true,
    useSystemFonts: false,
    standardFontDataUrl: STANDARD_FONTS,
    cMapUrl: CMAPS,
    cMapPacked: true,
    verbosity: VerbosityLevel.ERRORS,
  });
  let doc;
  try {
    doc = await task.promise;
  } catch (err) {
    const e = err as Error;
    if (e.name === "PasswordException") return { id: req.id, ok: false, error: { code: "password-protected", message: "The PDF is protected by a password. Remove the password and upload it again." } };
    return { id: req.id, ok: false, error: { code: "corrupt-file", message: `The PDF is damaged and cannot be read (${e.message}).` } };
  }
  try {
    const pages = doc.numPages;
    if (pages === 0) return { id: req.id, ok: false, error: { code: "no-pages", message: "The document has no pages." } };
    if (pages > req.maxPages) {
      return { id: req.id, ok: false, error: tooManyPages(pages, req.maxPages) };
    }
    const pageSizes: PdfFacts["pageSizes"] = [];
    const text: string[] = [];
    for (let n = 1; n <= pages; n++) {
      const page = await doc.getPage(n);
      const vp = page.getViewport({ scale: 1 });
      pageSizes.push({ width: round(vp.width), height: round(vp.height) });
      const content = await page.getTextContent();
      text.push(joinTextItems(content.items.filter((item) => "str" in item)));
      page.cleanup();
    }
    const meta = await doc.getMetadata();
    // Info /Title first, then XMP dc:title: the first that is a real title (title.ts), else "".
    const info = meta.info as { Title?: unknown };
    const candidates = [typeof info.Title === "string" ? info.Title : "", String(meta.metadata?.get("dc:title") ?? "")];
    const metaTitle = candidates.map(oneLine).find(isRealTitle) ?? "";
    return { id: req.id, ok: true, value: { pages, pageSizes, text, metaTitle } };
  } catch (err) {
    return { id: req.id, ok: false, error: { code: "corrupt-file", message: `The PDF is damaged and cannot be read (${(err as Error).message}).` } };
  } finally {
    await doc.destroy();
  }
}

function round(n: number): number {
  return Math.round(n * 100) / 100;
}

parentPort!.on("message", (req: InspectRequest) => {
  inspect(req).then(
    (reply) => parentPort!.postMessage(reply),
    (err: Error) => parentPort!.postMessage({ id: req.id, ok: false, error: { code: "internal", message: err.message } } satisfies InspectReply),
  );
});
parentPort!.postMessage({ ready: true });
