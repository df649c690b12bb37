// docs/protocol.md is normative: keep it listing every event, limit and error code, and keep
// its examples and the numbers in its prose equal to what the code does.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { decodeBundle, decodeState } from "../../protocol/codec.ts";
import { DECK_ERROR_CODES } from "../../protocol/deck-errors.ts";
import { decodeDeckStatus } from "../../protocol/deck-status.ts";
import { ERRORS } from "../../protocol/errors.ts";
import { KEEPALIVE, pingRequest } from "../../protocol/keepalive.ts";
import { LIMITS } from "../../protocol/namespaces.ts";
import { parseXml } from "../../protocol/parse.ts";
import { decodeError, encodeRefusal } from "../../protocol/stanza-error.ts";
import { EVENT_TYPES } from "../../protocol/validate.ts";
import { RANGE_BAD_TEXT, RANGE_MAX_BUNDLES, RANGE_MAX_CHARS, rangeBeyondText } from "../../server/component/features/catch-up.ts";
import { MAX_BUNDLE_CHARS } from "../../server/component/features/relay.ts";

const doc = readFileSync(new URL("../../docs/protocol.md", import.meta.url), "utf8");
const flat = doc.replace(/\s+/g, " "); // prose wraps lines anywhere
const n = (x: number) => x.toLocaleString("en-US");

/** Every element in the document's ```xml examples (those without an ellipsis), by name. */
function examples(name: string): string[] {
  const out: string[] = [];
  for (const block of doc.matchAll(/```xml\n([\s\S]*?)```/g)) {
    for (const m of block[1]!.matchAll(new RegExp(`<${name}[ >][\\s\\S]*?</${name}>|<${name} [^>]*/>`, "g"))) {
      if (!m[0].includes("…")) out.push(m[0]);
    }
  }
  return out;
}

describe("docs/protocol.md", () => {
  it("documents every event type", () => {
    for (const type of EVENT_TYPES) expect(doc).toContain(`### \`<${type}>\``);
  });

  it("documents every limit with its value", () => {
    for (const [name, value] of Object.entries(LIMITS)) expect(doc).toMatch(new RegExp(`\\| \`${name}\` \\| ${value}\\b`));
  });

  it("documents every error code with its type and condition", () => {
    for (const [code, spec] of Object.entries(ERRORS)) expect(doc).toContain(`| \`${code}\` | ${spec.type} | ${spec.condition} | ${spec.text} |`);
  });

  it("has bundle and state examples that the protocol's own readers accept", () => {
    const bundles = examples("bundle");
    expect(bundles.length).toBeGreaterThanOrEqual(2);
    for (const xml of bundles) {
      const el = parseXml(xml.includes("xmlns=") ? xml : xml.replace("<bundle", '<bundle xmlns="urn:deckcast:0"'));
      const r = decodeBundle(el);
      expect(r.ok, `${xml}\n→ ${r.ok ? "" : `${r.error.path}: ${r.error.message}`}`).toBe(true);
    }
    const states = examples("state").filter((x) => x.includes(" seq=")); // not the empty <state/> request
    expect(states.length).toBeGreaterThanOrEqual(1);
    for (const xml of states) {
      const r = decodeState(parseXml(xml));
      expect(r.ok, `${xml}\n→ ${r.ok ? "" : r.error.message}`).toBe(true);
    }
  });

  it("has deck-status examples that the protocol's reader accepts, and names every deck error code", () => {
    const statuses = examples("deck-status");
    expect(statuses.length).toBeGreaterThanOrEqual(1);
    for (const xml of statuses) {
      const r = decodeDeckStatus(parseXml(xml));
      expect(r.ok, `${xml}\n→ ${r.ok ? "" : `${r.error.path}: ${r.error.message}`}`).toBe(true);
    }
    for (const code of DECK_ERROR_CODES) expect(doc).toContain(`\`${code}\``);
  });

  it("shows a bad-bundle error exactly as the component words it: the path, then the message", () => {
    const shown = /<text [^>]*>([^<]+)<\/text>\s*<bad-bundle/.exec(doc)?.[1];
    expect(shown).toBeDefined();
    const bad = decodeBundle(parseXml('<bundle xmlns="urn:deckcast:0" id="x" t="1"><page t="1" page="2"/><page t="1" page="0"/></bundle>'));
    expect(bad.ok).toBe(false);
    if (!bad.ok) expect(decodeError(encodeRefusal(bad.error)).text).toBe(shown);
  });

  it("states the component's size bounds as the code has them, in characters", () => {
    expect(flat).toContain(`${n(MAX_BUNDLE_CHARS)} characters`);
    expect(flat).toContain(`${n(RANGE_MAX_CHARS)} characters`);
    expect(flat).toContain(`at most ${RANGE_MAX_BUNDLES} bundles`);
    expect(flat).toContain(`${LIMITS.maxClockAheadMs / 60_000} minutes`);
    expect(flat).toContain(RANGE_BAD_TEXT);
    expect(flat).toContain(rangeBeyondText(0).replace("0.", "N."));
  });

  it("states the keepalive's numbers and its ping as the code sends it", () => {
    expect(flat).toContain(`after ${KEEPALIVE.idleMs} ms (\`KEEPALIVE.idleMs\`)`);
    expect(flat).toContain(`within ${KEEPALIVE.answerMs} ms (\`KEEPALIVE.answerMs\`)`);
    expect(KEEPALIVE.answerMs).toBeLessThan(KEEPALIVE.idleMs);
    expect(flat).toContain(pingRequest("localhost").attr("id", "…").toString());
  });
});
