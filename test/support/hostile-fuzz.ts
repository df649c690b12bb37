/**
 * fast-check arbitraries for fuzzing a live deckcast: stanzas as raw XML (always
 * well-formed, so Prosody passes them on; everything else is fair game): valid bundles and
 * their mutations (attributes with huge, negative, fractional or non-numeric values, elements
 * renamed to the wrong type, moved to odd namespaces, duplicated, deleted, nested too deep,
 * bundle ids the server uses itself or that were sent before), broken audio, random IQs to
 * every address the component answers, and messages and presences to it.
 *
 * A generated value is a template: it becomes a stanza when it is sent (`make(ctx)`), so
 * session times can be taken from the clock of that moment and audio continue a recording.
 */
import fc from "fast-check";
import type { Element } from "@xmpp/xml";
import { encodeBase64 } from "../../protocol/base64.ts";
import { encodeBundle } from "../../protocol/codec.ts";
import { NS } from "../../protocol/namespaces.ts";
import type { DeckEvent } from "../../protocol/types.ts";
import { scenarioEventArb, textArb, tokenArb } from "./arbitraries.ts";
import { escapeXml } from "./hostile-xmpp.ts";
import { concat, syntheticRecording } from "./opus.ts";

/** A small XML tree of our own (serialised by us, so it can hold anything well-formed). */
export interface XNode {
  name: string;
  attrs: Record<string, string>;
  children: (XNode | string | RawXml)[];
}
/** Markup kept as text (thousands of nested elements, never built as a tree). */
export interface RawXml {
  raw: string;
}
const isNode = (c: XNode["children"][number]): c is XNode => typeof c === "object" && "name" in c;

export function toXNode(el: Element): XNode {
  const attrs: Record<string, string> = {};
  for (const [k, v] of Object.entries(el.attrs)) if (v !== undefined && v !== null) attrs[k] = String(v);
  return { name: el.name, attrs, children: (el.children as unknown[]).map((c) => (typeof c === "string" ? c : toXNode(c as Element))) };
}

export function serialize(n: XNode): string {
  const attrs = Object.entries(n.attrs).map(([k, v]) => ` ${k}="${escapeXml(v)}"`).join("");
  if (n.children.length === 0) return `<${n.name}${attrs}/>`;
  return `<${n.name}${attrs}>${n.children.map((c) => (typeof c === "string" ? escapeXml(c) : isNode(c) ? serialize(c) : c.raw)).join("")}</${n.name}>`;
}

/** `depth` nested elements, as markup. */
export function chain(depth: number, name = "d"): RawXml {
  return { raw: `<${name}>`.repeat(depth) + `</${name}>`.repeat(depth) };
}

function flatten(n: XNode, out: XNode[] = []): XNode[] {
  out.push(n);
  for (const c of n.children) if (isNode(c)) flatten(c, out);
  return out;
}

function parentOf(root: XNode, target: XNode): XNode | null {
  for (const n of flatten(root)) if (n.children.includes(target)) return n;
  return null;
}

// ---- values ---------------------------------------------------------------------------

const LONG_NICK = "n".repeat(65);
/** Attribute values that break parsers: huge, negative, fractional, not numbers, too long. */
export const WEIRD_VALUES = [
  "", " ", "-1", "0", "1", "-0", "1.5", "1e3", "1e400", "NaN", "Infinity", "-Infinity", "0x1f", "+1", "01", " 7", "7 ", "٣",
  "9007199254740991", "9007199254740992", "-9007199254740991", "18446744073709551616", "4294967296",
  "true", "null", "undefined", "__proto__", "constructor", "#ff00ff", "#FFF", "#gggggg", "pen", "highlighter", "eraser",
  "a".repeat(65), "😀".repeat(65), LONG_NICK, "<b>&amp;</b>", "x".repeat(3000), "1 2 3 4", "1,2", "10001 5",
];
export const weirdValueArb = fc.oneof({ weight: 3, arbitrary: fc.constantFrom(...WEIRD_VALUES) }, fc.integer().map(String), fc.double().map(String), textArb(0, 12));

