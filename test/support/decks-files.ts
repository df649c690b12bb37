/**
 * Test decks made on the fly (nothing is copied into the repo): minimal ODP, ODT, DOCX
 * and PPTX archives, images, a renamed program, zip bombs, an encrypted OOXML container;
 * and the shared fixture decks with the page counts LibreOffice 7.4 gives them.
 */
import path from "node:path";
import { writeFile } from "node:fs/promises";
import type { ConverterPool } from "../../server/decks/convert/pool.ts";
import { makeOle2, makeZip } from "./decks-zip.ts";

/** ../shared/fixtures/decks, from its README: pages, or the error code expected (found with support/fixtures.ts). */
export const FIXTURE_DECKS: { file: string; type: string; pages?: number; error?: string; text: boolean }[] = [
  { file: "act-props.pptm", type: "pptm", pages: 5, text: true },
  { file: "cht-charts.pptx", type: "pptx", pages: 1, text: true },
  { file: "missing_rels_item.pptx", type: "pptx", pages: 1, text: true },
  { file: "no-slides.pptx", type: "pptx", error: "no-pages", text: false },
  { file: "prs-notes.pptx", type: "pptx", pages: 1, text: false },
  { file: "shp-movie-props.pptx", type: "pptx", pages: 1, text: false },
  { file: "shp-picture.pptx", type: "pptx", pages: 2, text: false },
  { file: "tbl-cell.pptx", type: "pptx", pages: 3, text: true },
  { file: "test_slides.pptx", type: "pptx", pages: 1, text: true },
];

