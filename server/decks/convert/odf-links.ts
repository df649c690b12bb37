/**
 * OpenDocument files can link content from outside the package: a picture, an object, a
 * fill image, a section of another document (`xlink:href="file:///…"` or a URL).
 * LibreOffice's link blocking (uno_convert.py, lock_down) stops network fetches but still
 * reads `file://` pictures for ODF, which would draw pictures from the server's disk into
 * a deck. This empties every outside reference before LibreOffice sees the file, keeping
 * hyperlinks (`text:a`, `draw:a`, event listeners), which are never loaded.
 */
import { ZipParts } from "./zip-parts.ts";

/** Parts that can hold links to content. */
const PARTS = ["content.xml", "styles.xml"];
/** Elements whose xlink:href is a hyperlink a reader follows, never content that is loaded. */
const HYPERLINKS = /^(text:a|draw:a|presentation:event-listener|script:event-listener|office:event-listener|text:bookmark-ref|text:note-ref)$/;

/** Is `href` inside the package ("Pictures/x.png", "./Object 1", "#Slide 2")? */
function insidePackage(href: string): boolean {
  const h = href.trim();
  if (h.startsWith("#")) return true;
  if (/^[a-z][a-z0-9+.-]*:/i.test(h) || h.startsWith("/") || h.startsWith("\\")) return false;
  return !h.replace(/^\.\//, "").split(/[/\\]/).includes("..");
}

/**
 * The file with outside references emptied, and how many there were; null when it has
 * none (or is not an archive this can rewrite), so the original converts as it is.
 */
export async function unlinkOdf(source: Buffer): Promise<{ bytes: Buffer; unlinked: number } | null> {
  const zip = await ZipParts.open(source);
  if (!zip) return null;
  const replace = new Map<string, string>();
  let unlinked = 0;
  for (const part of PARTS) {
    const xml = zip.text(part);
    if (xml === null) continue;
    const out = xml.replace(/<([\w.-]+:[\w.-]+)\b([^>]*)>/g, (tag, name: string, attrs: string) => {
      if (HYPERLINKS.test(name)) return tag;
      const fixed = attrs.replace(/(\sxlink:href\s*=\s*)(["'])([^"']*)\2/g, (all, pre: string, q: string, href: string) => {
        if (insidePackage(href)) return all;
        unlinked++;
        return `${pre}${q}${q}`;
      });
      return fixed === attrs ? tag : `<${name}${fixed}>`;
    });
    if (out !== xml) replace.set(part, out);
  }
  return unlinked === 0 ? null : { bytes: zip.with(replace), unlinked };
}
