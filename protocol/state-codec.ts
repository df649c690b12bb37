/**
 * RoomState ⇄ <state xmlns="urn:deckcast:0"> (docs/protocol.md §State element): what a
 * late joiner receives before applying the live stream. decodeState validates everything
 * (except `<audio-header>`, which is not room state: see audio-header.ts) and never throws;
 * errors carry code "bad-request" and a path like "state/ink[2]/stroke[1]@color".
 */

import xml, { type Element } from "@xmpp/xml";
import { attrAt, Checker, describe, textAt, type Loc } from "./check.ts";
import { strokeFields } from "./event-xml.ts";
import { LIMITS, NS } from "./namespaces.ts";
import { formatPoints } from "./points.ts";
import { fail } from "./result.ts";
import { INK_SCALE, INK_TOOLS, RECORDING_STATES, type Result, type RoomState, type Stroke } from "./types.ts";
import { attr, childElements, isElement, localName, nsOf, numAttr, textOf } from "./xml-read.ts";

const strokeAttrs = (s: Stroke) => ({ stroke: s.stroke, tool: s.tool, color: s.color, width: s.width });

/** The <state> element for a room state. */
export function encodeState(s: RoomState): Element {
  const el = xml("state", {
    xmlns: NS.deckcast, seq: s.seq, clock: s.clock, page: s.page,
    started: String(s.started), ended: String(s.ended), presenter: s.presenter ?? undefined,
    "presenter-jid": s.presenterJid,
  });
  el.append(xml("title", {}, s.title));
  if (s.deck) el.append(xml("deck", { id: s.deck.id, pages: s.deck.pages }, s.deck.title));
  for (const [page, strokes] of Object.entries(s.ink)) {
    const ink = xml("ink", { page });
    for (const st of strokes) ink.append(xml("stroke", strokeAttrs(st), formatPoints(st.points)));
    el.append(ink);
  }
  for (const d of Object.values(s.drawing)) {
    el.append(xml("drawing", { page: d.page, ...strokeAttrs(d) }, formatPoints(d.points)));
  }
  if (s.pointer) el.append(xml("pointer", { page: s.pointer.page, x: s.pointer.x, y: s.pointer.y }));
  if (s.recording) {
    const { state, bytes, duration, reason } = s.recording;
    el.append(xml("recording", { state, bytes, duration, reason }));
  }
  return el;
}

function bool(c: Checker, v: string | undefined, at: Loc): boolean {
  if (v === "true" || v === "false") return v === "true";
  c.fail(at.path, v === undefined ? `${at.name} is missing` : `${at.name} must be true or false, got ${describe(v)}`);
  return false;
}

function readStroke(c: Checker, el: Element, path: string): Stroke {
  const raw = strokeFields(el, path);
  if (!raw.ok) {
    c.fail(raw.error.path ?? path, raw.error.message);
    return { stroke: "", tool: "pen", color: "", width: 1, points: [] };
  }
  const f = raw.value;
  return {
    stroke: c.id(f.stroke, attrAt(path, "stroke"), LIMITS.maxStrokeId),
    tool: c.oneOf(f.tool, attrAt(path, "tool"), INK_TOOLS),
    color: c.color(f.color, attrAt(path, "color")),
    width: c.int(f.width, attrAt(path, "width"), 1, LIMITS.maxWidth),
    points: c.points(f.points, textAt(path, "points")),
  };
}