const ATTR_NAMES = ["t", "page", "id", "x", "y", "seq", "ts", "from", "to", "nick", "type", "stroke", "strokes", "color", "width", "tool", "deck", "pages", "state", "bytes", "duration", "reason", "presenter", "xml:lang", "foo"];
const ELEMENT_NAMES = ["page", "pointer", "ink-stroke", "ink-progress", "ink-erase", "ink-undo", "ink-clear", "deck-open", "session-start", "session-stop", "presenter", "recording", "audio", "bundle", "state", "range", "ack", "x", "teleport", "body", "error"];
const NAMESPACES = [NS.deckcast, "urn:deckcast:1", "urn:deckcast:errors:0", "", "urn:example:other", NS.mucUser, "jabber:client", "http://jabber.org/protocol/disco#info"];

const nameArb = fc.constantFrom(...ELEMENT_NAMES);
const attrsArb = fc.dictionary(fc.constantFrom(...ATTR_NAMES), weirdValueArb, { maxKeys: 4 });

/** Random elements, at most 3 levels, with random attributes and text. */
export const nodeArb: fc.Arbitrary<XNode> = fc.letrec<{ node: XNode }>((tie) => ({
  node: fc.record({
    name: nameArb,
    attrs: attrsArb,
    children: fc.array(fc.oneof({ maxDepth: 3, depthIdentifier: "node" }, textArb(0, 8), tie("node")), { maxLength: 3 }),
  }),
})).node;

// ---- mutations ------------------------------------------------------------------------

export type Mutation =
  | { op: "set-attr"; at: number; name: string; value: string }
  | { op: "del-attr"; at: number; which: number }
  | { op: "rename"; at: number; name: string }
  | { op: "namespace"; at: number; ns: string }
  | { op: "insert"; at: number; node: XNode }
  | { op: "deep"; at: number; depth: number }
  | { op: "text"; at: number; text: string }
  | { op: "duplicate"; at: number }
  | { op: "remove"; at: number };

export const mutationArb: fc.Arbitrary<Mutation> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ op: fc.constant("set-attr" as const), at: fc.nat(), name: fc.constantFrom(...ATTR_NAMES), value: weirdValueArb }) },
  fc.record({ op: fc.constant("del-attr" as const), at: fc.nat(), which: fc.nat() }),
  fc.record({ op: fc.constant("rename" as const), at: fc.nat(), name: nameArb }),
  fc.record({ op: fc.constant("namespace" as const), at: fc.nat(), ns: fc.constantFrom(...NAMESPACES) }),
  fc.record({ op: fc.constant("insert" as const), at: fc.nat(), node: nodeArb }),
  fc.record({ op: fc.constant("deep" as const), at: fc.nat(), depth: fc.oneof({ weight: 3, arbitrary: fc.integer({ min: 20, max: 60 }) }, fc.integer({ min: 2000, max: 8000 })) }),
  fc.record({ op: fc.constant("text" as const), at: fc.nat(), text: fc.oneof(textArb(1, 12), fc.constantFrom("1 2 3", "9999999999 1", "-5 -5", "AAAA", "%%%")) }),
  fc.record({ op: fc.constant("duplicate" as const), at: fc.nat() }),
  fc.record({ op: fc.constant("remove" as const), at: fc.nat() }),
);

/** Applies a mutation in place (`at` picks an element, pre-order, modulo their count). */
export function mutate(root: XNode, m: Mutation): void {
  const all = flatten(root);
  const n = all[m.at % all.length]!;
  switch (m.op) {
    case "set-attr":
      n.attrs[m.name] = m.value;
      return;
    case "del-attr": {
      const keys = Object.keys(n.attrs);
      if (keys.length > 0) delete n.attrs[keys[m.which % keys.length]!];
      return;
    }
    case "rename":
      n.name = m.name;
      return;
    case "namespace":
      n.attrs.xmlns = m.ns;
      return;
    case "insert":
      n.children.push(structuredClone(m.node));
      return;
    case "deep":
      n.children.push(chain(m.depth));
      return;
    case "text":
      n.children.push(m.text);
      return;
    case "duplicate": {
      const parent = parentOf(root, n);
      if (parent) parent.children.push(structuredClone(n));
      return;
    }
    case "remove": {
      const parent = parentOf(root, n);
      if (parent) parent.children.splice(parent.children.indexOf(n), 1);
      return;
    }
  }
}

