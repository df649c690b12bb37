/**
 * A page's text from pdf.js text items. pdf.js already puts " " items where a gap between
 * glyph runs is a word break and marks line ends with `hasEOL`, so items are joined as they
 * are: a space between every item (as before) split words wherever a word changed font or
 * was written in two runs ("Reference numbe r"). The items' positions are a second check,
 * for readers that do not insert spaces: a run that starts on another line begins a new
 * line, one that starts clearly after the previous one's end on the same line gets a space.
 */

/** The parts of a pdf.js TextItem this needs (transform: [a, b, c, d, x, y]). */
export interface TextPiece {
  str: string;
  hasEOL?: boolean;
  transform?: number[];
  width?: number;
  height?: number;
}

export function joinTextItems(items: readonly TextPiece[]): string {
  let s = "";
  let prev: { endX: number; y: number; size: number } | null = null;
  for (const item of items) {
    const t = item.transform;
    const size = Math.abs(item.height || (t ? Math.hypot(t[2] ?? 0, t[3] ?? 0) : 0));
    if (item.str && prev && t && size > 0 && !/\s$/.test(s) && !/^\s/.test(item.str)) {
      const x = t[4] ?? 0;
      const y = t[5] ?? 0;
      if (Math.abs(y - prev.y) > Math.max(size, prev.size) * 0.5) s += "\n";
      else if (x - prev.endX > Math.max(size, prev.size) * 0.25) s += " ";
    }
    s += item.str;
    if (item.hasEOL) s += "\n";
    if (item.str && t) prev = { endX: (t[4] ?? 0) + (item.width ?? 0), y: t[5] ?? 0, size };
    if (item.hasEOL) prev = null;
  }
  return s.replace(/[ \t]+/g, " ").replace(/ *\n */g, "\n").replace(/\n{2,}/g, "\n").trim();
}
