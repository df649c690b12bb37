/** Deck titles (server/decks/title.ts) and pdf.js text joining (server/decks/pdf/page-text.ts). */
import { describe, expect, it } from "vitest";
import { joinTextItems } from "../../server/decks/pdf/page-text.ts";
import { chooseTitle, isRealTitle, titleFromFileName, titleFromXml } from "../../server/decks/title.ts";

const facts = (text: string[], metaTitle = "") => ({ pages: text.length, pageSizes: [], text, metaTitle });

describe("what counts as a real title", () => {
  it.each([
    "", " ", "0", "1.", "—", "PowerPoint Presentation", "Presentation", "Presentation1", "presentation 2",
    "Microsoft PowerPoint Presentation", "Slide 1", "Folie 3", "Untitled", "Untitled 2", "untitled-3", "Document1",
    "Title", "Click to add title", "Click to edit Master title style", "Office Theme",
    "Empty Default White PowerPoint Presentation", "Microsoft Word - report.docx", "report.pdf", "deck.PPTX",
    "C:\\Users\\ann\\Desktop\\q3.pptx", "/home/ann/q3.odp", "file:///tmp/x", "https://example.com/a",
  ])("not %j", (t) => expect(isRealTitle(t)).toBe(false));

  it.each(["Q3 review", "python-pptx was here!", "Roadmap 2025", "季度业绩回顾", "مرحبا", "Presentation skills for engineers", "Node.js at scale", "Q3/Q4 plan"])(
    "%j", (t) => expect(isRealTitle(t)).toBe(true));
});

describe("titles from file names", () => {
  it.each([
    ["q3 deck.pptx", "q3 deck"], ["Q3_review_final.pptx", "Q3 review final"], ["Board pack (1).pdf", "Board pack"],
    ["cht-charts.pptx", "cht-charts"], ["notes - Copy.docx", "notes"], [".pptx", "pptx"], ["a.b.c.odp", "a.b.c"],
    ["C:\\fakepath\\talk.odp", "talk"], ["  spaced \t name .pdf", "spaced name"],
  ])("%j → %j", (name, want) => expect(titleFromFileName(name)).toBe(want));
});

describe("titles from OOXML core.xml and ODF meta.xml", () => {
  it("reads dc:title whatever the prefix, with entities and character references", () => {
    expect(titleFromXml(`<cp:coreProperties xmlns:cp="x" xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:title>R&amp;D &#8211; 2025 &#x1F680;</dc:title></cp:coreProperties>`)).toBe("R&D – 2025 🚀");
    expect(titleFromXml(`<office:document-meta xmlns:d="http://purl.org/dc/elements/1.1/"><office:meta><d:title>Roadmap</d:title></office:meta></office:document-meta>`)).toBe("Roadmap");
    expect(titleFromXml(`<x xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:title/></x>`)).toBe("");
    expect(titleFromXml("")).toBe("");
  });

  it("reads only the first dc:title's first 4096 characters, whatever a hostile part holds", () => {
    const dc = 'xmlns:dc="http://purl.org/dc/elements/1.1/"';
    // Unclosed openings, unclosed CDATA and unclosed tags all through the part: no title, or a
    // bounded one; only a bounded slice is ever decoded (these took a regex over the whole part 1–25 s).
    expect(titleFromXml(`<x ${dc}>${"<dc:title>".repeat(26_000)}</x>`)).toBe("");
    expect([...titleFromXml(`<x ${dc}><dc:title>${"<![CDATA[".repeat(29_000)}</dc:title></x>`)].length).toBeLessThanOrEqual(4096); // kept as text, bounded
    expect([...titleFromXml(`<x ${dc}><dc:title>${"<a".repeat(130_000)}</dc:title></x>`)].length).toBeLessThanOrEqual(4096); // kept as text, bounded
    // Text hidden after 4096 characters of markup is not read.
    expect(titleFromXml(`<x ${dc}><dc:title>${"<b/>".repeat(1024)}Hidden</dc:title></x>`)).toBe("");
    expect(titleFromXml(`<x ${dc}><dc:titles>no</dc:titles><dc:title>Yes</dc:title></x>`)).toBe("Yes");
  });

  it("keeps no control or bidi-override characters, and no invalid references", () => {
    expect(titleFromXml(`<x xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:title>a\u202ebc&#0;&#xD800;\u0007d\n e</dc:title></x>`)).toBe("a bc d e");
  });
});

describe("choosing", () => {
  const f = facts(["\n  Quarterly review \nmore"]);
  it("the document's own title, then the PDF's, then the file name, then the first line", () => {
    expect(chooseTitle(facts(["0"], "Real PDF title"), { document: "Real doc title", fileName: "x.pptx" })).toBe("Real doc title");
    expect(chooseTitle(facts(["0"], "Real PDF title"), { document: "Presentation", fileName: "x.pptx" })).toBe("Real PDF title");
    expect(chooseTitle(facts(["0"], "PowerPoint Presentation"), { document: "Presentation", fileName: "cht-charts.pptx" })).toBe("cht-charts");
    expect(chooseTitle(f, { fileName: "Presentation1.pptx" })).toBe("Quarterly review");
    expect(chooseTitle(f)).toBe("Quarterly review");
    expect(chooseTitle(facts([""]), { fileName: "Presentation1.pptx" })).toBe("Presentation1");
    expect(chooseTitle(facts([]))).toBe("Untitled deck");
  });

  it("is one line of at most 120 code points", () => {
    const long = "𝔸".repeat(300);
    const t = chooseTitle(facts([]), { document: long });
    expect([...t]).toHaveLength(120);
    expect(t.endsWith("…")).toBe(true);
  });
});

describe("joining pdf.js text items", () => {
  const at = (str: string, x: number, y: number, width: number, size = 28, hasEOL = false) => ({ str, hasEOL, transform: [size, 0, 0, size, x, y], width, height: size });

  it("adds no space between runs that touch (a letter in another font)", () => {
    expect(joinTextItems([at("Reference numbe", 60, 330, 222.5), at("r", 282.5, 330, 9.3)])).toBe("Reference number");
  });

  it("keeps pdf.js's own spaces and line ends", () => {
    expect(joinTextItems([at("Reference", 60, 330, 129), at(" ", 189, 330, 11), at("number", 200, 330, 85.5), at("", 60, 330, 0, 28, true), at("Next", 60, 290, 50)])).toBe("Reference number\nNext");
  });

  it("uses positions when a reader gave no space or line end", () => {
    expect(joinTextItems([at("Left", 60, 330, 50), at("right", 300, 330, 60)])).toBe("Left right");
    expect(joinTextItems([at("Top", 60, 330, 50), at("Bottom", 60, 200, 80)])).toBe("Top\nBottom");
  });

  it("folds runs of spaces and blank lines", () => {
    expect(joinTextItems([{ str: "  a  ", hasEOL: true }, { str: "", hasEOL: true }, { str: " b" }])).toBe("a\nb");
  });
});
