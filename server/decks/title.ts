/**
 * A deck's title: the document's own title when it is a real one (OOXML docProps/core.xml,
 * ODF meta.xml, then the PDF's Info /Title or XMP dc:title), else the file name the
 * presenter uploaded, tidied, else the first line of text on the first page. Every
 * candidate is untrusted text: control and bidi-override characters go, whitespace is
 * folded, and the result is cut to TITLE_MAX code points.
 */
import type { PdfFacts } from "./types.ts";

export const TITLE_MAX = 120;
export const UNTITLED = "Untitled deck";

/**
 * Titles office suites and PDF makers write by default, in a few languages: "Presentation",
 * "PowerPoint Presentation", "Presentation1", "Slide 1", "Untitled 2", "Document1", "Title",
 * the placeholders' prompts... None tells a reader which deck this is.
 */
const GENERIC = new RegExp(
  "^(?:" + [
    "(?:microsoft\\s+)?(?:powerpoint|impress|keynote|google\\s+slides)?\\s*(?:presentation|pr[eé]sentation|pr[aä]sentation|presentaci[oó]n|apresenta[cç][aã]o|presentazione)\\s*\\d*",
    "(?:empty|blank)\\b.*\\b(?:presentation|document)",
    "(?:slide|folie|diapositiv[ae]|dia)\\s*\\d+",
    "(?:untitled|unbenannt|sans\\s+titre|sin\\s+t[ií]tulo|senza\\s+titolo)(?:[\\s_-]*\\d+)?(?:\\s+(?:presentation|document|deck))?",
    "(?:document|dokument|documento)\\s*\\d*",
    "(?:title|titel|titre|t[ií]tulo|titolo)(?:\\s+(?:text|slide))?",
    "click to (?:add|edit)\\b.*",
    "(?:office|default)\\s+theme",
    "microsoft\\s+(?:word|powerpoint)\\s*-.*", // "Microsoft Word - report.docx": a file name, not a title
  ].join("|") + ")$",
  "iu",
);

/** Names of files, local paths and URLs: what printing a file writes when it has no title. */
const FILE_LIKE = /^(?:[a-z]:[\\/]|[\\/]|~[\\/]|file:|https?:)|[\\/].*\.[a-z0-9]{2,5}$|\.(?:pptx?|pptm|ppsx?|potx|key|odp|otp|docx?|dotx|odt|rtf|pdf|txt|tex|dvi|ps|indd|html?)$/iu;

/** Characters a title never keeps: controls, bidi embeddings/overrides/isolates, BOM. */
const STRIP = /[\p{Cc}\u200e\u200f\u202a-\u202e\u2066-\u2069\ufeff]/gu;

/** Untrusted text as one tidy line (no length limit). */
export function oneLine(s: string): string {
  return s.replace(STRIP, " ").replace(/\s+/gu, " ").trim();
}

/** True when `s` (already one line) names this document: not empty, has a letter, not a default or a file name. */
export function isRealTitle(s: string): boolean {
  const t = oneLine(s);
  if (!/\p{L}/u.test(t)) return false; // "", "0", "1.", "—"
  return !GENERIC.test(t) && !FILE_LIKE.test(t);
}

/** The uploaded file's name as a title: no folder, no extension, no "(1)" copy mark, underscores as spaces. */
export function titleFromFileName(name: string): string {
  let base = name.split(/[\\/]/).pop() ?? "";
  base = base.replace(/^\.+/, "").replace(/\.[a-z0-9]{1,5}$/i, "");
  base = base.replace(/_+/g, " ").replace(/\s*(?:\(\d+\)|-\s*copy(?:\s*\d+)?|copy of\s*)$/i, "").replace(/^copy of\s+/i, "");
  return oneLine(base);
}

/**
 * The `<dc:title>` of an OOXML core-properties part or an ODF meta.xml, "" when there is
 * none. The Dublin Core prefix is read from the part's own declaration.
 */
/** Characters of a <dc:title>'s content that are decoded (markup included). */
const MAX_TITLE_XML = 4096;

export function titleFromXml(xml: string): string {
  const prefix = /xmlns:([A-Za-z_][\w.-]*)\s*=\s*["']http:\/\/purl\.org\/dc\/elements\/1\.1\/?["']/.exec(xml)?.[1] ?? "dc";
  // indexOf, not one regex over the part: a part of 26,000 unclosed <dc:title> openings took
  // the regex a second (each failed try scanned to the end); this is linear.
  const open = `<${prefix}:title`;
  for (let at = xml.indexOf(open); at >= 0; at = xml.indexOf(open, at + 1)) {
    const next = xml[at + open.length];
    if (next !== ">" && !/\s/.test(next ?? "")) continue; // <dc:titleX…>: another element
    const gt = xml.indexOf(">", at);
    if (gt < 0 || xml[gt - 1] === "/") return "";
    const close = xml.indexOf(`</${prefix}:title`, gt);
    // A title is cut to 120 code points anyway: decode at most MAX_TITLE_XML characters of it,
    // so the markup regexes below never see a hostile part's 256 KiB (unclosed CDATA or tags
    // repeated through it once took them 8–25 s).
    return close < 0 ? "" : oneLine(decodeXmlText(xml.slice(gt + 1, Math.min(close, gt + 1 + MAX_TITLE_XML))));
  }
  return "";
}

function decodeXmlText(s: string): string {
  return s
    .replace(/<!\[CDATA\[([\s\S]*?)\]\]>/g, "$1")
    .replace(/<[^>]*>/g, "")
    .replace(/&(#x[0-9a-f]+|#\d+|amp|lt|gt|quot|apos);/gi, (_, e: string) => {
      const named: Record<string, string> = { amp: "&", lt: "<", gt: ">", quot: '"', apos: "'" };
      if (e[0] !== "#") return named[e.toLowerCase()]!;
      const cp = e[1] === "x" || e[1] === "X" ? parseInt(e.slice(2), 16) : parseInt(e.slice(1), 10);
      return cp > 0 && cp <= 0x10ffff && !(cp >= 0xd800 && cp <= 0xdfff) ? String.fromCodePoint(cp) : "";
    });
}

export interface TitleSources {
  /** The source document's own title (core.xml / meta.xml), if it has one. */
  document?: string;
  /** The uploader's file name. */
  fileName?: string;
}

/** The title of a deck from its PDF facts and the sources above, in the order the module header gives. */
export function chooseTitle(facts: PdfFacts, sources: TitleSources = {}): string {
  for (const t of [sources.document, facts.metaTitle]) if (t && isRealTitle(t)) return clip(t);
  const fromName = sources.fileName ? titleFromFileName(sources.fileName) : "";
  if (fromName && isRealTitle(fromName)) return clip(fromName);
  const firstLine = facts.text[0]?.split("\n").map(oneLine).find((l) => l.length > 0);
  if (firstLine) return clip(firstLine);
  return fromName ? clip(fromName) : UNTITLED;
}

function clip(s: string): string {
  const cps = [...oneLine(s)];
  return cps.length > TITLE_MAX ? `${cps.slice(0, TITLE_MAX - 1).join("").trimEnd()}…` : cps.join("");
}
