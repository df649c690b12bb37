/**
 * Rewriting decks before LibreOffice sees them, without LibreOffice: the ZIP rewriter keeps
 * every other entry byte for byte and writes valid CRCs and sizes; the PowerPoint splitter
 * stubs out the other parts' slides, keeps slide order and layouts, drops notes, counts
 * only visible slides, and refuses decks it must not split; the OpenDocument unlinker
 * empties references to outside the package and keeps hyperlinks.
 */
import { crc32 } from "node:zlib";
import yauzl from "yauzl";
import { describe, expect, it } from "vitest";
import { unlinkOdf } from "../../server/decks/convert/odf-links.ts";
import { splitPptx } from "../../server/decks/convert/pptx-parts.ts";
import { ZipParts } from "../../server/decks/convert/zip-parts.ts";
import { makeZip, withZipComment, type ZipEntryInput } from "../support/decks-zip.ts";

const REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships";
const RELS_NS = "http://schemas.openxmlformats.org/package/2006/relationships";

interface EntryRead { name: string; data: Buffer; crcOk: boolean; method: number }

/** Every entry of an archive, inflated, with its CRC checked (yauzl itself does not). */
function readAll(buf: Buffer): Promise<EntryRead[]> {
  return new Promise((resolve, reject) => {
    yauzl.fromBuffer(buf, { lazyEntries: true }, (err, zip) => {
      if (err || !zip) return reject(err);
      const out: EntryRead[] = [];
      zip.on("entry", (e: yauzl.Entry) => {
        zip.openReadStream(e, (err2, stream) => {
          if (err2 || !stream) return reject(err2);
          const chunks: Buffer[] = [];
          stream.on("data", (c: Buffer) => chunks.push(c));
          stream.on("end", () => {
            const data = Buffer.concat(chunks);
            out.push({ name: e.fileName, data, crcOk: crc32(data) === e.crc32, method: e.compressionMethod });
            zip.readEntry();
          });
        });
      });
      zip.once("end", () => resolve(out));
      zip.once("error", reject);
      zip.readEntry();
    });
  });
}

interface SlideSpec { text: string; hidden?: boolean; notes?: boolean; jump?: "action" | "rel" }

/** A structurally real PPTX: presentation, slides with layout and notes relationships. */
function makeDeck(slides: SlideSpec[], opts: { prefix?: string } = {}): Buffer {
  const p = opts.prefix ?? "p";
  const entries: ZipEntryInput[] = [
    { name: "[Content_Types].xml", data: `<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="xml" ContentType="application/xml"/><Override PartName="/ppt/presentation.xml" ContentType="application/vnd.openxmlformats-officedocument.presentationml.presentation.main+xml"/></Types>` },
    {
      name: "ppt/presentation.xml",
      data: `<?xml version="1.0" encoding="UTF-8"?><${p}:presentation xmlns:${p}="http://schemas.openxmlformats.org/presentationml/2006/main" xmlns:rel="${REL}"><${p}:sldIdLst>${
        slides.map((_, i) => `<${p}:sldId id="${256 + i}" rel:id="rId${i + 10}"/>`).join("")
      }</${p}:sldIdLst></${p}:presentation>`,
    },
    {
      name: "ppt/_rels/presentation.xml.rels",
      data: `<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="${RELS_NS}">${
        slides.map((_, i) => `<Relationship Id="rId${i + 10}" Type="${REL}/slide" Target="${i % 2 ? "/ppt/" : ""}slides/slide${i + 1}.xml"/>`).join("")
      }</Relationships>`,
    },
    { name: "ppt/media/picture.png", data: Buffer.from("not really a png, stored as is"), method: "store" },
  ];
  slides.forEach((s, i) => {
    const link = s.jump === "action" ? `<a:hlinkClick r:id="" action="ppaction://hlinkshowjump?jump=nextslide"/>` : "";
    entries.push({
      name: `ppt/slides/slide${i + 1}.xml`,
      data: `<?xml version="1.0" encoding="UTF-8"?><${p}:sld xmlns:a="x" xmlns:r="${REL}" xmlns:${p}="http://schemas.openxmlformats.org/presentationml/2006/main"${s.hidden ? ' show="0"' : ""}><${p}:cSld><${p}:spTree><a:t>${s.text}</a:t>${link}</${p}:spTree></${p}:cSld></${p}:sld>`,
    });
    const rels = [`<Relationship Id="rId1" Type="${REL}/slideLayout" Target="../slideLayouts/slideLayout${(i % 3) + 1}.xml"/>`];
    if (s.notes) rels.push(`<Relationship Id="rId2" Type="${REL}/notesSlide" Target="../notesSlides/notesSlide${i + 1}.xml"/>`);
    if (s.jump === "rel") rels.push(`<Relationship Id="rId3" Type="${REL}/slide" Target="slide1.xml"/>`);
    rels.push(`<Relationship Id="rId4" Type="${REL}/hyperlink" Target="https://example.org/" TargetMode="External"/>`);
    entries.push({ name: `ppt/slides/_rels/slide${i + 1}.xml.rels`, data: `<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="${RELS_NS}">${rels.join("")}</Relationships>` });
  });
  return makeZip(entries);
}

