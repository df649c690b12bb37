/**
 * Bundles ⇄ XML (docs/protocol.md §Bundle). Decoding maps the element to a plain object
 * and hands it to validateBundle, so the rules live in validate.ts. decodeBundle never
 * throws: any input yields a value or a "bad-bundle" error with a path.
 */

import xml, { type Element } from "@xmpp/xml";
import { decodeBase64, encodeBase64 } from "./base64.ts";
import { describe } from "./check.ts";
import { eventFromXml, eventToXml } from "./event-xml.ts";
import { NS } from "./namespaces.ts";
import { fail } from "./result.ts";
import type { Bundle, Result } from "./types.ts";
import { isEventType, validateBundle } from "./validate.ts";
import { attr, childElements, isElement, localName, nsOf, numAttr, textOf } from "./xml-read.ts";

export { decodeState, encodeState } from "./state-codec.ts";

/** The <bundle> element for a bundle (stamp attributes only when present). */
export function encodeBundle(b: Bundle): Element {
  const el = xml("bundle", { xmlns: NS.deckcast, id: b.id, t: b.t, seq: b.seq, ts: b.ts, from: b.from });
  for (const e of b.events) el.append(eventToXml(e));
  if (b.audio) el.append(xml("audio", { t: b.audio.t }, encodeBase64(b.audio.data)));
  return el;
}

/** Parses and validates a <bundle> element. */
export function decodeBundle(el: Element): Result<Bundle> {
  if (!isElement(el)) return fail("bad-bundle", `expected a <bundle> element, got ${describe(el)}`, "bundle");
  const ns = nsOf(el);
  if (localName(el) !== "bundle" || ns !== NS.deckcast) {
    return fail("bad-bundle", `expected <bundle xmlns="${NS.deckcast}">, got <${localName(el)}> in ${describe(ns ?? "no namespace")}`, "bundle");
  }
  const events: unknown[] = [];
  let audio: { t: unknown; data: Uint8Array } | undefined;
  const seen = new Map<string, number>();
  for (const child of childElements(el)) {
    if (nsOf(child, ns) !== NS.deckcast) continue; // other namespaces: extensions, ignored
    const name = localName(child);
    const n = (seen.get(name) ?? 0) + 1;
    seen.set(name, n);
    const path = `bundle/${name}[${n}]`;
    if (name === "audio") {
      if (audio) return fail("bad-bundle", "a bundle holds at most one <audio> element", path);
      const data = decodeBase64(textOf(child));
      if (!data) return fail("bad-bundle", "audio is not valid base64", `${path}/text()`);
      audio = { t: numAttr(child, "t"), data };
    } else if (isEventType(name)) {
      const raw = eventFromXml(name, child, path);
      if (!raw.ok) return raw;
      events.push(raw.value);
    } else {
      return fail("bad-bundle", `unknown element <${name}> in ${NS.deckcast}`, path);
    }
  }
  return validateBundle({
    id: attr(el, "id"),
    t: numAttr(el, "t"),
    seq: numAttr(el, "seq"),
    ts: numAttr(el, "ts"),
    from: attr(el, "from"),
    events,
    ...(audio ? { audio } : {}),
  });
}
