/**
 * Deck status on the wire (docs/protocol.md §Decks, 3): how an upload's conversion goes,
 * uploaded → converting → ready | failed. One shape, two forms: the `<deck-status/>` element
 * the component sends the uploader in a message, and the JSON of GET /upload/<slot>/status
 * and GET /decks/pending/<slot>. The server encodes with these functions and the client
 * decodes with them; a status that does not decode is dropped. Pure: no I/O; never throws
 * on input; errors are `bad-request` with a path like `deck-status@pages`.
 */

import xml, { type Element } from "@xmpp/xml";
import { attrAt, Checker, describe, getter, isRecord, textAt, type Loc } from "./check.ts";
import { DECK_ERROR_CODES, MAX_DECK_MESSAGE, type DeckErrorCode } from "./deck-errors.ts";
import { LIMITS, NS } from "./namespaces.ts";
import { fail } from "./result.ts";
import type { Result } from "./types.ts";
import { attr, isElement, localName, nsOf, numAttr, textOf } from "./xml-read.ts";

export const DECK_STATES = ["uploaded", "converting", "ready", "failed"] as const;
export type DeckState = (typeof DECK_STATES)[number];

export interface DeckStatus {
  /** The upload slot's id ([A-Za-z0-9_-], the server makes 22 characters). */
  slot: string;
  state: DeckState;
  /** Content address (sha256 of the source), known from "uploaded" on. */
  deck?: string;
  /** Pages of the deck: required when ready. */
  pages?: number;
  /** The deck's title: required when ready. */
  title?: string;
  /** Why it failed: required when failed. */
  code?: DeckErrorCode;
  /** 0..100 while converting. */
  progress?: number;
  /** A sentence for the person (at most MAX_DECK_MESSAGE code points). */
  message: string;
}

export const DECK_STATUS = {
  /** Characters of a slot id. */
  maxSlot: 64,
  /** Code points of the sentence. */
  maxMessage: MAX_DECK_MESSAGE,
  /** Code points of the title. */
  maxTitle: LIMITS.maxTitle,
} as const;

// Characters XML 1.0 cannot carry (or rewrites), and unpaired surrogates: what Checker.text refuses.
const BAD_CHAR = /[\u0000-\u001f\u007f\ufffe\uffff]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

/**
 * Text as the encoder sends it: characters the reader refuses become U+FFFD and it is cut to
 * `max` code points, so the server never sends what its clients drop (a file name with U+007F,
 * a converter's long complaint).
 */
export function deckText(s: string, max: number): string {
  const clean = s.replace(BAD_CHAR, "\ufffd");
  if (clean.length <= max) return clean;
  const cps = [...clean];
  return cps.length <= max ? clean : `${cps.slice(0, max - 1).join("")}…`;
}

/** The status as the encoders send it (text made safe and bounded). */
function wireForm(s: DeckStatus): DeckStatus {
  const out: DeckStatus = { slot: s.slot, state: s.state, message: deckText(s.message, DECK_STATUS.maxMessage) };
  if (s.deck !== undefined) out.deck = s.deck;
  if (s.pages !== undefined) out.pages = s.pages;
  if (s.title !== undefined) out.title = deckText(s.title, DECK_STATUS.maxTitle);
  if (s.code !== undefined) out.code = s.code;
  if (s.progress !== undefined) out.progress = s.progress;
  return out;
}

/** `<deck-status xmlns="urn:deckcast:0" slot state [deck pages title code progress]>sentence</deck-status>` */
export function encodeDeckStatus(status: DeckStatus): Element {
  const s = wireForm(status);
  const attrs: Record<string, string> = { xmlns: NS.deckcast, slot: s.slot, state: s.state };
  if (s.deck !== undefined) attrs.deck = s.deck;
  if (s.pages !== undefined) attrs.pages = String(s.pages);
  if (s.title !== undefined) attrs.title = s.title;
  if (s.code !== undefined) attrs.code = s.code;
  if (s.progress !== undefined) attrs.progress = String(s.progress);
  return xml("deck-status", attrs, s.message);
}

/** The JSON form (GET /upload/<slot>/status): the same fields, text made safe and bounded. */
export function encodeDeckStatusJson(status: DeckStatus): DeckStatus {
  return wireForm(status);
}

/** Reads a `<deck-status/>` element, checking every attribute. */
export function decodeDeckStatus(el: Element): Result<DeckStatus> {
  if (!isElement(el) || localName(el) !== "deck-status" || nsOf(el) !== NS.deckcast) {
    return fail("bad-request", `expected <deck-status xmlns="${NS.deckcast}">`, "deck-status");
  }
  const at = (name: string) => attrAt("deck-status", name);
  return check(
    (key) => (key === "message" ? textOf(el) : key === "pages" || key === "progress" ? numAttr(el, key) : attr(el, key)),
    (name) => (name === "message" ? textAt("deck-status", "message") : at(name)),
  );
}

/** The `<deck-status/>` child of a message, decoded; null when the message has none. */
export function deckStatusOf(message: Element): Result<DeckStatus> | null {
  if (!isElement(message)) return null;
  const child = (message.children as unknown[]).find((c): c is Element => isElement(c) && localName(c) === "deck-status" && nsOf(c, nsOf(message)) === NS.deckcast);
  return child ? decodeDeckStatus(child) : null;
}

/** Checks the JSON form. */
export function validateDeckStatus(v: unknown): Result<DeckStatus> {
  if (!isRecord(v)) return fail("bad-request", `a deck status must be an object, got ${describe(v)}`, "status");
  return check(getter(v), (name) => ({ path: `status.${name}`, name }));
}

function check(get: (key: string) => unknown, loc: (name: string) => Loc): Result<DeckStatus> {
  const c = new Checker("bad-request");
  const slot = c.id(get("slot"), loc("slot"), DECK_STATUS.maxSlot);
  const state = c.oneOf(get("state"), loc("state"), DECK_STATES);
  const message = c.text(get("message"), loc("message"), DECK_STATUS.maxMessage);
  const s: DeckStatus = { slot, state, message };
  const optional = (key: string, required: boolean): unknown => {
    const v = get(key);
    if (v === undefined && required) c.fail(loc(key).path, `${key} is required when the state is ${state}`);
    return v;
  };
  const deck = optional("deck", state === "ready");
  if (deck !== undefined) s.deck = c.hex64(deck, loc("deck"));
  const pages = optional("pages", state === "ready");
  if (pages !== undefined) s.pages = c.page(pages, loc("pages"));
  const title = optional("title", state === "ready");
  if (title !== undefined) s.title = c.text(title, loc("title"), DECK_STATUS.maxTitle);
  const code = optional("code", state === "failed");
  if (code !== undefined) s.code = c.oneOf(code, loc("code"), DECK_ERROR_CODES);
  const progress = optional("progress", false);
  if (progress !== undefined) s.progress = c.int(progress, loc("progress"), 0, 100);
  return c.result(s);
}
