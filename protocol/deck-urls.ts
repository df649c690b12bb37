/**
 * The deck HTTP paths (docs/protocol.md §Decks, 5), built by the client and read by the
 * server's routes from this one definition: the deck record, page images at a width snapped
 * to IMAGE_WIDTHS (which bounds the server's image cache and lets clients share it), the
 * 240 px thumbnails, and an upload's status. Pure.
 */

/** Page image widths: requests are clamped to 64..2560 and snapped up to one of these. */
export const IMAGE_WIDTHS = [64, 128, 240, 320, 480, 640, 800, 1024, 1280, 1600, 1920, 2560] as const;
export type ImageWidth = (typeof IMAGE_WIDTHS)[number];

/** The width when a request names none (or names something that is not a number). */
export const DEFAULT_IMAGE_WIDTH = 1280;
/** Width of /thumbs/ images. */
export const THUMB_WIDTH = 240;

const MIN = IMAGE_WIDTHS[0];
const MAX = IMAGE_WIDTHS[IMAGE_WIDTHS.length - 1]!;

/** The smallest image width at least `px` (clamped to 64..2560; not a number: the default). */
export function snapWidth(px: number): ImageWidth {
  const w = Math.min(MAX, Math.max(MIN, Math.round(Number.isFinite(px) ? px : DEFAULT_IMAGE_WIDTH)));
  return IMAGE_WIDTHS.find((s) => s >= w) ?? MAX;
}

const seg = encodeURIComponent;

/** GET /decks/<id>: the deck record (with `text`: per-page text too). */
export function deckInfoUrl(deck: string, opts: { text?: boolean } = {}): string {
  return `/decks/${seg(deck)}${opts.text ? "?text=1" : ""}`;
}

export function deckPdfUrl(deck: string): string {
  return `/decks/${seg(deck)}/deck.pdf`;
}

/** Page `page` (1-based) as JPEG, `width` snapped. */
export function pageImageUrl(deck: string, page: number, width: number): string {
  return `/decks/${seg(deck)}/pages/${pageImageName(page)}?w=${snapWidth(width)}`;
}

export function thumbUrl(deck: string, page: number): string {
  return `/decks/${seg(deck)}/thumbs/${pageImageName(page)}`;
}

/** PUT /upload/<slot>?token=…: where a slot's file goes (XEP-0363's put URL, after the base). */
export function uploadPutPath(slot: string, token: string): string {
  return `/upload/${seg(slot)}?token=${seg(token)}`;
}

/** GET /decks/pending/<slot>: the slot's deck once ready (XEP-0363's get URL, after the base). */
export function pendingDeckPath(slot: string): string {
  return `/decks/pending/${seg(slot)}`;
}

/** GET /upload/<slot>/status: an upload's status as JSON (protocol/deck-status.ts). */
export function uploadStatusUrl(slot: string): string {
  return `/upload/${seg(slot)}/status`;
}

/** The slot id in an upload URL's path (`/upload/<slot>`), or null when it is not one. */
export function slotOfUploadPath(pathname: string): string | null {
  return /\/upload\/([A-Za-z0-9_-]{1,64})$/.exec(pathname)?.[1] ?? null;
}

/** The file name of a page image: `<n>.jpg`. */
export function pageImageName(page: number): string {
  return `${page}.jpg`;
}

/** The page a page-image file name names (`<n>.jpg`, at most 5 digits), or null. */
export function pageOfImageName(file: string): number | null {
  const m = /^(\d{1,5})\.jpg$/.exec(file);
  return m ? Number(m[1]) : null;
}

/** The width a `?w=` query asks for, snapped (absent or not one string: the default). */
export function widthOfQuery(w: unknown): ImageWidth {
  return snapWidth(typeof w === "string" ? Number(w) : DEFAULT_IMAGE_WIDTH);
}