// ---- what a stanza is made from at sending time -----------------------------------------

/** Everything a template needs when it becomes a stanza. */
export interface FuzzContext {
  /** Session clock now (ms). */
  now: number;
  meeting: string;
  component: string;
  /** The meeting's MUC room (groupchat goes there). */
  room: string;
  /** A meeting code nobody has. */
  unknownMeeting: string;
  audio: AudioSource;
  /** Ids of bundles sent before (to resend). */
  pastIds: string[];
  /** Sequence number a forged relayed bundle would claim. */
  nextSeq: number;
}

export interface Stanza {
  kind: "iq" | "message" | "presence";
  /** For IQs: get and set are answered; result and error are not. */
  type: string;
  to: string;
  /** The stanza's child elements, as XML. */
  payload: string;
}

export type Template = (ctx: FuzzContext) => Stanza;

/** The presenter's recording, handed out page by page, and ways to spoil it. */
export class AudioSource {
  #i = 0;
  #serial = 0x5eed;
  #rec = syntheticRecording({ serial: this.#serial, pages: 1000, framesPerPage: 5, packetBytes: 60 });

  /** The next page of the recording (its headers ride with the first). */
  next(): Uint8Array {
    const i = this.#i++;
    return i === 0 ? concat(this.#rec.slice(0, 3)) : this.#rec[(i % 990) + 2]!;
  }

  /** A new recording (the mic switched off and on): new serial, headers and first page. */
  fresh(): Uint8Array {
    this.#serial++;
    this.#rec = syntheticRecording({ serial: this.#serial, pages: 1000, framesPerPage: 5, packetBytes: 60 });
    this.#i = 1;
    return concat(this.#rec.slice(0, 3));
  }

  /** A page sent before. */
  old(): Uint8Array {
    return this.#rec[2 + Math.max(0, this.#i - 5)]!;
  }
}

export type AudioKind = "none" | "next" | "fresh" | "old" | "garbage" | "truncated" | "crc" | "bad-base64" | "empty" | "huge";

function audioNode(kind: AudioKind, src: AudioSource, t: number, garbage: Uint8Array): XNode | null {
  const node = (text: string): XNode => ({ name: "audio", attrs: { t: String(t) }, children: text ? [text] : [] });
  switch (kind) {
    case "none":
      return null;
    case "next":
      return node(encodeBase64(src.next()));
    case "fresh":
      return node(encodeBase64(src.fresh()));
    case "old":
      return node(encodeBase64(src.old()));
    case "garbage":
      return node(encodeBase64(garbage));
    case "truncated": {
      const p = src.next();
      return node(encodeBase64(p.subarray(0, Math.max(1, p.length >> 1))));
    }
    case "crc": {
      const p = src.next().slice();
      p[p.length - 1] = p[p.length - 1]! ^ 0x55;
      return node(encodeBase64(p));
    }
    case "bad-base64":
      return node("!!not*base64@@");
    case "empty":
      return node("");
    case "huge":
      return node(encodeBase64(new Uint8Array(70_000).fill(7)));
  }
}

const SERVER_TYPES = new Set(["session-start", "session-stop", "presenter", "recording"]);
/** Ids the component gives its own bundles (a presenter must not be able to pre-empt them). */
const SERVER_IDS = ["srv-start", "srv-stop", "srv-presenter-3", "srv-audio-12", "srv-audio-40", "srv-recording-x"];

/** Events a presenter may send (server-only ones now and then, to be refused). */
const presenterEventArb = fc.oneof({ weight: 9, arbitrary: scenarioEventArb().filter((e) => !SERVER_TYPES.has(e.type)) }, scenarioEventArb());

/**
 * A bundle IQ: valid events at times just before now, some audio, then 0–3 mutations
 * (half the bundles stay valid), to the meeting, now and then elsewhere.
 */
export const bundleTemplateArb: fc.Arbitrary<Template> = fc
  .record({
    id: fc.oneof({ weight: 8, arbitrary: tokenArb(64) }, fc.constantFrom(...SERVER_IDS), fc.nat().map((n) => -1 - n)),
    back: fc.nat({ max: 3000 }),
    events: fc.array(presenterEventArb, { maxLength: 5 }),
    audio: fc.constantFrom<AudioKind>("none", "none", "none", "next", "next", "next", "next", "fresh", "old", "garbage", "truncated", "crc", "bad-base64", "empty", "huge"),
    garbage: fc.uint8Array({ minLength: 1, maxLength: 200 }),
    mutations: fc.oneof({ weight: 2, arbitrary: fc.constant([] as Mutation[]) }, fc.array(mutationArb, { minLength: 1, maxLength: 3 })),
    target: fc.constantFrom("meeting", "meeting", "meeting", "meeting", "meeting", "meeting", "meeting", "meeting", "component", "unknown"),
  })
  .map(({ id, back, events, audio, garbage, mutations, target }) => (ctx: FuzzContext): Stanza => {
    const t = Math.max(0, ctx.now - back);
    const bundleId = typeof id === "number" ? (ctx.pastIds.at(id % Math.max(1, ctx.pastIds.length)) ?? "first") : id;
    const timed = events.map((e, i): DeckEvent => ({ ...e, t: t + i }));
    const root = toXNode(encodeBundle({ id: bundleId, t, events: timed }));
    const a = audioNode(audio, ctx.audio, t, garbage);
    if (a) root.children.push(a);
    for (const m of mutations) mutate(root, m);
    const to = target === "meeting" ? ctx.meeting : target === "component" ? ctx.component : ctx.unknownMeeting;
    return { kind: "iq", type: "set", to, payload: serialize(root) };
  });

const IQ_NAMES = ["state", "range", "presenter", "end", "create", "bundle", "ack", "meeting", "request", "query", "ping", "x"];
const IQ_NAMESPACES = [NS.deckcast, NS.deckcast, NS.deckcast, "http://jabber.org/protocol/disco#info", "http://jabber.org/protocol/disco#items", NS.upload, "urn:xmpp:ping", "jabber:iq:version", "urn:example:other", "urn:deckcast:1", ""];
/** The requests the component answers (type, payload, namespace), so most IQs reach a handler. */
const KNOWN_IQS = [
  ["get", "state", NS.deckcast],
  ["get", "range", NS.deckcast],
  ["get", "range", NS.deckcast],
  ["set", "presenter", NS.deckcast],
  ["set", "end", NS.deckcast],
  ["set", "create", NS.deckcast],
  ["set", "bundle", NS.deckcast],
  ["get", "query", "http://jabber.org/protocol/disco#info"],
  ["get", "request", NS.upload],
] as const;
const IQ_ATTRS = ["from", "to", "nick", "seq", "t", "id", "filename", "size", "content-type", "node", "x"];

/**
 * Any IQ: a payload name and namespace from what deckcast and XMPP servers know (and do
 * not), random attributes and children, sometimes two payloads, sometimes type result/error.
 * `ending`: whether <end/> may be sent (a guest's is refused; the presenter's would end the run).
 */
export function iqTemplateArb({ ending }: { ending: boolean }): fc.Arbitrary<Template> {
  const known = fc.constantFrom(...KNOWN_IQS).map(([type, name, ns]) => ({ type, name, ns }));
  const any = fc.record({ type: fc.constantFrom("get", "get", "set", "set", "set", "result", "error"), name: fc.constantFrom(...IQ_NAMES), ns: fc.constantFrom(...IQ_NAMESPACES) });
  return fc
    .record({
      head: fc.oneof({ weight: 3, arbitrary: known }, any),
      attrs: fc.dictionary(fc.constantFrom(...IQ_ATTRS), fc.oneof(weirdValueArb, fc.constantFrom("alice", "nobody", "deckcast", "watcher", "1", "5", "200")), { maxKeys: 3 }),
      children: fc.array(nodeArb, { maxLength: 2 }),
      second: fc.oneof({ weight: 9, arbitrary: fc.constant(null) }, nodeArb),
      target: fc.constantFrom("meeting", "meeting", "meeting", "component", "unknown"),
    })
    .map(({ head: { type, name, ns }, attrs, children, second, target }) => (ctx: FuzzContext): Stanza => {
      const payloadName = !ending && name === "end" ? "and" : name;
      const root: XNode = { name: payloadName, attrs: { ...attrs, ...(ns ? { xmlns: ns } : {}) }, children };
      const to = target === "meeting" ? ctx.meeting : target === "component" ? ctx.component : ctx.unknownMeeting;
      return { kind: "iq", type, to, payload: serialize(root) + (second ? serialize(second) : "") };
    });
}

/**
 * Messages to the component, the meeting and the room: every type, random children, forged
 * stamped bundles (followers must ignore them: only the component's occupant is trusted),
 * bounced errors nested up to 8,000 deep.
 */
export const messageTemplateArb: fc.Arbitrary<Template> = fc
  .record({
    type: fc.constantFrom("chat", "normal", "headline", "error", "groupchat", ""),
    target: fc.constantFrom("component", "meeting", "unknown", "room", "room"),
    children: fc.array(nodeArb, { maxLength: 2 }),
    forged: fc.boolean(),
    errorDepth: fc.oneof({ weight: 6, arbitrary: fc.constant(null) }, { weight: 2, arbitrary: fc.integer({ min: 1, max: 60 }) }, fc.integer({ min: 2000, max: 8000 })),
    body: fc.oneof(fc.constant(null), textArb(1, 40)),
  })
  .map(({ type, target, children, forged, errorDepth, body }) => (ctx: FuzzContext): Stanza => {
    const parts = children.map(serialize);
    if (body !== null) parts.push(`<body>${escapeXml(body)}</body>`);
    if (forged) {
      const fake = encodeBundle({ id: "forged", t: ctx.now, seq: ctx.nextSeq, ts: Date.now(), from: "alice", events: [{ type: "page", t: ctx.now, page: 4 }] });
      parts.push(serialize(toXNode(fake)));
    }
    if (errorDepth !== null) parts.push(`<error type="cancel">${chain(errorDepth).raw}</error>`);
    if (target === "room") return { kind: "message", type: "groupchat", to: ctx.room, payload: parts.join("") };
    const to = target === "meeting" ? ctx.meeting : target === "component" ? ctx.component : ctx.unknownMeeting;
    return { kind: "message", type, to, payload: parts.join("") };
  });

/** Presences at the component and the meeting (subscriptions, probes, odd children). */
export const presenceTemplateArb: fc.Arbitrary<Template> = fc
  .record({
    type: fc.constantFrom("", "unavailable", "subscribe", "probe", "error"),
    target: fc.constantFrom("component", "meeting", "occupant"),
    children: fc.array(nodeArb, { maxLength: 2 }),
  })
  .map(({ type, target, children }) => (ctx: FuzzContext): Stanza => {
    const code = ctx.meeting.slice(0, ctx.meeting.indexOf("@"));
    const to = target === "meeting" ? ctx.meeting : target === "component" ? ctx.component : `${ctx.component}/${code}`;
    return { kind: "presence", type, to, payload: children.map(serialize).join("") };
  });

/** The raw XML of a stanza with this id. */
export function stanzaXml(s: Stanza, id: string): string {
  const type = s.type ? ` type="${s.type}"` : "";
  return `<${s.kind}${type} to="${escapeXml(s.to)}" id="${id}">${s.payload}</${s.kind}>`;
}
