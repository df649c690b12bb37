/**
 * The text form of ink points: space-separated "x,y" pairs ("120,330 125,340"), used by
 * <ink-progress>, <ink-stroke>, and the state's <stroke> and <drawing>.
 */

/** Formats flat [x0,y0,x1,y1,…] as "x0,y0 x1,y1 …". */
export function formatPoints(points: readonly number[]): string {
  const pairs: string[] = [];
  for (let i = 0; i + 1 < points.length; i += 2) pairs.push(`${points[i]},${points[i + 1]}`);
  return pairs.join(" ");
}

/**
 * Splits point text into flat coordinates. A coordinate that looks like a decimal number
 * becomes a number; anything else stays a string for the validator to name. Returns an
 * error message when a token is not an "x,y" pair.
 */
export function parsePoints(text: string): { ok: true; value: unknown[] } | { ok: false; message: string } {
  const trimmed = text.trim();
  if (trimmed === "") return { ok: true, value: [] };
  const out: unknown[] = [];
  const tokens = trimmed.split(/\s+/);
  for (const [i, token] of tokens.entries()) {
    const xy = token.split(",");
    if (xy.length !== 2) {
      const why = xy.length === 1 ? "it has no y: odd number of coordinates" : `it has ${xy.length} coordinates`;
      return { ok: false, message: `point ${i + 1} ("${token.slice(0, 40)}") is not an "x,y" pair; ${why}` };
    }
    out.push(numeric(xy[0] ?? ""), numeric(xy[1] ?? ""));
  }
  return { ok: true, value: out };
}

const DECIMAL = /^-?\d+(?:\.\d+)?$/;

/** A decimal-looking string as a number; anything else unchanged (the validator reports it). */
export function numeric(s: string): number | string {
  return DECIMAL.test(s) ? Number(s) : s;
}
