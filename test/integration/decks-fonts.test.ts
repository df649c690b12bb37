/**
 * The fonts real decks use are on the machine (scripts/setup-system.sh): a deck with a slide
 * in each script — Chinese, Japanese, Korean, Arabic, Hebrew, emoji — and slides styled in
 * PowerPoint's Calibri and Cambria is converted by the real pipeline (a PPTX LibreOffice
 * saved, and the ODP it came from). For every slide, `pdffonts` must list a real embedded
 * font that covers the script (never a Type 3 stub or a substitute without the glyphs), and
 * both `pdftotext` and the pipeline's own text must give the slide's words back, and the
 * page image must show them (a colour emoji font embeds, extracts, and draws nothing).
 */
import { execFileSync } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ConverterPool } from "../../server/decks/convert/pool.ts";
import { DeckService } from "../../server/decks/service.ts";
import type { DeckRecord } from "../../server/decks/types.ts";
import { pptxFromOdp } from "../support/decks-files.ts";
import { makeZip } from "../support/decks-zip.ts";

interface Slide {
  name: string;
  text: string;
  /** The font the slide asks for (as PowerPoint would), if any. */
  font?: string;
  /** pdffonts must list an embedded font whose name matches this. */
  embeds: RegExp;
}

const SLIDES: Slide[] = [
  { name: "Chinese", text: "季度业绩回顾与展望", embeds: /NotoSansCJK|NotoSerifCJK|Noto\s?Sans\s?CJK/i },
  { name: "Japanese", text: "これは日本語のスライドです", embeds: /NotoSansCJK|NotoSerifCJK|Noto\s?Sans\s?CJK/i },
  { name: "Korean", text: "한국어 슬라이드입니다", embeds: /NotoSansCJK|NotoSerifCJK|Noto\s?Sans\s?CJK/i },
  { name: "Arabic", text: "مرحبا بكم في العرض", embeds: /DejaVuSans|NotoSansArabic|NotoNaskhArabic/i },
  { name: "Hebrew", text: "ברוכים הבאים למצגת", embeds: /LiberationSans|DejaVuSans|NotoSansHebrew/i },
  { name: "emoji", text: "🚀🎉", embeds: /Symbola/i },
  { name: "Calibri", text: "Calibri body text", font: "Calibri", embeds: /Carlito/ },
  { name: "Cambria", text: "Cambria heading text", font: "Cambria", embeds: /Caladea/ },
];

