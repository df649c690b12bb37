import { describe, expect, it } from "vitest";
import { parseXml, tryParseXml } from "../../protocol/parse.ts";

describe("parseXml", () => {
  it("parses one element with nested children and text", () => {
    const el = parseXml('<a xmlns="urn:x"><b k="&quot;v&quot;"/>x &amp; y<c><d/></c></a>');
    expect(el.toString()).toBe('<a xmlns="urn:x"><b k="&quot;v&quot;"/>x &amp; y<c><d/></c></a>');
    expect(el.getChild("c")?.getChild("d")?.getNS()).toBe("urn:x");
  });

  it("reports text that is not exactly one well-formed element", () => {
    for (const bad of ["", "<a>", "<a></b>", "<a/><b/>", "hi<a/>", "<a>&foo;</a>", "<a>&#0;</a>"]) {
      const r = tryParseXml(bad);
      expect(r.ok, bad).toBe(false);
      expect(!r.ok && r.error.code).toBe("bad-request");
      expect(() => parseXml(bad)).toThrow(/not well-formed XML/);
    }
  });
});