const slides = (n: number, more: (i: number) => Partial<SlideSpec> = () => ({})): SlideSpec[] =>
  Array.from({ length: n }, (_, i) => ({ text: `Slide ${i + 1}`, notes: true, ...more(i) }));

describe("ZipParts", () => {
  const source = makeZip([
    { name: "a.xml", data: "<a>first</a>".repeat(50) },
    { name: "b/stored.bin", data: Buffer.from([1, 2, 3, 4]), method: "store" },
    { name: "c.xml", data: "<c>last</c>" },
  ]);

  it("reads parts, and rewrites one while copying the others byte for byte", async () => {
    const zip = (await ZipParts.open(source))!;
    expect(zip.text("a.xml")).toBe("<a>first</a>".repeat(50));
    expect(zip.text("missing")).toBeNull();
    const out = zip.with(new Map([["c.xml", "<c>replaced — ü</c>"]]));
    const read = await readAll(out);
    expect(read.map((e) => e.name)).toEqual(["a.xml", "b/stored.bin", "c.xml"]);
    expect(read.filter((e) => !e.crcOk).map((e) => e.name), "entries failing their CRC").toEqual([]);
    expect(read[0]!.data.toString()).toBe("<a>first</a>".repeat(50));
    expect(read[0]!.method).toBe(8); // still deflated: copied, not recompressed
    expect([...read[1]!.data]).toEqual([1, 2, 3, 4]);
    expect(read[2]!.data.toString()).toBe("<c>replaced — ü</c>");
    expect(read[2]!.method).toBe(0);
  });

  it("drops the archive comment and still writes a valid archive", async () => {
    const zip = (await ZipParts.open(withZipComment(source, "a comment")))!;
    const read = await readAll(zip.with(new Map()));
    expect(read).toHaveLength(3);
    expect(read.filter((e) => !e.crcOk).map((e) => e.name), "entries failing their CRC").toEqual([]);
  });

  it("refuses what it cannot copy faithfully: not an archive, truncated data", async () => {
    expect(await ZipParts.open(Buffer.from("plain text, not a zip"))).toBeNull();
    const cut = Buffer.from(source);
    cut.writeUInt32LE(0, 0); // the first local header is gone
    expect(await ZipParts.open(cut)).toBeNull();
  });
});

describe("splitPptx", () => {
  it("splits visible slides into even runs; the other parts' slides become hidden stubs with only their layout", async () => {
    const deck = makeDeck(slides(9));
    const split = await splitPptx(deck, 2, 4);
    if (!split.ok) throw new Error(split.reason);
    expect(split.pages).toEqual([4, 5]);
    const [first, second] = await Promise.all(split.parts.map(readAll));
    for (const part of [first!, second!]) {
      expect(part.filter((e) => !e.crcOk).map((e) => e.name), "entries failing their CRC").toEqual([]);
      const names = part.map((e) => e.name);
      expect(names).toEqual((await readAll(deck)).map((e) => e.name)); // same parts, same order
      // The slide list is untouched, so slide numbers count from the start of the deck.
      const pres = part.find((e) => e.name === "ppt/presentation.xml")!.data.toString();
      expect(pres.match(/sldId /g)).toHaveLength(9);
    }
    const slide = (part: EntryRead[], n: number) => part.find((e) => e.name === `ppt/slides/slide${n}.xml`)!.data.toString();
    const rels = (part: EntryRead[], n: number) => part.find((e) => e.name === `ppt/slides/_rels/slide${n}.xml.rels`)!.data.toString();
    expect(slide(first!, 4)).toContain("Slide 4");
    expect(slide(first!, 5)).toContain('show="0"');
    expect(slide(first!, 5)).not.toContain("Slide 5");
    expect(slide(second!, 5)).toContain("Slide 5");
    expect(slide(second!, 1)).toContain('show="0"');
    // Stubs link only to the layout of their part's first slide (no other layout to import);
    // kept slides lose their notes but keep their own layout and other links.
    expect(rels(first!, 9)).toMatch(/^[^]*slideLayout1\.xml[^]*$/);
    expect(rels(first!, 9)).not.toMatch(/slideLayout[23]|notesSlide|hyperlink/);
    expect(rels(second!, 1)).toContain("slideLayout2.xml"); // slide 5's layout
    expect(rels(second!, 1)).not.toMatch(/slideLayout[13]/);
    expect(rels(first!, 2)).not.toContain("notesSlide");
    expect(rels(first!, 2)).toMatch(/slideLayout2\.xml.*example\.org/);
  });

  it("counts only visible slides: a hidden slide is in no part's page count", async () => {
    const split = await splitPptx(makeDeck(slides(8, (i) => ({ hidden: i === 2 }))), 2, 4);
    if (!split.ok) throw new Error(split.reason);
    expect(split.pages).toEqual([3, 4]);
  });

  it("works with any namespace prefix and absolute or relative targets", async () => {
    const split = await splitPptx(makeDeck(slides(6), { prefix: "pml" }), 3, 6);
    if (!split.ok) throw new Error(split.reason);
    expect(split.pages).toEqual([2, 2, 2]);
  });

  it("never makes more parts than visible slides, nor splits below the threshold", async () => {
    expect(await splitPptx(makeDeck(slides(7)), 2, 8)).toMatchObject({ ok: false, reason: expect.stringContaining("7 visible slides") });
    expect(await splitPptx(makeDeck(slides(3, (i) => ({ hidden: i > 0 }))), 2, 1)).toMatchObject({ ok: false });
  });

  it("refuses decks whose slides link to other slides (the link would cross parts)", async () => {
    for (const jump of ["action", "rel"] as const) {
      const split = await splitPptx(makeDeck(slides(10, (i) => (i === 6 ? { jump } : {}))), 2, 4);
      expect(split).toEqual({ ok: false, reason: "a slide links to another slide" });
    }
  });

  it("refuses decks it cannot read: no presentation part, a missing slide part, not a zip", async () => {
    expect(await splitPptx(makeZip([{ name: "x.xml", data: "<x/>" }]), 2, 2)).toMatchObject({ ok: false, reason: "no presentation part" });
    const deck = makeDeck(slides(4));
    const zip = (await ZipParts.open(deck))!;
    const broken = zip.with(new Map([["ppt/_rels/presentation.xml.rels", `<Relationships xmlns="${RELS_NS}"><Relationship Id="rId10" Type="${REL}/slide" Target="slides/gone.xml"/></Relationships>`]]));
    expect(await splitPptx(broken, 2, 2)).toMatchObject({ ok: false });
    const rels = zip.text("ppt/_rels/presentation.xml.rels")!.replace("/ppt/slides/slide2.xml", "slides/slide1.xml");
    const twice = zip.with(new Map([["ppt/_rels/presentation.xml.rels", rels]]));
    expect(await splitPptx(twice, 2, 2)).toEqual({ ok: false, reason: "the slide part ppt/slides/slide1.xml is listed twice" });
    expect(await splitPptx(Buffer.from("nope"), 2, 2)).toMatchObject({ ok: false });
  });

  it("inflates parts it reads within their declared size", () => {
    // The splitter runs after the sniffer's zip-bomb guard; ZipParts still never inflates past the declared size.
    const bomb = makeZip([{ name: "a.xml", data: "x".repeat(10_000), declaredSize: 10 }]);
    return ZipParts.open(bomb).then((zip) => expect(() => zip!.text("a.xml")).toThrow());
  });
});

