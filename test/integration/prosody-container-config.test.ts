/**
 * The prosody image's configuration (prosody/container-config.ts) stays in line with the
 * launcher's (prosody/config.ts): rendered from the same function, every container rewrite
 * found its line (it throws otherwise), the placeholders the entrypoint fills are there, and
 * once filled as docker/prosody-entrypoint.sh fills them the file is Lua that Prosody's own
 * Lua reads (luac -p). Caught here by `npm test`, not only when the image is built.
 */
import { execFile } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { CONTAINER_PLACEHOLDERS, CONTAINER_PORTS, renderContainerConfigTemplate } from "../../prosody/container-config.ts";

const run = promisify(execFile);

describe("the prosody image's configuration", () => {
  it("is the launcher's, rewritten for a container, with the entrypoint's placeholders", async () => {
    const t = renderContainerConfigTemplate();
    for (const p of Object.values(CONTAINER_PLACEHOLDERS)) expect(t, p).toContain(p);
    for (const port of Object.values(CONTAINER_PORTS)) expect(t).toContain(String(port));
    expect(t).toContain(`"deckcast_guard"`); // deckcast's own module, as npm start's Prosody has it
    const filled = t
      .replaceAll("deckcast-host.invalid", "example.org")
      .replace(CONTAINER_PLACEHOLDERS.secret, "s3cret")
      .replace(CONTAINER_PLACEHOLDERS.certs, "/var/lib/prosody/certs")
      .replace(CONTAINER_PLACEHOLDERS.trustedProxies, '"127.0.0.1"; ')
      .replaceAll(CONTAINER_PLACEHOLDERS.interfaces, '"*"; ');
    expect(filled).not.toMatch(/@[A-Z_]+@/);
    const dir = await mkdtemp(path.join(os.tmpdir(), "deckcast-container-config-"));
    try {
      const file = path.join(dir, "prosody.cfg.lua");
      await writeFile(file, filled);
      await run("luac", ["-p", file]); // throws with Lua's message on a syntax error
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
