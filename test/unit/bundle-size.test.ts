// The one bundle size limit: a bundle as large as a presenter ever builds is within what the
// component accepts, and its IQ within the XMPP server's client stanza limit.
import { describe, expect, it } from "vitest";
import xml from "@xmpp/xml";
import { encodeBundle } from "../../protocol/codec.ts";
import { BUNDLE_SIZE, LIMITS } from "../../protocol/namespaces.ts";
import type { Bundle, DeckEvent } from "../../protocol/types.ts";
import { xmlSizeOver } from "../../protocol/xml-read.ts";
import { PROSODY_LIMITS } from "../../prosody/config.ts";

describe("BUNDLE_SIZE", () => {
  it("is derived from LIMITS.maxBundleChars, and the XMPP server's config uses it", () => {
    expect(BUNDLE_SIZE.component).toBe(LIMITS.maxBundleChars);
    expect(BUNDLE_SIZE.presenter).toBeLessThan(BUNDLE_SIZE.component);
    expect(PROSODY_LIMITS.c2sStanzaSize).toBe(BUNDLE_SIZE.clientStanzaBytes);
  });

  it("lets the largest bundle a presenter builds through the component and the server", () => {
    // Long strokes up to the presenter's limit, stamped with a 64-code-point nick of 4-byte characters.
    const points = Array.from({ length: 400 }, (_, i) => [i * 7, 10000 - i * 3]).flat();
    const stroke = (i: number): DeckEvent => ({ type: "ink-progress", t: 1000 + i, page: 1, stroke: `s${i}`, tool: "pen", color: "#e53935", width: 40, points });
    const events: DeckEvent[] = [];
    const bundle = (): Bundle => ({ id: "x".repeat(LIMITS.maxBundleId), t: 1000, events });
    while (encodeBundle(bundle()).toString().length <= BUNDLE_SIZE.presenter) events.push(stroke(events.length));
    events.pop(); // the presenter's sender stops below its limit
    const stamped = encodeBundle({ ...bundle(), seq: 2 ** 31, ts: Date.now(), from: "𠀀".repeat(LIMITS.maxNick) });
    expect(xmlSizeOver(stamped, BUNDLE_SIZE.component)).toBe(false);
    const iq = xml("iq", { type: "set", id: "x".repeat(64), to: `abcdef@deckcast.${"h".repeat(200)}`, from: `${"u".repeat(200)}@localhost/${"r".repeat(200)}` }, encodeBundle(bundle()));
    expect(Buffer.byteLength(iq.toString())).toBeLessThanOrEqual(BUNDLE_SIZE.clientStanzaBytes);
    expect(events.length).toBeGreaterThan(10);
  });
});