const xmlEscape = (s: string) => s.replace(/[<>&"]/g, (c) => `&#${c.charCodeAt(0)};`);

const ODF_MANIFEST = (mime: string) => `<?xml version="1.0" encoding="UTF-8"?>
<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.2">
 <manifest:file-entry manifest:full-path="/" manifest:media-type="${mime}"/>
 <manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>
</manifest:manifest>`;

const ODF_NS = `xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" xmlns:draw="urn:oasis:names:tc:opendocument:xmlns:drawing:1.0" xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" xmlns:svg="urn:oasis:names:tc:opendocument:xmlns:svg-compatible:1.0" office:version="1.2"`;

function odf(mime: string, body: string, moreNs = ""): Buffer {
  return makeZip([
    { name: "mimetype", data: mime, method: "store" },
    { name: "content.xml", data: `<?xml version="1.0" encoding="UTF-8"?>\n<office:document-content ${ODF_NS} ${moreNs}><office:body>${body}</office:body></office:document-content>` },
    { name: "META-INF/manifest.xml", data: ODF_MANIFEST(mime) },
  ]);
}

/** An OpenDocument presentation with one page per title. */
export function makeOdp(titles: string[]): Buffer {
  const pages = titles.map((t, i) => `<draw:page draw:name="p${i + 1}"><draw:frame svg:x="2cm" svg:y="2cm" svg:width="20cm" svg:height="3cm"><draw:text-box><text:p>${xmlEscape(t)}</text:p></draw:text-box></draw:frame></draw:page>`).join("");
  return odf("application/vnd.oasis.opendocument.presentation", `<office:presentation>${pages}</office:presentation>`);
}

/**
 * An OpenDocument presentation of `pages` pages, each showing "Page <title n>" and a slide
 * number field; pages in `hidden` (1-based) are hidden slides. LibreOffice saves it as a
 * PPTX with real slide-number fields and show="0" slides.
 */
export function makeNumberedOdp(pages: number, hidden: number[] = []): Buffer {
  const ns = `${ODF_NS} xmlns:style="urn:oasis:names:tc:opendocument:xmlns:style:1.0" xmlns:presentation="urn:oasis:names:tc:opendocument:xmlns:presentation:1.0"`;
  const styles = `<office:automatic-styles><style:style style:name="shown" style:family="drawing-page"><style:drawing-page-properties presentation:visibility="visible"/></style:style><style:style style:name="hidden" style:family="drawing-page"><style:drawing-page-properties presentation:visibility="hidden"/></style:style></office:automatic-styles>`;
  const body = Array.from({ length: pages }, (_, i) => {
    const style = hidden.includes(i + 1) ? "hidden" : "shown";
    return `<draw:page draw:name="p${i + 1}" draw:style-name="${style}"><draw:frame svg:x="2cm" svg:y="2cm" svg:width="20cm" svg:height="3cm"><draw:text-box><text:p>Title ${i + 1} of the numbered deck</text:p><text:p>Slide number <text:page-number>${i + 1}</text:page-number> here</text:p></draw:text-box></draw:frame></draw:page>`;
  }).join("");
  return makeZip([
    { name: "mimetype", data: "application/vnd.oasis.opendocument.presentation", method: "store" },
    { name: "content.xml", data: `<?xml version="1.0" encoding="UTF-8"?>\n<office:document-content ${ns}>${styles}<office:body><office:presentation>${body}</office:presentation></office:body></office:document-content>` },
    { name: "META-INF/manifest.xml", data: ODF_MANIFEST("application/vnd.oasis.opendocument.presentation") },
  ]);
}

/** A real PPTX: LibreOffice (`pool`) saves the presentation `odp` as `<dir>/<name>.pptx`. */
export async function pptxFromOdp(pool: ConverterPool, odp: Buffer, dir: string, name: string): Promise<string> {
  const src = path.join(dir, `${name}.odp`);
  const out = path.join(dir, `${name}.pptx`);
  await writeFile(src, odp);
  const r = await pool.convert({ src, out, importFilter: "impress8", exportFilter: "Impress MS PowerPoint 2007 XML" });
  if (!r.ok) throw new Error(`making ${name}.pptx: ${r.message}`);
  return out;
}

/** An OpenDocument presentation whose only slide links (does not embed) a picture at each of `hrefs`. */
export function makeOdpWithLinkedPictures(hrefs: string[]): Buffer {
  const frames = hrefs.map((href, i) => `<draw:frame svg:x="${2 + i * 9}cm" svg:y="6cm" svg:width="8cm" svg:height="6cm"><draw:image xlink:href="${xmlEscape(href)}" xlink:type="simple" xlink:show="embed" xlink:actuate="onLoad"/></draw:frame>`).join("");
  const page = `<draw:page draw:name="p1"><draw:frame svg:x="2cm" svg:y="2cm" svg:width="20cm" svg:height="3cm"><draw:text-box><text:p>Linked pictures</text:p></draw:text-box></draw:frame>${frames}</draw:page>`;
  return odf("application/vnd.oasis.opendocument.presentation", `<office:presentation>${page}</office:presentation>`, 'xmlns:xlink="http://www.w3.org/1999/xlink"');
}

/** An OpenDocument text with these paragraphs. */
export function makeOdt(paragraphs: string[]): Buffer {
  return odf("application/vnd.oasis.opendocument.text", `<office:text>${paragraphs.map((p) => `<text:p>${xmlEscape(p)}</text:p>`).join("")}</office:text>`);
}

/** A Word document with these paragraphs; `pageBreaks` puts each on its own page. */
export function makeDocx(paragraphs: string[], pageBreaks = false): Buffer {
  const br = pageBreaks ? `<w:r><w:br w:type="page"/></w:r>` : "";
  const body = paragraphs.map((p, i) => `<w:p>${i > 0 ? br : ""}<w:r><w:t>${xmlEscape(p)}</w:t></w:r></w:p>`).join("");
  return makeZip([
    { name: "[Content_Types].xml", data: `<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>` },
    { name: "_rels/.rels", data: `<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/></Relationships>` },
    { name: "word/document.xml", data: `<?xml version="1.0" encoding="UTF-8"?><w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body>${body}</w:body></w:document>` },
  ]);
}

const PPTX_TYPES = (extra = "") => `<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="xml" ContentType="application/xml"/><Override PartName="/ppt/presentation.xml" ContentType="application/vnd.openxmlformats-officedocument.presentationml.presentation.main+xml"/>${extra}</Types>`;

/** The skeleton of a PPTX that declares `slides` slides (enough for sniffing, not for converting). */
export function makePptxSkeleton(slides: number, extra: { name: string; data: Buffer | string; declaredSize?: number; method?: "store" | "deflate" }[] = []): Buffer {
  const ids = Array.from({ length: slides }, (_, i) => `<p:sldId id="${256 + i}" r:id="rId${i + 2}"/>`).join("");
  return makeZip([
    { name: "[Content_Types].xml", data: PPTX_TYPES() },
    { name: "ppt/presentation.xml", data: `<?xml version="1.0" encoding="UTF-8"?><p:presentation xmlns:p="http://schemas.openxmlformats.org/presentationml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><p:sldIdLst>${ids}</p:sldIdLst></p:presentation>` },
    ...extra,
  ]);
}

/** Zip bomb, honest kind: a part whose declared size is 4 GB from a few KB. */
export function makeZipBombDeclared(): Buffer {
  return makePptxSkeleton(1, [{ name: "ppt/media/zeros.bin", data: Buffer.alloc(1024 * 1024), declaredSize: 0xfffffff0 }]);
}

/** Zip bomb, lying kind: a part that says 1 KB and inflates to 64 MB. */
export function makeZipBombLying(): Buffer {
  return makePptxSkeleton(1, [{ name: "ppt/media/zeros.bin", data: Buffer.alloc(64 * 1024 * 1024), declaredSize: 1024 }]);
}

/** What a password-protected PPTX/DOCX is on disk: a compound file with EncryptionInfo and EncryptedPackage. */
export function makeEncryptedOoxml(): Buffer {
  return makeOle2(["EncryptionInfo", "EncryptedPackage"]);
}

/** A Windows program's first bytes ("MZ" + DOS stub), to be renamed .pptx. */
export function makeExe(): Buffer {
  const b = Buffer.alloc(512, 0);
  b.write("MZ", 0, "latin1");
  b.write("This program cannot be run in DOS mode.", 0x4e, "latin1");
  b.writeUInt32LE(0x80, 0x3c);
  b.write("PE\0\0", 0x80, "latin1");
  return b;
}

/** A PNG or JPEG picture `w`×`h` with some text on it, drawn with @napi-rs/canvas. */
export async function makeImage(kind: "png" | "jpeg", w = 640, h = 360): Promise<Buffer> {
  const { createCanvas } = await import("@napi-rs/canvas");
  const canvas = createCanvas(w, h);
  const ctx = canvas.getContext("2d");
  ctx.fillStyle = "#2266aa";
  ctx.fillRect(0, 0, w, h);
  ctx.fillStyle = "#ffffff";
  ctx.font = "40px sans-serif";
  ctx.fillText("deckcast image", 40, h / 2);
  return kind === "png" ? canvas.toBuffer("image/png") : canvas.toBuffer("image/jpeg", 90);
}
