/**
 * A deck may link pictures by URL instead of embedding them. Converting it must not make
 * the server fetch those URLs (its network is not the uploader's), nor draw pictures from
 * the server's own disk into the deck. Real LibreOffice, a loopback web server that
 * records every request, and a picture on disk.
 */
import { execFileSync } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ConverterPool } from "../../server/decks/convert/pool.ts";
import { ZipParts } from "../../server/decks/convert/zip-parts.ts";
import { DeckService } from "../../server/decks/service.ts";
import { makeImage, makeNumberedOdp, makeOdpWithLinkedPictures, pptxFromOdp } from "../support/decks-files.ts";

const log = pino({ level: process.env.DECKCAST_TEST_LOG ?? "silent" });
let work: string;
let service: DeckService;
let maker: ConverterPool;
let web: Server;
let requests: string[];
let internalUrl: string;
let secretOnDisk: string;

/** The pictures drawn into a deck's PDF, one line each (pdfimages -list without its header). */
function picturesIn(pdf: string): string[] {
  return execFileSync("pdfimages", ["-list", pdf], { encoding: "utf8" }).trim().split("\n").slice(2);
}

async function convert(name: string, bytes: Buffer) {
  const file = path.join(work, name);
  await writeFile(file, bytes);
  const r = await service.ingest(file, { name });
  if (!r.ok) throw new Error(`${name}: ${r.error.code}: ${r.error.message}`);
  return r.value;
}

/** A PPTX saved by LibreOffice, with one picture linked to each URL added to its slide. */
async function pptxLinking(urls: string[]): Promise<Buffer> {
  const pptx = await pptxFromOdp(maker, makeNumberedOdp(1), work, "base");
  const zip = (await ZipParts.open(await readFile(pptx)))!;
  const slide = zip.text("ppt/slides/slide1.xml")!;
  const rels = zip.text("ppt/slides/_rels/slide1.xml.rels")!;
  const pics = urls.map((_, i) => `<p:pic><p:nvPicPr><p:cNvPr id="${90 + i}" name="Linked ${i}"/><p:cNvPicPr/><p:nvPr/></p:nvPicPr><p:blipFill><a:blip r:link="rIdLinked${i}"/><a:stretch><a:fillRect/></a:stretch></p:blipFill><p:spPr><a:xfrm><a:off x="${914400 + i * 3200400}" y="2743200"/><a:ext cx="2743200" cy="2057400"/></a:xfrm><a:prstGeom prst="rect"><a:avLst/></a:prstGeom></p:spPr></p:pic>`);
  const links = urls.map((url, i) => `<Relationship Id="rIdLinked${i}" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/image" Target="${url}" TargetMode="External"/>`);
  return zip.with(new Map([
    ["ppt/slides/slide1.xml", slide.replace("</p:spTree>", `${pics.join("")}</p:spTree>`)],
    ["ppt/slides/_rels/slide1.xml.rels", rels.replace("</Relationships>", `${links.join("")}</Relationships>`)],
  ]));
}

beforeAll(async () => {
  work = await mkdtemp(path.join(tmpdir(), "deckcast-linked-"));
  requests = [];
  const picture = await makeImage("png", 200, 150);
  secretOnDisk = path.join(work, "secret.png");
  await writeFile(secretOnDisk, picture);
  web = createServer((req, res) => {
    requests.push(req.url ?? "");
    res.writeHead(200, { "content-type": "image/png" }).end(picture);
  });
  await new Promise<void>((resolve) => web.listen(0, "127.0.0.1", resolve));
  internalUrl = `http://127.0.0.1:${(web.address() as AddressInfo).port}/internal.png`;
  service = new DeckService({ dataDir: path.join(work, "data"), workers: 1, log });
  maker = new ConverterPool({ workers: 1, log });
  await Promise.all([service.started(), maker.ready()]);
});

afterAll(async () => {
  await Promise.all([service?.stop(), maker?.stop()]);
  await new Promise((resolve) => web?.close(resolve));
  await rm(work, { recursive: true, force: true });
});

describe("pictures a deck links by URL", () => {
  it("a PPTX: neither the http:// picture is fetched nor the file:// one drawn; the slide still converts", async () => {
    const deck = await convert("linked.pptx", await pptxLinking([internalUrl, pathToFileURL(secretOnDisk).href]));
    expect(deck.pages).toBe(1);
    expect(deck.text[0]).toContain("Title 1 of the numbered deck");
    expect(requests).toEqual([]);
    expect(picturesIn(service.pdfPath(deck.id))).toEqual([]);
  });

  it("an ODP: neither the http:// picture is fetched nor the file:// one drawn", async () => {
    const deck = await convert("linked.odp", makeOdpWithLinkedPictures([internalUrl, pathToFileURL(secretOnDisk).href, "../../secret.png"]));
    expect(deck.text[0]).toContain("Linked pictures");
    expect(requests).toEqual([]);
    expect(picturesIn(service.pdfPath(deck.id))).toEqual([]);
  });
});
