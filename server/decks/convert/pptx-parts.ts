/**
 * Splits a PowerPoint deck into parts that LibreOffice converts in parallel, one part per
 * idle worker, so one big deck uses every warm worker instead of one.
 *
 * Each part is the whole file in which the slides of the other parts are replaced by an
 * empty hidden slide. Every slide keeps its place in the slide list, so slide-number fields
 * still count from the start of the deck (LibreOffice 7.4 ignores firstSlideNum, so
 * dropping slides from the list would renumber them), and LibreOffice's PDF export leaves
 * hidden slides out, so part k's PDF holds exactly its own slides. Only the slides' own
 * parts are touched: masters, layouts, theme and media stay as they are. Speaker notes are
 * unlinked from every slide in the parts: the PDF never shows them, and loading them costs
 * LibreOffice ~8% of the conversion.
 *
 * A deck is not split (a reason is returned instead) when a slide links to another slide
 * (the link would cross into another part's PDF), when it has too few slides to be worth
 * it, or when the archive cannot be rewritten faithfully.
 */
import { posix } from "node:path";
import { presentationPart } from "../sniff/classify-zip.ts";
import { ZipParts } from "./zip-parts.ts";

export type PptxSplit =
  | { ok: true; parts: Buffer[]; pages: number[] }
  | { ok: false; reason: string };

const REL_SLIDE = /\/relationships\/slide$/;
const REL_LAYOUT = /\/relationships\/slideLayout$/;
const REL_NOTES = /\/relationships\/notesSlide$/;

/** An empty, hidden slide: what the other parts' slides become. */
const HIDDEN_STUB =
  '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n' +
  '<p:sld xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main" ' +
  'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships" ' +
  'xmlns:p="http://schemas.openxmlformats.org/presentationml/2006/main" show="0">' +
  '<p:cSld><p:spTree><p:nvGrpSpPr><p:cNvPr id="1" name=""/><p:cNvGrpSpPr/><p:nvPr/></p:nvGrpSpPr>' +
  "<p:grpSpPr/></p:spTree></p:cSld><p:clrMapOvr><a:masterClrMapping/></p:clrMapOvr></p:sld>";

interface Slide {
  part: string;
  rels: string;
  /** The slide's relationships without its notes, or null when it has no notes to drop. */
  relsWithoutNotes: string | null;
  /** The slide's relationships file, kept down to its layout for the stub. */
  layoutRels: string;
  hidden: boolean;
}

/**
 * Splits `source` into at most `count` parts of consecutive visible slides, as even as
 * possible; refuses decks with fewer than `minSlides` visible slides.
 */
export async function splitPptx(source: Buffer, count: number, minSlides: number): Promise<PptxSplit> {
  const zip = await ZipParts.open(source);
  if (!zip) return { ok: false, reason: "the archive cannot be rewritten (ZIP64 or encrypted entries)" };
  const types = zip.text("[Content_Types].xml");
  const presentation = types === null ? null : presentationPart(new Map([["[Content_Types].xml", types]]));
  if (!presentation) return { ok: false, reason: "no presentation part" };
  const slides = listSlides(zip, presentation);
  if (typeof slides === "string") return { ok: false, reason: slides };
  const visible = slides.filter((s) => !s.hidden);
  const n = Math.min(count, visible.length);
  if (visible.length < Math.max(2, minSlides) || n < 2) return { ok: false, reason: `${visible.length} visible slides (splits from ${minSlides})` };
  const parts: Buffer[] = [];
  const pages: number[] = [];
  for (let k = 0; k < n; k++) {
    const mine = new Set(visible.slice(Math.floor((k * visible.length) / n), Math.floor(((k + 1) * visible.length) / n)));
    const replace = new Map<string, string>();
    // Stubs borrow the layout of this part's first slide: a layout only stubs used would
    // still be imported (LibreOffice imports each slide's layout and master).
    const stubRels = [...mine][0]!.layoutRels;
    for (const s of slides) {
      if (mine.has(s)) {
        if (s.relsWithoutNotes !== null) replace.set(s.rels, s.relsWithoutNotes);
        continue;
      }
      replace.set(s.part, HIDDEN_STUB);
      replace.set(s.rels, stubRels);
    }
    parts.push(zip.with(replace));
    pages.push(mine.size);
  }
  return { ok: true, parts, pages };
}

