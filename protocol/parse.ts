/**
 * Parses serialised XML (one element, e.g. a stanza from a log or an archive) into an ltx
 * Element, with @xmpp/xml's Parser, so tests, the server and browsers read XML the same
 * way the XMPP connection does.
 */

import { Parser, type Element } from "@xmpp/xml";
import { fail, ok } from "./result.ts";
import type { Result } from "./types.ts";

/** Parses one XML element. Throws an Error naming the problem when the text is not one well-formed element. */
export function parseXml(s: string): Element {
  const r = tryParseXml(s);
  if (!r.ok) throw new Error(r.error.message);
  return r.value;
}

/** Parses one XML element; a "bad-request" error when the text is not one well-formed element. */
export function tryParseXml(s: string): Result<Element> {
  const p = new Parser();
  let root: Element | null = null;
  let ended = false;
  let problem: string | null = null;
  p.on("start", (el: Element) => (root = el));
  p.on("element", (el: Element) => {
    if (ended) problem ??= `<${el.name}> after the root element`;
    else root?.append(el);
  });
  p.on("end", () => (ended = true));
  p.on("error", (e: Error) => (problem ??= e.message));
  try {
    p.write(s);
  } catch (e) {
    // ltx throws on an illegal entity or character reference instead of emitting "error".
    problem ??= e instanceof Error ? e.message : String(e);
  }
  if (problem !== null) return fail("bad-request", `not well-formed XML: ${problem}`);
  if (root === null || !ended) return fail("bad-request", "not well-formed XML: no complete element");
  return ok(root);
}
