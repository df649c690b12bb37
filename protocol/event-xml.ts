/**
 * One event ⇄ one element of NS.deckcast (docs/protocol.md §Events). Decoding only maps
 * syntax (attributes to fields, numbers, point text); validate.ts judges the values.
 */

import xml, { type Element } from "@xmpp/xml";
import { textAt } from "./check.ts";
import { fail, ok } from "./result.ts";
import { formatPoints, parsePoints } from "./points.ts";
import type { DeckEvent, EventType, Result } from "./types.ts";
import { attr, numAttr, textOf } from "./xml-read.ts";

type Raw = Record<string, unknown>;

/** The element for one event (no xmlns: it inherits the bundle's). */
export function eventToXml(e: DeckEvent): Element {
  switch (e.type) {
    case "session-start":
      return xml(e.type, { t: e.t, presenter: e.presenter }, e.title);
    case "session-stop":
      return xml(e.type, { t: e.t });
    case "deck-open":
      return xml(e.type, { t: e.t, deck: e.deck.id, pages: e.deck.pages }, e.deck.title);
    case "page":
    case "ink-undo":
    case "ink-clear":
      return xml(e.type, { t: e.t, page: e.page });
    case "ink-progress":
    case "ink-stroke":
      return xml(
        e.type,
        { t: e.t, page: e.page, stroke: e.stroke, tool: e.tool, color: e.color, width: e.width },
        formatPoints(e.points),
      );
    case "ink-erase":
      return xml(e.type, { t: e.t, page: e.page, strokes: e.strokes.join(" ") });
    case "pointer":
      return xml(e.type, { t: e.t, page: e.page, x: e.x, y: e.y });
    case "presenter":
      return xml(e.type, { t: e.t, nick: e.nick, jid: e.jid });
    case "recording":
      return xml(e.type, { t: e.t, state: e.state, bytes: e.bytes, duration: e.duration, reason: e.reason });
  }
}

/** Fields of a stroke element (event or state), syntax only. */
export function strokeFields(el: Element, path: string): Result<Raw> {
  const points = parsePoints(textOf(el));
  if (!points.ok) return fail("bad-bundle", points.message, textAt(path, "points").path);
  return ok({
    page: numAttr(el, "page"),
    stroke: attr(el, "stroke"),
    tool: attr(el, "tool"),
    color: attr(el, "color"),
    width: numAttr(el, "width"),
    points: points.value,
  });
}

function idList(el: Element, name: string): string[] | undefined {
  const v = attr(el, name);
  return v === undefined ? undefined : v.split(/\s+/).filter((s) => s !== "");
}

/**
 * The raw event object an element of a known event type describes, for validateEvent.
 * Fails only on syntax the object form cannot express (a point that is not "x,y").
 */
export function eventFromXml(type: EventType, el: Element, path: string): Result<Raw> {
  const t = numAttr(el, "t");
  const page = numAttr(el, "page");
  switch (type) {
    case "session-start":
      return ok({ type, t, presenter: attr(el, "presenter"), title: textOf(el) });
    case "session-stop":
      return ok({ type, t });
    case "deck-open":
      return ok({ type, t, deck: { id: attr(el, "deck"), pages: numAttr(el, "pages"), title: textOf(el) } });
    case "page":
    case "ink-undo":
    case "ink-clear":
      return ok({ type, t, page });
    case "ink-progress":
    case "ink-stroke": {
      const r = strokeFields(el, path);
      return r.ok ? ok({ type, t, ...r.value }) : r;
    }
    case "ink-erase":
      return ok({ type, t, page, strokes: idList(el, "strokes") });
    case "pointer":
      return ok({ type, t, page, x: numAttr(el, "x"), y: numAttr(el, "y") });
    case "presenter":
      return ok({ type, t, nick: attr(el, "nick"), jid: attr(el, "jid") });
    case "recording":
      return ok({ type, t, state: attr(el, "state"), bytes: numAttr(el, "bytes"), duration: numAttr(el, "duration"), reason: attr(el, "reason") });
  }
}
