/** Type sniffing by content: what each file is, and what is refused before any converter sees it. */
import { mkdtemp, rm, writeFile, readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sniff, type SniffLimits } from "../../server/decks/sniff/sniff.ts";
import {
  FIXTURE_DECKS, makeDocx, makeEncryptedOoxml, makeExe, makeImage, makeOdp, makeOdt, makePptxSkeleton,
  makeZipBombDeclared, makeZipBombLying,
} from "../support/decks-files.ts";
import { fixture, needFixtures } from "../support/fixtures.ts";
import { makePdf } from "../support/decks-pdf.ts";
import { makeOle2, makeZip } from "../support/decks-zip.ts";

const limits: SniffLimits = { maxBytes: 100 * 1024 * 1024, maxPages: 500 };
let dir: string;
let n = 0;

async function sniffBytes(bytes: Buffer | string, lim = limits) {
  const file = path.join(dir, `f${n++}.pptx`); // every file is named .pptx: the name must not matter
  await writeFile(file, bytes);
  return sniff(file, lim);
}

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), "deckcast-sniff-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("sniff: what a file is", () => {
  it.each([
    ["an ODP", () => makeOdp(["One", "Two"]), "odp"],
    ["an ODT", () => makeOdt(["Hello"]), "odt"],
    ["a DOCX", () => makeDocx(["Hello"]), "docx"],
    ["a PDF", () => makePdf(["Hello"]), "pdf"],
    ["an RTF", () => Buffer.from("{\\rtf1\\ansi Hello}"), "rtf"],
    ["a PPT (compound file with a PowerPoint Document stream)", () => makeOle2(["PowerPoint Document", "Current User"]), "ppt"],
    ["a DOC (compound file with a WordDocument stream)", () => makeOle2(["WordDocument", "1Table"]), "doc"],
    ["a Keynote '09 archive", () => makeZip([{ name: "index.apxl", data: "<key:presentation/>" }, { name: "QuickLook/Thumbnail.jpg", data: "x" }]), "key"],
    ["a PPTX with macros", () => makePptxSkeleton(2, [{ name: "ppt/vbaProject.bin", data: "x" }]), "pptm"],
  ])("%s", async (_what, make, type) => {
    const r = await sniffBytes(make());
    expect(r).toMatchObject({ ok: true, value: { type } });
  });

  it("a PNG and a JPEG", async () => {
    expect(await sniffBytes(await makeImage("png"))).toMatchObject({ ok: true, value: { type: "png" } });
    expect(await sniffBytes(await makeImage("jpeg"))).toMatchObject({ ok: true, value: { type: "jpeg" } });
  });

  it("a PPTX declares its slide count", async () => {
    expect(await sniffBytes(makePptxSkeleton(7))).toEqual({ ok: true, value: { type: "pptx", slides: 7 } });
  });
});

describe("sniff: refusals", () => {
  it.each([
    ["an empty file", () => Buffer.alloc(0), "empty-file"],
    ["a renamed Windows program", makeExe, "unknown-type"],
    ["plain text named .pptx", () => Buffer.from("just some text, not a deck\n"), "unknown-type"],
    ["a ZIP that is no document", () => makeZip([{ name: "readme.txt", data: "hi" }]), "unknown-type"],
    ["a spreadsheet", () => makeOle2(["Workbook"]), "unknown-type"],
    ["an ODF spreadsheet", () => makeZip([{ name: "mimetype", data: "application/vnd.oasis.opendocument.spreadsheet", method: "store" }]), "unknown-type"],
    ["a password-protected PPTX (encrypted OOXML container)", makeEncryptedOoxml, "password-protected"],
    ["a compound file with a broken directory", () => makeOle2(["WordDocument"]).subarray(0, 700), "corrupt-file"],
    ["a truncated ZIP", () => makeDocx(["Hello world"]).subarray(0, 200), "corrupt-file"],
    ["a zip bomb with honest headers (4 GB from 1 KB)", makeZipBombDeclared, "zip-bomb"],
    ["a zip bomb that lies about its size", makeZipBombLying, "zip-bomb"],
    ["a Keynote 6+ archive, which LibreOffice cannot read", () => makeZip([{ name: "Index/Document.iwa", data: "x" }, { name: "Metadata/Properties.plist", data: "x" }]), "conversion-failed"],
    ["a PPTX with zero slides", () => makePptxSkeleton(0), "no-pages"],
    ["a PPTX with more slides than allowed", () => makePptxSkeleton(501), "too-many-pages"],
    ["a PPTX whose presentation part is missing", () => makeZip([{ name: "[Content_Types].xml", data: '<Types><Override PartName="/ppt/presentation.xml" ContentType="application/vnd.openxmlformats-officedocument.presentationml.presentation.main+xml"/></Types>' }]), "corrupt-file"],
  ])("%s", async (_what, make, code) => {
    const r = await sniffBytes(make());
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.error.code).toBe(code);
      expect(r.error.message.length).toBeGreaterThan(10);
    }
  });

  it("an encrypted ODF (manifest with encryption-data)", async () => {
    const zip = makeZip([
      { name: "mimetype", data: "application/vnd.oasis.opendocument.presentation", method: "store" },
      { name: "content.xml", data: "encrypted bytes" },
      { name: "META-INF/manifest.xml", data: '<manifest:manifest><manifest:file-entry manifest:full-path="content.xml"><manifest:encryption-data/></manifest:file-entry></manifest:manifest>' },
    ]);
    expect(await sniffBytes(zip)).toMatchObject({ ok: false, error: { code: "password-protected" } });
  });

  it("a file over the size limit", async () => {
    const r = await sniffBytes(makePdf(["x"]), { ...limits, maxBytes: 100 });
    expect(r).toMatchObject({ ok: false, error: { code: "too-large" } });
  });

  it("too many entries", async () => {
    const zip = makeZip(Array.from({ length: 30 }, (_, i) => ({ name: `f${i}.xml`, data: "x" })));
    const r = await sniffBytes(zip, { ...limits, zip: { maxEntries: 20, maxTotalUncompressed: 1e9, maxRatio: 200, ratioFloorBytes: 1e6 } });
    expect(r).toMatchObject({ ok: false, error: { code: "zip-bomb" } });
  });
});

const fixtureDecks = needFixtures(...FIXTURE_DECKS.map((d) => `decks/${d.file}`));
describe.skipIf(fixtureDecks.skip)(`sniff: the shared fixture decks${fixtureDecks.note}`, () => {
  it.each(FIXTURE_DECKS)("$file", async (deck) => {
    const r = await sniffBytes(await readFile(fixture(`decks/${deck.file}`)));
    if (deck.error) expect(r).toMatchObject({ ok: false, error: { code: deck.error } });
    else expect(r).toMatchObject({ ok: true, value: { type: deck.type, slides: deck.pages } }); // and the raw dc:title
  });
});