const xmlEscape = (s: string) => s.replace(/[<>&"]/g, (c) => `&#${c.charCodeAt(0)};`);

/** An OpenDocument presentation with one slide per entry, each text in its own font when given. */
function scriptsOdp(slides: Slide[]): Buffer {
  const ns = [
    'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0"',
    'xmlns:style="urn:oasis:names:tc:opendocument:xmlns:style:1.0"',
    'xmlns:draw="urn:oasis:names:tc:opendocument:xmlns:drawing:1.0"',
    'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0"',
    'xmlns:svg="urn:oasis:names:tc:opendocument:xmlns:svg-compatible:1.0"',
    'xmlns:fo="urn:oasis:names:tc:opendocument:xmlns:xsl-fo-compatible:1.0"',
    'office:version="1.2"',
  ].join(" ");
  const fonts = [...new Set(slides.flatMap((s) => (s.font ? [s.font] : [])))];
  const styles = fonts.map((f, i) => `<style:style style:name="T${i}" style:family="text"><style:text-properties fo:font-family="${f}" style:font-family-asian="${f}" style:font-family-complex="${f}"/></style:style>`).join("");
  const pages = slides.map((s, i) => {
    const span = s.font ? `<text:span text:style-name="T${fonts.indexOf(s.font)}">${xmlEscape(s.text)}</text:span>` : xmlEscape(s.text);
    return `<draw:page draw:name="p${i + 1}"><draw:frame svg:x="2cm" svg:y="2cm" svg:width="22cm" svg:height="4cm"><draw:text-box><text:p>${span}</text:p></draw:text-box></draw:frame></draw:page>`;
  }).join("");
  const mime = "application/vnd.oasis.opendocument.presentation";
  return makeZip([
    { name: "mimetype", data: mime, method: "store" },
    { name: "content.xml", data: `<?xml version="1.0" encoding="UTF-8"?>\n<office:document-content ${ns}><office:automatic-styles>${styles}</office:automatic-styles><office:body><office:presentation>${pages}</office:presentation></office:body></office:document-content>` },
    { name: "META-INF/manifest.xml", data: `<?xml version="1.0" encoding="UTF-8"?>\n<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.2"><manifest:file-entry manifest:full-path="/" manifest:media-type="${mime}"/><manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/></manifest:manifest>` },
  ]);
}

interface PdfFont { name: string; type: string; emb: boolean }

/** The fonts `pdffonts` lists for a PDF. */
function fontsOf(pdf: string): PdfFont[] {
  const out = execFileSync("pdffonts", [pdf], { encoding: "utf8" });
  return out.split("\n").slice(2).filter((l) => l.trim()).map((line) => {
    // name type encoding emb sub uni object ID: the name has no spaces; the type may ("CID TrueType").
    const m = /^(\S+)\s+(.+?)\s{2,}\S.*?\s(yes|no)\s+(yes|no)\s+(yes|no)\s+\d+\s+\d+\s*$/.exec(line);
    if (!m) throw new Error(`unexpected pdffonts line: ${line}`);
    return { name: m[1]!, type: m[2]!.trim(), emb: m[3] === "yes" };
  });
}

/** Letters only, in compatibility form (Arabic presentation forms become letters), no spaces or marks. */
const letters = (s: string) => s.normalize("NFKC").replace(/[^\p{L}\p{N}\p{Extended_Pictographic}]/gu, "");
/** Letters of `s`, sorted: right-to-left text may come back in visual order, but never with letters lost. */
const letterBag = (s: string) => [...letters(s)].sort().join("");

/** Near-black pixels in page 1's image (the slides' text is black on a blue box, nothing else is dark). */
async function inkPixels(id: string): Promise<number> {
  const image = await service.pageImage(id, 1, 1600);
  if (!image.ok) throw new Error(image.error.message);
  const { createCanvas, loadImage } = await import("@napi-rs/canvas");
  const img = await loadImage(await readFile(image.value));
  const ctx = createCanvas(img.width, img.height).getContext("2d");
  ctx.drawImage(img, 0, 0);
  const px = ctx.getImageData(0, 0, img.width, img.height).data;
  let dark = 0;
  for (let i = 0; i < px.length; i += 4) if (px[i]! < 90 && px[i + 1]! < 90 && px[i + 2]! < 90) dark++;
  return dark;
}

let work: string;
let maker: ConverterPool;
let service: DeckService;
const log = pino({ level: process.env.DECKCAST_TEST_LOG ?? "silent" });

beforeAll(async () => {
  work = await mkdtemp(path.join(tmpdir(), "deckcast-fonts-"));
  maker = new ConverterPool({ workers: 1, log });
  service = new DeckService({ dataDir: path.join(work, "data"), workers: 1, log });
  await service.started();
});

afterAll(async () => {
  await maker?.stop();
  await service?.stop();
  if (work) await rm(work, { recursive: true, force: true });
});

async function ingest(file: string): Promise<DeckRecord> {
  const r = await service.ingest(file, { name: path.basename(file) });
  if (!r.ok) throw new Error(`${file}: ${r.error.code}: ${r.error.message}`);
  return r.value;
}

describe.each(["pptx", "odp"] as const)("one slide in each script, as %s", (kind) => {
  // One deck per script: LibreOffice lists every font of the document on every page, so
  // `pdffonts` tells which fonts a script needed only when the deck holds nothing else.
  it.each(SLIDES)("$name: a real font is embedded and the text extracts", async (slide) => {
    const name = `${slide.name}-${kind}`;
    const odp = scriptsOdp([slide]);
    const file = kind === "pptx" ? await pptxFromOdp(maker, odp, work, name) : path.join(work, `${name}.odp`);
    if (kind === "odp") await writeFile(file, odp);
    const deck = await ingest(file);
    expect(deck.pages).toBe(1);
    const pdf = service.pdfPath(deck.id);

    const fonts = fontsOf(pdf);
    expect(fonts.length, "fonts in the PDF").toBeGreaterThan(0);
    for (const f of fonts) {
      expect(f.emb, `${f.name} embedded`).toBe(true);
      expect(f.type, `${f.name} is a real font, not a Type 3 stub`).not.toMatch(/Type 3/);
    }
    expect(fonts.map((f) => f.name).join(" "), "the font that has the script's glyphs").toMatch(slide.embeds);

    const byPoppler = execFileSync("pdftotext", ["-enc", "UTF-8", pdf, "-"], { encoding: "utf8" });
    for (const [who, got] of [["pdftotext", byPoppler], ["pipeline", deck.text[0]!]] as const) {
      if (/^(Arabic|Hebrew)$/.test(slide.name)) expect(letterBag(got), who).toBe(letterBag(slide.text));
      else expect(letters(got), who).toBe(letters(slide.text));
    }
    const ink = await inkPixels(deck.id);
    expect(ink, "dark pixels of the text in the page image").toBeGreaterThan(60);
  });
});
