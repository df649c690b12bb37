/**
 * Big PowerPoint decks convert on both LibreOffice workers at once (convert/in-parts.ts).
 * With real LibreOffice, pdf.js and pdfunite: a deck converted in parts has exactly the
 * pages, page sizes and text of the same deck converted whole; slide numbers count from the
 * start of the deck in every part; hidden slides stay out; a second deck arriving while the
 * first uses both workers converts whole; and nothing of the parts is left behind.
 */
import { execFileSync } from "node:child_process";
import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ConverterPool } from "../../server/decks/convert/pool.ts";
import { ZipParts } from "../../server/decks/convert/zip-parts.ts";
import { DeckService } from "../../server/decks/service.ts";
import type { DeckRecord } from "../../server/decks/types.ts";
import { makeNumberedOdp, pptxFromOdp } from "../support/decks-files.ts";
import { fixture, needFixtures } from "../support/fixtures.ts";

let work: string;
let inParts: DeckService;
let whole: DeckService;
let maker: ConverterPool;
/** Log lines of the in-parts service, to see which decks it split. */
const lines: { msg?: string; deck?: string; parts?: number[]; reason?: string }[] = [];
const capture = pino({ level: "debug" }, { write: (s: string) => void lines.push(JSON.parse(s)) });
const silent = pino({ level: process.env.DECKCAST_TEST_LOG ?? "silent" });

/** The parts a deck was converted in, or null when it was converted whole. */
function partsOf(id: string): number[] | null {
  return lines.find((l) => l.msg === "deck converted in parts" && l.deck === id)?.parts ?? null;
}

async function ingest(service: DeckService, file: string): Promise<DeckRecord> {
  const r = await service.ingest(file, { name: path.basename(file) });
  if (!r.ok) throw new Error(`${file}: ${r.error.code}: ${r.error.message}`);
  return r.value;
}

/** A real PPTX of `pages` numbered slides, `hidden` ones hidden. */
function numberedPptx(name: string, pages: number, hidden: number[] = []): Promise<string> {
  return pptxFromOdp(maker, makeNumberedOdp(pages, hidden), work, name);
}

/** Converts `file` in parts and whole; both records must agree on everything but timing. */
async function expectSameAsWhole(file: string): Promise<DeckRecord> {
  const [a, b] = [await ingest(inParts, file), await ingest(whole, file)];
  expect(partsOf(a.id), "converted in parts").not.toBeNull();
  expect({ pages: a.pages, pageSizes: a.pageSizes, text: a.text, title: a.title })
    .toEqual({ pages: b.pages, pageSizes: b.pageSizes, text: b.text, title: b.title });
  const pdfPages = /Pages:\s+(\d+)/.exec(execFileSync("pdfinfo", [inParts.pdfPath(a.id)], { encoding: "utf8" }))?.[1];
  expect(Number(pdfPages)).toBe(a.pages);
  return a;
}

beforeAll(async () => {
  work = await mkdtemp(path.join(tmpdir(), "deckcast-parts-"));
  inParts = new DeckService({ dataDir: path.join(work, "parts"), workers: 2, splitFromSlides: 2, log: capture });
  whole = new DeckService({ dataDir: path.join(work, "whole"), workers: 1, log: silent });
  maker = new ConverterPool({ workers: 1, log: silent });
  await Promise.all([inParts.started(), whole.started(), maker.ready()]);
});

afterAll(async () => {
  await Promise.all([inParts?.stop(), whole?.stop(), maker?.stop()]);
  await rm(work, { recursive: true, force: true });
});

describe("a deck converted in parts", () => {
  it("keeps slide numbers counting from the start of the deck and leaves hidden slides out", async () => {
    const pptx = await numberedPptx("numbered", 11, [4]);
    // The generated deck must really have what this test is about.
    const zip = (await ZipParts.open(await readFile(pptx)))!;
    expect(zip.text("ppt/slides/slide7.xml")).toContain('type="slidenum"');
    expect(zip.text("ppt/slides/slide4.xml")).toMatch(/<p:sld\b[^>]*show="0"/);

    const deck = await expectSameAsWhole(pptx);
    expect(partsOf(deck.id)).toEqual([5, 5]);
    expect(deck.pages).toBe(10);
    const shown = [1, 2, 3, 5, 6, 7, 8, 9, 10, 11];
    deck.text.forEach((text, i) => {
      expect(text).toContain(`Title ${shown[i]} of the numbered deck`);
      expect(text).toMatch(new RegExp(`Slide number ${shown[i]} here`));
    });
  });

  it("serves the joined PDF's pages as images and leaves no parts behind", async () => {
    const deck = await ingest(inParts, await numberedPptx("images", 6));
    expect(partsOf(deck.id)).toEqual([3, 3]);
    const last = await inParts.pageImage(deck.id, deck.pages, 320);
    expect(last.ok).toBe(true);
    const dir = path.dirname(inParts.pdfPath(deck.id));
    expect((await readdir(dir)).filter((n) => /part/.test(n))).toEqual([]);
    expect(await readdir(path.join(work, "parts", "decks", ".staging"))).toEqual([]);
  });

  it("uses only idle workers: of two decks at once, the second converts whole, and both are right", async () => {
    const [a, b] = await Promise.all([numberedPptx("busy-a", 8), numberedPptx("busy-b", 9)]);
    const [ra, rb] = await Promise.all([ingest(inParts, a), ingest(inParts, b)]);
    expect([ra.pages, rb.pages]).toEqual([8, 9]);
    expect(rb.text[8]).toContain("Slide number 9 here");
    expect([partsOf(ra.id), partsOf(rb.id)].filter((p) => p !== null)).toHaveLength(1);
  });
});

const realDecks = ["decks/tbl-cell.pptx", "decks/shp-picture.pptx", "bench/deck5.pptx", "bench/deck30.pptx"];
const real = needFixtures(...realDecks, "decks/act-props.pptm");
describe.skipIf(real.skip)(`real decks in parts equal the same decks whole${real.note}`, () => {
  it.each(realDecks)("%s", async (rel) => {
    await expectSameAsWhole(fixture(rel));
  });

  it("act-props.pptm, whose slides jump to other slides, converts whole so its links stay inside one PDF", async () => {
    const deck = await ingest(inParts, fixture("decks/act-props.pptm"));
    expect(deck.pages).toBe(5);
    expect(partsOf(deck.id)).toBeNull();
    expect(lines.find((l) => l.deck === deck.id && l.msg === "deck converts whole")).toMatchObject({ reason: "a slide links to another slide" });
  });
});
