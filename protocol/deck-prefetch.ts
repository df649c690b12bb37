/**
 * The deck manifest (docs/protocol.md §Decks, deck manifest): GET /decks/<id>/manifest?w=<width>
 * lists every page image at one width and every thumbnail with the sha256 and size of exactly
 * the bytes its URL serves, so a follower (or an edge, or a phone) can fetch the whole deck ahead
 * of need from any source and refuse bytes that do not match. Here: the shape, its URL, the
 * checker a client runs on a body it fetched (hostile input: every field checked, bounded, and
 * each entry's url must be the one protocol/deck-urls.ts builds), and the order to fetch in.
 * Pure: no I/O; never throws on input.
 */

import { Checker, describe, getter, isRecord, type Loc } from "./check.ts";
import { IMAGE_WIDTHS, pageImageUrl, snapWidth, thumbUrl, type ImageWidth } from "./deck-urls.ts";
import { LIMITS } from "./namespaces.ts";
import { fail } from "./result.ts";
import type { Result } from "./types.ts";

export const DECK_MANIFEST_VERSION = 1;

export const DECK_MANIFEST = {
  /** Largest size one image may claim (a 2560 px JPEG is a few MB). */
  maxImageBytes: 32 * 1024 * 1024,
} as const;

/** One image of the deck: `url` is relative to a source's base (pageImageUrl / thumbUrl). */
export interface DeckManifestEntry {
  page: number;
  url: string;
  /** Lowercase hex sha256 of exactly the bytes `url` serves. */
  sha256: string;
  bytes: number;
}

export interface DeckManifest {
  v: typeof DECK_MANIFEST_VERSION;
  deck: string;
  width: ImageWidth;
  /** One per page, in page order (page 1 first). */
  pages: DeckManifestEntry[];
  /** The 240 px thumbnails: one per page, in page order. */
  thumbs: DeckManifestEntry[];
}

/** An image to fetch, as prefetchOrder lists them. */
export interface PrefetchItem extends DeckManifestEntry {
  kind: "page" | "thumb";
}

/** GET /decks/<id>/manifest?w=: the manifest at `width`, snapped. */
export function deckManifestUrl(deck: string, width: number): string {
  return `/decks/${encodeURIComponent(deck)}/manifest?w=${snapWidth(width)}`;
}

/**
 * Checks a manifest body. With `asked`, it must also be the deck (and width, snapped) that was
 * asked for, so a source cannot answer with another deck's list.
 */
export function readDeckManifest(v: unknown, asked?: { deck: string; width?: number }): Result<DeckManifest> {
  if (!isRecord(v)) return fail("bad-request", `a deck manifest must be an object, got ${describe(v)}`, "manifest");
  const get = getter(v);
  const c = new Checker("bad-request");
  if (get("v") !== DECK_MANIFEST_VERSION) c.fail("manifest.v", `manifest version must be ${DECK_MANIFEST_VERSION}, got ${describe(get("v"))}`);
  const deck = c.hex64(get("deck"), at("deck"));
  const w = get("width");
  const width = (IMAGE_WIDTHS as readonly unknown[]).includes(w) ? (w as ImageWidth) : (c.fail("manifest.width", `width must be one of ${IMAGE_WIDTHS.join(", ")}; got ${describe(w)}`), IMAGE_WIDTHS[0]);
  if (!c.failed && asked && asked.deck !== deck) c.fail("manifest.deck", "the manifest is another deck's");
  if (!c.failed && asked?.width !== undefined && snapWidth(asked.width) !== width) c.fail("manifest.width", `the manifest is for width ${width}, not ${snapWidth(asked.width)}`);
  const pages = c.failed ? [] : entries(c, get("pages"), "pages", (p) => pageImageUrl(deck, p, width));
  const thumbs = c.failed ? [] : entries(c, get("thumbs"), "thumbs", (p) => thumbUrl(deck, p));
  if (!c.failed && thumbs.length !== pages.length) c.fail("manifest.thumbs", `thumbs has ${thumbs.length} entries for ${pages.length} pages`);
  return c.result({ v: DECK_MANIFEST_VERSION, deck, width, pages, thumbs });
}

const at = (name: string): Loc => ({ path: `manifest.${name}`, name });

function entries(c: Checker, v: unknown, name: string, urlOf: (page: number) => string): DeckManifestEntry[] {
  if (!Array.isArray(v)) {
    c.fail(`manifest.${name}`, `${name} must be an array, got ${describe(v)}`);
    return [];
  }
  if (v.length < 1 || v.length > LIMITS.maxPages) {
    c.fail(`manifest.${name}`, `${name} must list 1..${LIMITS.maxPages} images, got ${v.length}`);
    return [];
  }
  const out: DeckManifestEntry[] = [];
  for (const [i, e] of v.entries()) {
    const path = `manifest.${name}[${i + 1}]`;
    if (!isRecord(e)) {
      c.fail(path, `an image entry must be an object, got ${describe(e)}`);
      break;
    }
    const g = getter(e);
    const page = c.page(g("page"), { path: `${path}.page`, name: "page" });
    if (!c.failed && page !== i + 1) c.fail(`${path}.page`, `entries must be in page order: entry ${i + 1} names page ${page}`);
    const url = g("url");
    if (!c.failed && url !== urlOf(page)) c.fail(`${path}.url`, `url must be ${urlOf(page)}, got ${describe(url)}`);
    const sha256 = c.hex64(g("sha256"), { path: `${path}.sha256`, name: "sha256" });
    const bytes = c.int(g("bytes"), { path: `${path}.bytes`, name: "bytes" }, 1, DECK_MANIFEST.maxImageBytes);
    if (c.failed) break;
    out.push({ page, url: url as string, sha256, bytes });
  }
  return out;
}

/**
 * The order to fetch a deck in: the current page and the next first, then the rest by distance
 * from `current` (ahead before behind on a tie: turns go forward most). With `small`, the
 * thumbnails of the current and next pages come before everything (a quick stand-in), and the
 * other thumbnails after every page.
 */
export function prefetchOrder(m: DeckManifest, current: number, small = false): PrefetchItem[] {
  const n = m.pages.length;
  const c = Math.min(n, Math.max(1, Number.isInteger(current) ? current : 1));
  const order: number[] = [c];
  for (let d = 1; order.length < n; d++) {
    if (c + d <= n) order.push(c + d);
    if (c - d >= 1) order.push(c - d);
  }
  const first = order.slice(0, Math.min(2, n));
  const page = (p: number): PrefetchItem => ({ kind: "page", ...m.pages[p - 1]! });
  const thumb = (p: number): PrefetchItem => ({ kind: "thumb", ...m.thumbs[p - 1]! });
  if (!small) return order.map(page);
  return [...first.map(thumb), ...order.map(page), ...order.slice(first.length).map(thumb)];
}
