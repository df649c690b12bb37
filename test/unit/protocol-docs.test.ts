// docs/protocol.md is normative: keep it listing every event, limit and error code.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { ERRORS } from "../../protocol/errors.ts";
import { LIMITS } from "../../protocol/namespaces.ts";
import { EVENT_TYPES } from "../../protocol/validate.ts";

const doc = readFileSync(new URL("../../docs/protocol.md", import.meta.url), "utf8");

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
});
