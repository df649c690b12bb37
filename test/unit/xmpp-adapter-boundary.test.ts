/**
 * The XMPP server sits behind its adapter (server/xmpp-server.ts): outside `prosody/`, code
 * reaches Prosody only through `prosody/xmpp-server.ts` (the adapter) — never its launcher,
 * file layout, accounts or config — except the tests whose subject is Prosody itself.
 * test/support/prosody.ts (a bare Prosody) is for those tests too. Type-only imports (the
 * launcher's handle, which test clients connect through) call nothing.
 */
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const root = fileURLToPath(new URL("../..", import.meta.url));

/** Files whose subject is Prosody itself: they may use its parts directly. */
const PROSODY_SUBJECT = [/^test\/integration\/prosody[^/]*\.test\.ts$/, /^test\/support\/prosody\.ts$/, /^test\/unit\/bundle-size\.test\.ts$/];

function sources(dir: string): string[] {
  return readdirSync(path.join(root, dir), { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && /\.(ts|mts|mjs)$/.test(e.name))
    .map((e) => path.relative(root, path.join(e.parentPath, e.name)).split(path.sep).join("/"));
}

/** The value imports of a file that name a module under prosody/ other than the adapter, or the bare-Prosody test helper. */
function prosodyReaches(file: string): string[] {
  const text = readFileSync(path.join(root, file), "utf8");
  const found: string[] = [];
  for (const m of text.matchAll(/^\s*(import|export)\s+(type\s+)?[^;]*?from\s+["']([^"']+)["']/gms)) {
    const [, , typeOnly, spec] = m;
    if (typeOnly || !spec!.startsWith(".")) continue;
    const target = path.relative(root, path.resolve(path.dirname(path.join(root, file)), spec!)).split(path.sep).join("/");
    const bare = target.startsWith("prosody/") && target !== "prosody/xmpp-server.ts";
    if (bare || target === "test/support/prosody.ts") found.push(target);
  }
  return found;
}

describe("the XMPP server adapter boundary", () => {
  it("nothing outside prosody/ imports Prosody's launcher, paths, accounts or config (Prosody's own tests aside)", () => {
    const files = ["server", "bench", "test", "web-client/src", "client-core", "protocol", "scripts"].flatMap((d) => {
      try {
        return sources(d);
      } catch {
        return [];
      }
    });
    expect(files.length).toBeGreaterThan(50);
    const reaches = files.filter((f) => !PROSODY_SUBJECT.some((re) => re.test(f))).map((f) => ({ file: f, imports: prosodyReaches(f) }));
    expect(reaches.filter((r) => r.imports.length > 0)).toEqual([]);
  });
});
