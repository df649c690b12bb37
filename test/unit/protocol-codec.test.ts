import fc from "fast-check";
import xml, { type Element } from "@xmpp/xml";
import { describe, expect, it } from "vitest";
import { decodeBundle, encodeBundle } from "../../protocol/codec.ts";
import { LIMITS, NS } from "../../protocol/namespaces.ts";
import { parseXml } from "../../protocol/parse.ts";
import type { Bundle, DeckEvent, Result } from "../../protocol/types.ts";
import { bundleArb } from "../support/arbitraries.ts";

const DECK = "a".repeat(64);
const wire = (inner: string, attrs = 'id="b-1" t="0"') => parseXml(`<bundle xmlns="${NS.deckcast}" ${attrs}>${inner}</bundle>`);
const decode = (inner: string, attrs?: string) => decodeBundle(wire(inner, attrs));

function expectError(r: Result<unknown>, path: string, message: RegExp): void {
  expect(r.ok).toBe(false);
  if (r.ok) return;
  expect(r.error.code).toBe("bad-bundle");
  expect(r.error.path).toBe(path);
  expect(r.error.message).toMatch(message);
}

const EVERY_EVENT: DeckEvent[] = [
  { type: "session-start", t: 0, title: "Q3 <review> & “plans”", presenter: "alice" },
  { type: "deck-open", t: 10, deck: { id: DECK, pages: 12, title: "Q3 review" } },
  { type: "page", t: 61234, page: 5 },
  { type: "ink-progress", t: 61300, page: 5, stroke: "s1", tool: "pen", color: "#e53935", width: 40, points: [120, 330, 125, 340] },
  { type: "ink-stroke", t: 61400, page: 5, stroke: "s1", tool: "highlighter", color: "#ffeb3b", width: 200, points: [120, 330, 125, 340, 130, 350] },
  { type: "ink-erase", t: 61500, page: 5, strokes: ["s1", "s7"] },
  { type: "ink-undo", t: 61600, page: 5 },
  { type: "ink-clear", t: 61700, page: 5 },
  { type: "pointer", t: 61800, page: 5, x: 5000, y: 2500 },
  { type: "pointer", t: 61900, page: 5 },
  { type: "presenter", t: 62000, nick: "bob" },
  { type: "recording", t: 62100, state: "recording", bytes: 12345, duration: 61000 },
  { type: "recording", t: 62200, state: "failed", bytes: 12345, duration: 61000, reason: "disk full" },
  { type: "session-stop", t: 90000 },
];

describe("bundle codec: round trips", () => {
  it.each(EVERY_EVENT.map((e) => [e.type, e] as const))("%s survives encode → string → parse → decode", (_type, e) => {
    const b: Bundle = { id: "b-17", t: 61234, events: [e] };
    expect(decodeBundle(encodeBundle(b))).toEqual({ ok: true, value: b });
    expect(decodeBundle(parseXml(encodeBundle(b).toString()))).toEqual({ ok: true, value: b });
  });

  it("carries every event in order, audio, and the stamp", () => {
    const b: Bundle = {
      id: "b-17", t: 61234, seq: 42, ts: 1763770000123, from: "alice",
      events: EVERY_EVENT,
      audio: { t: 61200, data: new Uint8Array([0x4f, 0x67, 0x67, 0x53, 0, 255]) },
    };
    const again = decodeBundle(parseXml(encodeBundle(b).toString()));
    expect(again).toEqual({ ok: true, value: b });
  });

  it("writes the documented wire shape", () => {
    const b: Bundle = {
      id: "b-17", t: 61234, seq: 42, ts: 1763770000123, from: "alice",
      events: [{ type: "page", t: 61234, page: 5 }, { type: "ink-erase", t: 61240, page: 5, strokes: ["s1", "s7"] }],
      audio: { t: 61200, data: new Uint8Array([1, 2, 3]) },
    };
    expect(encodeBundle(b).toString()).toBe(
      '<bundle xmlns="urn:deckcast:0" id="b-17" t="61234" seq="42" ts="1763770000123" from="alice">' +
        '<page t="61234" page="5"/><ink-erase t="61240" page="5" strokes="s1 s7"/><audio t="61200">AQID</audio></bundle>',
    );
  });

  it("normalises colours to lowercase and ignores unknown attributes and foreign children", () => {
    const r = decode(
      '<ink-stroke t="1" page="1" stroke="s" tool="pen" color="#E53935" width="3" pressure="0.5">1,2</ink-stroke>' +
        '<x xmlns="urn:example:ext"><whatever/></x><page xmlns="urn:example:ext" page="-1"/>',
      'id="b" t="0" future="yes"',
    );
    expect(r).toEqual({ ok: true, value: { id: "b", t: 0, events: [
      { type: "ink-stroke", t: 1, page: 1, stroke: "s", tool: "pen", color: "#e53935", width: 3, points: [1, 2] },
    ] } });
  });

  it("understands prefixed namespaces and wrapped base64", () => {
    const el = parseXml(`<d:bundle xmlns:d="${NS.deckcast}" id="b" t="0"><d:page t="1" page="2"/><d:audio t="0">AQ\n ID</d:audio></d:bundle>`);
    expect(decodeBundle(el)).toEqual({ ok: true, value: { id: "b", t: 0, events: [{ type: "page", t: 1, page: 2 }], audio: { t: 0, data: new Uint8Array([1, 2, 3]) } } });
  });

  it("reads a bundle inside a message (namespace resolved on the element itself)", () => {
    const msg = parseXml(`<message xmlns="jabber:client"><body>Page 2</body><bundle xmlns="${NS.deckcast}" id="b" t="0"><page t="1" page="2"/></bundle></message>`);
    const r = decodeBundle(msg.getChild("bundle", NS.deckcast) as Element);
    expect(r.ok && r.value.events).toEqual([{ type: "page", t: 1, page: 2 }]);
  });
});