/** The deck's slides in show order, or why the deck must not be split. */
function listSlides(zip: ZipParts, presentation: string): Slide[] | string {
  const xml = zip.text(presentation);
  const rels = zip.text(relsOf(presentation));
  if (xml === null || rels === null) return "the presentation part or its relationships are missing";
  const targets = relationships(rels, presentation);
  const list = /<(?:[\w.-]+:)?sldIdLst\b[^>]*>([\s\S]*?)<\/(?:[\w.-]+:)?sldIdLst>/.exec(xml)?.[1] ?? "";
  const slides: Slide[] = [];
  for (const m of list.matchAll(/<(?:[\w.-]+:)?sldId\b[^>]*>/g)) {
    // The relationship id is the prefixed `id` (r:id, whatever the prefix); plain `id` is the slide's number.
    const rid = /\s[\w.-]+:id\s*=\s*"([^"]*)"/.exec(m[0])?.[1];
    const part = rid ? targets.get(rid)?.target : undefined;
    if (!part) return "a slide in the slide list has no part";
    if (slides.some((s) => s.part === part)) return `the slide part ${part} is listed twice`;
    const slideXml = zip.text(part);
    if (slideXml === null) return `the slide part ${part} is missing`;
    const relsPart = relsOf(part);
    const relsXml = zip.text(relsPart) ?? "";
    const slideRels = relationships(relsXml, part);
    const jumps = [...slideRels.values()].some((r) => REL_SLIDE.test(r.type)) || /ppaction:\/\/hlink(sld|show)jump/.test(slideXml);
    if (jumps) return "a slide links to another slide";
    const root = /<(?:[\w.-]+:)?sld\b[^>]*>/.exec(slideXml)?.[0] ?? "";
    const show = attr(root, "show");
    slides.push({
      part,
      rels: relsPart,
      relsWithoutNotes: [...slideRels.values()].some((r) => REL_NOTES.test(r.type)) ? keepRelationships(relsXml, (type) => !REL_NOTES.test(type)) : null,
      layoutRels: keepRelationships(relsXml, (type) => REL_LAYOUT.test(type)),
      hidden: show === "0" || show === "false",
    });
  }
  return slides;
}

/** A relationships file keeping only the relationships whose type `keep` accepts. */
function keepRelationships(rels: string, keep: (type: string) => boolean): string {
  const kept = [...rels.matchAll(/<(?:[\w.-]+:)?Relationship\b[^>]*>/g)]
    .map((m) => m[0])
    .filter((tag) => keep(attr(tag, "Type") ?? ""))
    .map((tag) => (tag.endsWith("/>") ? tag : tag.replace(/>$/, "/>")));
  return '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n' +
    `<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">${kept.join("")}</Relationships>`;
}

/** Relationship id → resolved part name and type; external targets are left out. */
function relationships(rels: string, source: string): Map<string, { target: string; type: string }> {
  const out = new Map<string, { target: string; type: string }>();
  for (const m of rels.matchAll(/<(?:[\w.-]+:)?Relationship\b[^>]*>/g)) {
    const id = attr(m[0], "Id");
    const target = attr(m[0], "Target");
    if (!id || !target || attr(m[0], "TargetMode") === "External") continue;
    out.set(id, { target: resolvePart(source, target), type: attr(m[0], "Type") ?? "" });
  }
  return out;
}

function resolvePart(source: string, target: string): string {
  let t = target;
  try {
    t = decodeURI(target);
  } catch {
    // a malformed %-escape: take the name as written
  }
  return t.startsWith("/") ? posix.normalize(t.slice(1)) : posix.join(posix.dirname(source), t);
}

/** `ppt/slides/slide1.xml` → `ppt/slides/_rels/slide1.xml.rels`. */
function relsOf(part: string): string {
  return posix.join(posix.dirname(part), "_rels", `${posix.basename(part)}.rels`);
}

/** An attribute of a start tag (XML entities in it are not needed here). */
function attr(tag: string, name: string): string | undefined {
  for (const m of tag.matchAll(/([\w:.-]+)\s*=\s*("([^"]*)"|'([^']*)')/g)) {
    if (m[1] === name) return m[3] ?? m[4];
  }
  return undefined;
}
