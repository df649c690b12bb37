/**
 * Deck titles through the real pipeline (LibreOffice, pdf.js): the document's own title when
 * it is a real one (ODF meta.xml, OOXML core.xml, PDF Info or XMP), else the file name the
 * presenter uploaded, else the first line; and pdf.js text joined without spaces invented
 * inside words. The shared chart deck, whose only metadata title is "Presentation" and whose
 * first text is an axis label, was called "0"; a PDF whose word changed font mid-way was
 * called "Reference numbe r".
 */
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { pdfFile } from "../../server/decks/convert/pdf-file.ts";
import { ConverterPool } from "../../server/decks/convert/pool.ts";
import { DeckService } from "../../server/decks/service.ts";
import type { DeckRecord } from "../../server/decks/types.ts";
import { pptxFromOdp } from "../support/decks-files.ts";
import { needFixtures } from "../support/fixtures.ts";
import { makeZip } from "../support/decks-zip.ts";

let work: string;
let service: DeckService;
let maker: ConverterPool;
const log = pino({ level: process.env.DECKCAST_TEST_LOG ?? "silent" });

beforeAll(async () => {
  work = await mkdtemp(path.join(tmpdir(), "deckcast-title-"));
  service = new DeckService({ dataDir: path.join(work, "data"), workers: 1, log });
  maker = new ConverterPool({ workers: 1, log });
  await service.started();
});

afterAll(async () => {
  await maker?.stop();
  await service?.stop();
  if (work) await rm(work, { recursive: true, force: true });
});

async function ingest(file: string, name?: string): Promise<DeckRecord> {
  const r = await service.ingest(file, name === undefined ? {} : { name });
  if (!r.ok) throw new Error(`${file}: ${r.error.code}: ${r.error.message}`);
  return r.value;
}

async function file(name: string, bytes: Buffer): Promise<string> {
  const p = path.join(work, name);
  await writeFile(p, bytes);
  return p;
}

