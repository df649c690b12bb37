// The component's stanza parser cuts stanzas nested deeper than the limit without building them,
// and the stream goes on with the next stanza.
import { createRequire } from "node:module";
import { describe, expect, it } from "vitest";
import type { Element } from "@xmpp/xml";
import { LIMITS } from "../../protocol/namespaces.ts";
import { xmlSizeOver } from "../../protocol/xml-read.ts";
import { depthLimitedParser, isTooDeep } from "../../server/component/depth-limit.ts";

// The parser class the component's connection really uses (@xmpp/connection-tcp's copy).
const require = createRequire(import.meta.url);
const tcpRequire = createRequire(require.resolve("@xmpp/connection-tcp"));
const { Parser } = tcpRequire("@xmpp/xml") as { Parser: new () => never };

function feed(xml: string): Element[] {
  const Limited = depthLimitedParser(Parser) as unknown as new () => { on(e: string, f: (el: Element) => void): void; write(s: string): void };
  const p = new Limited();
  const out: Element[] = [];
  p.on("element", (el) => out.push(el));
  p.on("error", (e) => {
    throw e;
  });
  p.write(`<stream:stream xmlns="jabber:component:accept" xmlns:stream="http://etherx.jabber.org/streams">`);
  p.write(xml);
  return out;
}

const nested = (levels: number) => `${"<x>".repeat(levels)}text${"</x>".repeat(levels)}`;

describe("the depth-limited stanza parser", () => {
  it("keeps a stanza at exactly the limit whole", () => {
    // The <message> is level 1, so it can hold maxStanzaDepth − 1 levels.
    const [msg] = feed(`<message from="a@b">${nested(LIMITS.maxStanzaDepth - 1)}</message>`);
    expect(isTooDeep(msg!)).toBe(false);
    let depth = 1;
    for (let el = msg!.getChild("x"); el; el = el.getChild("x")) depth++;
    expect(depth).toBe(LIMITS.maxStanzaDepth);
  });

  it("cuts a stanza one level deeper, and 8,000 levels, without building the cut part, then goes on", () => {
    for (const levels of [LIMITS.maxStanzaDepth, 8000]) {
      const [deep, next] = feed(`<message type="error" from="guest@g"><error>${nested(levels)}</error></message><iq type="get" id="n"><ping xmlns="urn:xmpp:ping"/></iq>`);
      expect(isTooDeep(deep!)).toBe(true);
      let depth = 1;
      for (let el: Element | undefined = deep!; el?.getChildElements()[0]; el = el.getChildElements()[0]) depth++;
      expect(depth).toBeLessThanOrEqual(LIMITS.maxStanzaDepth);
      expect(deep!.toString().length).toBeLessThan(1000); // safe to touch now: nothing deep was kept
      expect(next?.attrs.id).toBe("n");
      expect(isTooDeep(next!)).toBe(false);
    }
  });
});

describe("xmlSizeOver", () => {
  it("measures names, attributes and text without serialising, and stops early", () => {
    const [iq] = feed(`<iq type="set" id="1"><bundle xmlns="urn:deckcast:0" id="b">${"y".repeat(5000)}</bundle></iq>`);
    expect(xmlSizeOver(iq!, 4000)).toBe(true);
    expect(xmlSizeOver(iq!, 6000)).toBe(false);
  });
});