describe("unlinkOdf", () => {
  const content = (body: string) => makeZip([
    { name: "mimetype", data: "application/vnd.oasis.opendocument.presentation", method: "store" },
    { name: "content.xml", data: `<office:document-content xmlns:xlink="http://www.w3.org/1999/xlink">${body}</office:document-content>` },
    { name: "Pictures/in.png", data: "png", method: "store" },
  ]);

  it("empties links to outside the package and keeps inside references and hyperlinks", async () => {
    const body = [
      `<draw:image xlink:href="Pictures/in.png"/>`,
      `<draw:image xlink:href="./Pictures/in.png"/>`,
      `<draw:image xlink:href="file:///etc/secret.png"/>`,
      `<draw:image xlink:href='http://10.0.0.1/x.png'/>`,
      `<draw:fill-image xlink:href="/var/lib/x.png"/>`,
      `<draw:object xlink:href="../other.odt"/>`,
      `<text:section-source xlink:href="Pictures/../../up.odt"/>`,
      `<text:a xlink:href="https://example.org/">a hyperlink stays</text:a>`,
      `<draw:a xlink:href="#Slide 2">so does a jump</draw:a>`,
    ].join("");
    const out = await unlinkOdf(content(body));
    if (!out) throw new Error("nothing unlinked");
    expect(out.unlinked).toBe(5);
    const zip = (await ZipParts.open(out.bytes))!;
    const xml = zip.text("content.xml")!;
    expect(xml).toContain(`<draw:image xlink:href="Pictures/in.png"/>`);
    expect(xml).toContain(`<draw:image xlink:href="./Pictures/in.png"/>`);
    expect(xml).toContain(`<draw:image xlink:href=""/>`);
    expect(xml).toContain(`<draw:image xlink:href=''/>`);
    expect(xml).toContain(`<draw:fill-image xlink:href=""/>`);
    expect(xml).toContain(`<draw:object xlink:href=""/>`);
    expect(xml).toContain(`<text:section-source xlink:href=""/>`);
    expect(xml).toContain(`<text:a xlink:href="https://example.org/">`);
    expect(xml).toContain(`<draw:a xlink:href="#Slide 2">`);
    expect(zip.text("mimetype")).toBe("application/vnd.oasis.opendocument.presentation");
  });

  it("leaves a file with no outside links alone", async () => {
    expect(await unlinkOdf(content(`<draw:image xlink:href="Pictures/in.png"/>`))).toBeNull();
    expect(await unlinkOdf(Buffer.from("not a zip"))).toBeNull();
  });
});
