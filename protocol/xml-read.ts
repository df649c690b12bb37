/**
 * Defensive readers over ltx elements. Decoders take whatever element arrives (from a
 * parser, another @xmpp/xml copy, or a hand-built tree), so nothing here trusts shapes:
 * no instanceof, own attributes only, strings only. None of these throws.
 */

import type { Element } from "@xmpp/xml";
import { numeric } from "./points.ts";

/** The element type every decoder reads and every builder returns (ltx, through @xmpp/xml). */
export type { Element };

interface ElementLike {
  name: string;
  attrs: Record<string, unknown>;
  children: unknown[];
  parent?: unknown;
}

export function isElement(x: unknown): x is Element {
  if (typeof x !== "object" || x === null) return false;
  const e = x as Partial<ElementLike>;
  return typeof e.name === "string" && typeof e.attrs === "object" && e.attrs !== null && Array.isArray(e.children);
}

/** The element's name without its prefix. */
export function localName(el: Element): string {
  const i = el.name.indexOf(":");
  return i >= 0 ? el.name.slice(i + 1) : el.name;
}

/** An attribute's value when it is an own string attribute. */
export function attr(el: Element, name: string): string | undefined {
  const attrs = el.attrs as Record<string, unknown>;
  const v = Object.hasOwn(attrs, name) ? attrs[name] : undefined;
  return typeof v === "string" ? v : undefined;
}

/** An attribute as a number when it looks like one, else its raw string (or undefined). */
export function numAttr(el: Element, name: string): number | string | undefined {
  const v = attr(el, name);
  return v === undefined ? undefined : numeric(v);
}

/**
 * The element's namespace, resolved through its ancestors (prefixes included); `fallback`
 * when nothing declares it (a hand-built child whose parent link is missing).
 */
export function nsOf(el: Element, fallback?: string): string | undefined {
  const i = el.name.indexOf(":");
  const key = i >= 0 ? `xmlns:${el.name.slice(0, i)}` : "xmlns";
  let cur: unknown = el;
  for (let depth = 0; depth < 256 && isElement(cur); depth++) {
    const v = attr(cur, key);
    if (v !== undefined) return v;
    cur = (cur as ElementLike).parent;
  }
  return fallback;
}

/** The concatenated text children. */
export function textOf(el: Element): string {
  let s = "";
  for (const c of el.children as unknown[]) if (typeof c === "string" || typeof c === "number") s += String(c);
  return s;
}

/** The child elements, in order. */
export function childElements(el: Element): Element[] {
  return (el.children as unknown[]).filter(isElement);
}

/**
 * Characters the element would take serialised (names, attributes and text; markup and
 * escaping not counted), walked without recursion and stopping as soon as the count passes
 * `limit`: a size check that neither serialises an untrusted tree nor walks all of a huge one.
 */
export function xmlSizeOver(el: Element, limit: number): boolean {
  let size = 0;
  const stack: unknown[] = [el];
  while (stack.length > 0) {
    const node = stack.pop();
    if (typeof node === "string" || typeof node === "number") size += String(node).length;
    else if (isElement(node)) {
      size += node.name.length;
      for (const [k, v] of Object.entries(node.attrs as Record<string, unknown>)) size += k.length + (typeof v === "string" ? v.length : 0);
      for (const child of node.children as unknown[]) stack.push(child);
    }
    if (size > limit) return true;
  }
  return false;
}