/** Parses and validates a <state> element into a RoomState. */
export function decodeState(el: Element): Result<RoomState> {
  if (!isElement(el)) return fail("bad-request", `expected a <state> element, got ${describe(el)}`, "state");
  const ns = nsOf(el);
  if (localName(el) !== "state" || ns !== NS.deckcast) {
    return fail("bad-request", `expected <state xmlns="${NS.deckcast}">, got <${localName(el)}> in ${describe(ns ?? "no namespace")}`, "state");
  }
  const c = new Checker("bad-request");
  const presenter = attr(el, "presenter");
  const s: RoomState = {
    title: "",
    presenter: presenter === undefined ? null : c.nick(presenter, attrAt("state", "presenter")),
    started: bool(c, attr(el, "started"), attrAt("state", "started")),
    ended: bool(c, attr(el, "ended"), attrAt("state", "ended")),
    deck: null,
    page: c.page(numAttr(el, "page"), attrAt("state", "page")),
    ink: {},
    drawing: {},
    pointer: null,
    recording: null,
    clock: c.int(numAttr(el, "clock"), attrAt("state", "clock")),
    seq: c.int(numAttr(el, "seq"), attrAt("state", "seq")),
  };
  const presenterJid = attr(el, "presenter-jid");
  if (presenterJid !== undefined) s.presenterJid = c.jid(presenterJid, attrAt("state", "presenter-jid"));
  const seen = new Map<string, number>();
  const drawing: [string, Stroke & { page: number }][] = [];
  for (const child of childElements(el)) {
    if (c.failed) break;
    if (nsOf(child, ns) !== NS.deckcast) continue;
    const name = localName(child);
    const n = (seen.get(name) ?? 0) + 1;
    seen.set(name, n);
    const p = `state/${name}[${n}]`;
    if (n > 1 && (name === "title" || name === "deck" || name === "pointer" || name === "recording" || name === "audio-header")) {
      c.fail(p, `a state holds at most one <${name}>`);
    } else if (name === "title") {
      s.title = c.text(textOf(child), textAt(p, "title"), LIMITS.maxTitle);
    } else if (name === "deck") {
      s.deck = {
        id: c.hex64(attr(child, "id"), attrAt(p, "id")),
        pages: c.page(numAttr(child, "pages"), attrAt(p, "pages")),
        title: c.text(textOf(child), textAt(p, "title"), LIMITS.maxTitle),
      };
    } else if (name === "ink") {
      const page = c.page(numAttr(child, "page"), attrAt(p, "page"));
      if (Object.hasOwn(s.ink, page)) c.fail(attrAt(p, "page").path, `ink for page ${page} appears twice`);
      const strokes = childElements(child)
        .filter((k) => localName(k) === "stroke" && nsOf(k, ns) === NS.deckcast)
        .map((k, i) => readStroke(c, k, `${p}/stroke[${i + 1}]`));
      if (strokes.length > 0) s.ink[page] = strokes;
    } else if (name === "drawing" && n > LIMITS.maxDrawing) {
      c.fail(p, `a state holds at most ${LIMITS.maxDrawing} <drawing> strokes`);
    } else if (name === "drawing") {
      const page = c.page(numAttr(child, "page"), attrAt(p, "page"));
      const st = readStroke(c, child, p);
      if (drawing.some(([id]) => id === st.stroke)) c.fail(attrAt(p, "stroke").path, `stroke ${st.stroke} is drawn twice`);
      drawing.push([st.stroke, { ...st, page }]);
    } else if (name === "pointer") {
      const at = (a: string) => attrAt(p, a);
      s.pointer = { page: c.page(numAttr(child, "page"), at("page")), x: c.int(numAttr(child, "x"), at("x"), 0, INK_SCALE), y: c.int(numAttr(child, "y"), at("y"), 0, INK_SCALE) };
    } else if (name === "recording") {
      const reason = attr(child, "reason");
      s.recording = {
        state: c.oneOf(attr(child, "state"), attrAt(p, "state"), RECORDING_STATES),
        bytes: c.int(numAttr(child, "bytes"), attrAt(p, "bytes")),
        duration: c.int(numAttr(child, "duration"), attrAt(p, "duration")),
        ...(reason === undefined ? {} : { reason: c.text(reason, attrAt(p, "reason"), LIMITS.maxReason) }),
      };
    } else if (name === "audio-header") {
      // Not part of RoomState: the audio stream's header pages, read by decodeAudioHeader.
    } else {
      c.fail(p, `unknown element <${name}> in ${NS.deckcast}`);
    }
  }
  s.drawing = Object.fromEntries(drawing);
  return c.result(s);
}