describe("bundle codec: precise errors", () => {
  it("refuses the wrong namespace and the wrong element", () => {
    expectError(decodeBundle(parseXml('<bundle xmlns="urn:deckcast:1" id="b" t="0"/>')), "bundle", /urn:deckcast:0.*"urn:deckcast:1"/);
    expectError(decodeBundle(parseXml(`<state xmlns="${NS.deckcast}"/>`)), "bundle", /got <state>/);
  });

  it("refuses unknown elements in the deckcast namespace", () => {
    expectError(decode('<page t="1" page="1"/><zoom t="1"/>'), "bundle/zoom[1]", /unknown element <zoom>/);
  });

  it("names missing, negative, non-integer and out-of-range attributes", () => {
    expectError(decode('<page t="1" page="1"/><page t="2"/>'), "bundle/page[2]@page", /page is missing/);
    expectError(decode('<page t="-5" page="1"/>'), "bundle/page[1]@t", /t must not be negative, got -5/);
    expectError(decode('<page t="1.5" page="1"/>'), "bundle/page[1]@t", /t must be an integer, got 1.5/);
    expectError(decode('<page t="1e3" page="1"/>'), "bundle/page[1]@t", /t must be an integer, got "1e3"/);
    expectError(decode('<page t="1" page="0"/>'), "bundle/page[1]@page", /page must be ≥ 1, got 0/);
    expectError(decode('<page t="1" page="501"/>'), "bundle/page[1]@page", /page must be ≤ 500/);
    expectError(decode("", 'id="b"'), "bundle@t", /t is missing/);
    expectError(decode("", 'id="b c" t="0"'), "bundle@id", /A-Z a-z 0-9 _ -/);
    expectError(decode('<ink-stroke t="1" page="1" stroke="s" tool="pen" color="#000000" width="0">1,2</ink-stroke>'), "bundle/ink-stroke[1]@width", /width must be ≥ 1/);
    expectError(decode('<deck-open t="1" deck="abc" pages="2">x</deck-open>'), "bundle/deck-open[1]@deck", /64 lowercase hex/);
    expectError(decode('<recording t="1" state="exploded" bytes="0" duration="0"/>'), "bundle/recording[1]@state", /one of recording, paused, stopped, failed/);
    expectError(decode('<pointer t="1" page="1" x="5"/>'), "bundle/pointer[1]@y", /both x and y/);
    expectError(decode("", 'id="b" t="0" seq="3"'), "bundle@ts", /seq, ts and from go together/);
    expectError(decode("", 'id="b" t="0" seq="0" ts="1" from="a"'), "bundle@seq", /seq must be ≥ 1/);
  });

  it("refuses bad colours", () => {
    for (const color of ["red", "#fff", "#12345g", "e53935", "#e539351"]) {
      expectError(decode(`<ink-stroke t="1" page="1" stroke="s" tool="pen" color="${color}" width="3">1,2</ink-stroke>`), "bundle/ink-stroke[1]@color", /color must be #rrggbb/);
    }
  });

  it("refuses odd coordinates, out-of-range coordinates and empty strokes", () => {
    const stroke = (pts: string) => decode(`<ink-progress t="1" page="1" stroke="s" tool="pen" color="#000000" width="3">${pts}</ink-progress>`);
    expectError(stroke("1,2 3"), "bundle/ink-progress[1]/text()", /point 2 \("3"\).*odd number of coordinates/);
    expectError(stroke("1,2,3"), "bundle/ink-progress[1]/text()", /point 1 .* 3 coordinates/);
    expectError(stroke("1,2 3,10001"), "bundle/ink-progress[1]/text()", /coordinate 4 must be an integer in 0..10000, got 10001/);
    expectError(stroke("1,-2"), "bundle/ink-progress[1]/text()", /coordinate 2 .* got -2/);
    expectError(stroke("1,x"), "bundle/ink-progress[1]/text()", /coordinate 2 .* got "x"/);
    expectError(stroke(""), "bundle/ink-progress[1]/text()", /at least one point/);
    expectError(stroke(Array.from({ length: 10001 }, () => "1,1").join(" ")), "bundle/ink-progress[1]/text()", /20002 coordinates; at most 20000/);
  });

  it("refuses too many events", () => {
    const ok = '<page t="1" page="1"/>'.repeat(LIMITS.maxEventsPerBundle);
    expect(decode(ok).ok).toBe(true);
    expectError(decode(`${ok}<page t="1" page="1"/>`), "bundle", /501 events; at most 500/);
  });

  it("refuses oversize audio, empty audio, a second audio and bad base64", () => {
    const b64 = (n: number) => btoa("\u0001".repeat(n));
    expect(decode(`<audio t="0">${b64(LIMITS.maxAudioBytes)}</audio>`).ok).toBe(true);
    expectError(decode(`<audio t="0">${b64(LIMITS.maxAudioBytes + 1)}</audio>`), "bundle/audio[1]/text()", /65537 bytes; at most 65536/);
    expectError(decode('<audio t="0"></audio>'), "bundle/audio[1]/text()", /must not be empty/);
    expectError(decode('<audio t="0">AQID</audio><audio t="1">AQID</audio>'), "bundle/audio[2]", /at most one <audio>/);
    for (const bad of ["AQI", "AQ!D", "A===", "AQID=", "AQ==AQ=="]) {
      expectError(decode(`<audio t="0">${bad}</audio>`), "bundle/audio[1]/text()", /not valid base64/);
    }
    expectError(decode('<audio t="-1">AQID</audio>'), "bundle/audio[1]@t", /t must not be negative/);
  });

  it("refuses text XML cannot carry and over-long text", () => {
    expectError(decode(`<session-start t="0" presenter="a">${"x".repeat(201)}</session-start>`), "bundle/session-start[1]/text()", /201 characters; at most 200/);
    expectError(decode('<presenter t="0" nick=""/>'), "bundle/presenter[1]@nick", /must not be empty/);
    const el = encodeBundle({ id: "b", t: 0, events: [{ type: "presenter", t: 0, nick: "bob" }] });
    (el.getChild("presenter") as Element).attrs.nick = "bo\u0007b";
    expectError(decodeBundle(el), "bundle/presenter[1]@nick", /U\+0007/);
  });
});

describe("bundle codec: never throws", () => {
  const names = fc.constantFrom("bundle", "page", "ink-stroke", "ink-progress", "ink-erase", "pointer", "audio", "deck-open", "recording", "session-start", "zoom", "d:page", "constructor", "__proto__");
  const attrNames = fc.constantFrom("xmlns", "xmlns:d", "id", "t", "page", "seq", "ts", "from", "stroke", "strokes", "tool", "color", "width", "x", "y", "deck", "pages", "state", "bytes", "duration", "nick", "presenter", "reason", "toString", "__proto__", "constructor");
  const values = fc.oneof(
    fc.constantFrom(NS.deckcast, "urn:other", "", "0", "1", "-1", "1.5", "1e3", "NaN", "99999999999999999999", "#e53935", "pen", "recording", "s1 s2", "a".repeat(64), "AQID", "==="),
    fc.string({ maxLength: 8 }),
  );
  const texts = fc.oneof(fc.constantFrom("1,2 3,4", "1,2 3", "AQID", "", " ", "x,y", "-1,5"), fc.string({ maxLength: 12 }));
  const tree: fc.Arbitrary<Element> = fc.letrec<{ el: Element }>((tie) => ({
    el: fc
      .record({
        name: names,
        attrs: fc.dictionary(attrNames, values, { maxKeys: 6 }),
        children: fc.array(fc.oneof({ depthSize: "small" }, texts, tie("el")), { maxLength: 4 }),
      })
      .map(({ name, attrs, children }) => xml(name, attrs, ...children)),
  })).el;

  it("returns a value or an error for arbitrary element trees", () => {
    fc.assert(
      fc.property(tree, fc.boolean(), (el, rooted) => {
        if (rooted) el.attrs.xmlns = NS.deckcast;
        const r = decodeBundle(el);
        expect(typeof r.ok).toBe("boolean");
        if (!r.ok) expect(r.error.code).toBe("bad-bundle");
      }),
      { numRuns: 300 },
    );
  });

  it("returns a value or an error for valid bundles with one attribute or text tampered with", () => {
    fc.assert(
      fc.property(bundleArb(), fc.nat(), attrNames, values, texts, fc.boolean(), (b, pick, name, value, text, onText) => {
        const el = encodeBundle(b);
        const targets = [el, ...el.getChildElements()];
        const target = targets[pick % targets.length] as Element;
        if (onText) target.children = [text];
        else target.attrs[name] = value;
        const r = decodeBundle(el);
        if (!r.ok) expect(r.error.code).toBe("bad-bundle");
      }),
      { numRuns: 300 },
    );
  });

  it("returns an error for things that are not elements", () => {
    for (const junk of [null, undefined, 5, "bundle", {}, { name: "bundle" }, { name: "bundle", attrs: null, children: [] }]) {
      const r = decodeBundle(junk as unknown as Element);
      expect(r.ok).toBe(false);
    }
  });
});