const esc = (s: string) => s.replace(/[<>&"]/g, (c) => `&#${c.charCodeAt(0)};`);

/** An ODP with one slide per text and, when given, a meta.xml title. */
function odpWithMeta(texts: string[], title?: string): Buffer {
  const mime = "application/vnd.oasis.opendocument.presentation";
  const ns = 'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" xmlns:draw="urn:oasis:names:tc:opendocument:xmlns:drawing:1.0" xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" xmlns:svg="urn:oasis:names:tc:opendocument:xmlns:svg-compatible:1.0" office:version="1.2"';
  const pages = texts.map((t, i) => `<draw:page draw:name="p${i + 1}"><draw:frame svg:x="2cm" svg:y="2cm" svg:width="20cm" svg:height="3cm"><draw:text-box><text:p>${esc(t)}</text:p></draw:text-box></draw:frame></draw:page>`).join("");
  const meta = title === undefined ? [] : [{
    name: "meta.xml",
    data: `<?xml version="1.0" encoding="UTF-8"?>\n<office:document-meta xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" xmlns:dc="http://purl.org/dc/elements/1.1/" office:version="1.2"><office:meta><dc:title>${esc(title)}</dc:title></office:meta></office:document-meta>`,
  }];
  return makeZip([
    { name: "mimetype", data: mime, method: "store" },
    { name: "content.xml", data: `<?xml version="1.0" encoding="UTF-8"?>\n<office:document-content ${ns}><office:body><office:presentation>${pages}</office:presentation></office:body></office:document-content>` },
    ...meta,
    { name: "META-INF/manifest.xml", data: `<?xml version="1.0" encoding="UTF-8"?>\n<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.2"><manifest:file-entry manifest:full-path="/" manifest:media-type="${mime}"/><manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>${title === undefined ? "" : '<manifest:file-entry manifest:full-path="meta.xml" manifest:media-type="text/xml"/>'}</manifest:manifest>` },
  ]);
}

/**
 * A one-page PDF whose first line is "Reference number", the last letter in another font
 * (two text items, no gap between them, as word processors write a kerned or restyled
 * letter), then a second line; with an Info title and/or an XMP dc:title when given.
 */
function restyledPdf(opts: { info?: string; xmp?: string; salt?: string } = {}): Buffer {
  const content = Buffer.from([
    "BT /F1 28 Tf 60 330 Td (Reference numbe) Tj /F2 28 Tf (r) Tj ET",
    "BT /F1 20 Tf 60 280 Td (Second line of the page) Tj ET",
    `% ${opts.salt ?? ""}`,
  ].join("\n"), "latin1");
  const objects: Buffer[] = [
    Buffer.from(`<< /Type /Catalog /Pages 2 0 R${opts.xmp === undefined ? "" : " /Metadata 7 0 R"} >>`),
    Buffer.from("<< /Type /Pages /Kids [4 0 R] /Count 1 >>"),
    Buffer.from("<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"),
    Buffer.from("<< /Type /Page /Parent 2 0 R /MediaBox [0 0 720 405] /Resources << /Font << /F1 3 0 R /F2 6 0 R >> >> /Contents 5 0 R >>"),
    Buffer.concat([Buffer.from(`<< /Length ${content.length} >>\nstream\n`), content, Buffer.from("\nendstream")]),
    Buffer.from("<< /Type /Font /Subtype /Type1 /BaseFont /Times-Roman >>"),
  ];
  if (opts.xmp !== undefined) {
    const xmp = Buffer.from(`<?xpacket begin="" id="W5M0MpCehiHzreSzNTczkc9d"?><x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description rdf:about="" xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:title><rdf:Alt><rdf:li xml:lang="x-default">${esc(opts.xmp)}</rdf:li></rdf:Alt></dc:title></rdf:Description></rdf:RDF></x:xmpmeta><?xpacket end="w"?>`, "utf8");
    objects.push(Buffer.concat([Buffer.from(`<< /Type /Metadata /Subtype /XML /Length ${xmp.length} >>\nstream\n`), xmp, Buffer.from("\nendstream")]));
  }
  const info = opts.info === undefined ? "" : (objects.push(Buffer.from(`<< /Title (${opts.info.replace(/[\\()]/g, (c) => `\\${c}`)}) >>`)), ` /Info ${objects.length} 0 R`);
  return pdfFile(objects, info);
}

describe("PDF text and titles", () => {
  it("a word written in two runs stays one word, in the text and in a title from the first line", async () => {
    const deck = await ingest(await file("restyled.pdf", restyledPdf()));
    expect(deck.text).toEqual(["Reference number\nSecond line of the page"]);
    expect(deck.title).toBe("Reference number"); // no file name given: the first line
  });

  it("the uploaded file name comes before the first line", async () => {
    const deck = await ingest(await file("upload.pdf", restyledPdf({ salt: "named" })), "Q3_review (1).pdf");
    expect(deck.title).toBe("Q3 review");
  });

  it("the PDF's Info title wins when it is real; a default or a file path does not", async () => {
    expect((await ingest(await file("info.pdf", restyledPdf({ info: "Budget 2025" })), "x.pdf")).title).toBe("Budget 2025");
    expect((await ingest(await file("info-path.pdf", restyledPdf({ info: "C:\\Users\\ann\\Desktop\\draft.docx" })), "Board pack.pdf")).title).toBe("Board pack");
    expect((await ingest(await file("info-word.pdf", restyledPdf({ info: "Microsoft Word - draft.docx" })), "Board pack 2.pdf")).title).toBe("Board pack 2");
  });

  it("XMP dc:title is used when the Info dictionary has none, or only a default", async () => {
    expect((await ingest(await file("xmp.pdf", restyledPdf({ xmp: "Strategy offsite" })), "y.pdf")).title).toBe("Strategy offsite");
    expect((await ingest(await file("xmp2.pdf", restyledPdf({ info: "Untitled", xmp: "Hiring plan" })), "z.pdf")).title).toBe("Hiring plan");
  });
});

describe("office documents' own titles", () => {
  it("an ODP's meta.xml title, and the PPTX LibreOffice saves from it (core.xml)", async () => {
    const odp = odpWithMeta(["First slide text", "Second"], "Roadmap 2025 & beyond");
    expect((await ingest(await file("roadmap-final.odp", odp), "roadmap-final.odp")).title).toBe("Roadmap 2025 & beyond");
    const pptx = await pptxFromOdp(maker, odp, work, "roadmap-pptx");
    expect((await ingest(pptx, "roadmap-v3.pptx")).title).toBe("Roadmap 2025 & beyond");
  });

  it("a default metadata title gives way to the file name, and a default file name to the first line", async () => {
    const odp = odpWithMeta(["Welcome to the all-hands", "Agenda"], "PowerPoint Presentation");
    expect((await ingest(await file("a.odp", odp), "All-hands March.odp")).title).toBe("All-hands March");
    const odp2 = odpWithMeta(["Welcome to the kickoff", "Agenda"], "Presentation");
    expect((await ingest(await file("b.odp", odp2), "Presentation1.odp")).title).toBe("Welcome to the kickoff");
  });
});

const shared = needFixtures("decks/cht-charts.pptx", "decks/test_slides.pptx", "decks/tbl-cell.pptx");
const [chtCharts, testSlides, tblCell] = shared.paths as [string, string, string];
describe.skipIf(shared.skip)(`shared fixtures${shared.note}`, () => {
  it("the chart deck is named after its file, not its first axis label \"0\"", async () => {
    const deck = await ingest(chtCharts, "cht-charts.pptx");
    expect(deck.title).toBe("cht-charts");
  });

  it("a deck whose core.xml has a real title keeps it", async () => {
    const deck = await ingest(testSlides, "test_slides.pptx");
    expect(deck.title).toBe("python-pptx was here!");
  });

  it("a deck with only a default title and no file name falls back to its first line", async () => {
    const deck = await ingest(tblCell);
    expect(deck.title.length).toBeGreaterThan(0);
    expect(deck.title).not.toMatch(/^(Presentation|PowerPoint Presentation)$/);
  });
});
