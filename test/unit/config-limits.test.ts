/**
 * Start-up refuses settings that contradict each other or the protocol's limits, with an
 * error naming the setting (recognised by its code), before any part is started.
 */
import { spawnSync } from "node:child_process";
import { mkdtemp, readdir, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import pino from "pino";
import { describe, expect, it } from "vitest";
import { LIMITS } from "../../protocol/namespaces.ts";
import { checkConfig, ConfigError, DEFAULTS, privateConfig, readConfig } from "../../server/config.ts";
import { createDeckcast } from "../../server/deckcast.ts";

function refusal(f: () => unknown): ConfigError {
  try {
    f();
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).code).toBe("config-contradiction");
    return err as ConfigError;
  }
  throw new Error("expected a ConfigError, nothing was thrown");
}

describe("contradictory limits", () => {
  it("a deck page limit above what the protocol's reader allows is refused", () => {
    expect(DEFAULTS.deckMaxPages).toBe(LIMITS.maxPages);
    expect(readConfig({ DECKCAST_MAX_PAGES: String(LIMITS.maxPages) }).deckMaxPages).toBe(LIMITS.maxPages);
    expect(readConfig({ DECKCAST_MAX_PAGES: "20" }).deckMaxPages).toBe(20);
    expect(refusal(() => readConfig({ DECKCAST_MAX_PAGES: String(LIMITS.maxPages + 1) })).message).toMatch(/DECKCAST_MAX_PAGES.*LIMITS\.maxPages/);
    expect(refusal(() => checkConfig({ ...readConfig({}), deckMaxPages: LIMITS.maxPages + 1 })).message).toMatch(/DECKCAST_MAX_PAGES/);
  });

  it("an upload idle timeout of 0, or an upload limit of 0, is refused", () => {
    expect(refusal(() => checkConfig({ ...readConfig({}), uploadIdleMs: 0 })).message).toMatch(/DECKCAST_UPLOAD_IDLE_S/);
    expect(refusal(() => checkConfig({ ...readConfig({}), maxUploadBytes: 0 })).message).toMatch(/DECKCAST_MAX_UPLOAD_MB/);
    expect(refusal(() => checkConfig({ ...readConfig({}), deckWorkers: 0 })).message).toMatch(/workers/);
    expect(() => readConfig({ DECKCAST_MAX_UPLOAD_MB: "0" })).toThrow(/DECKCAST_MAX_UPLOAD_MB/);
  });

  it("createDeckcast refuses them before starting anything", async () => {
    const dataDir = await mkdtemp(path.join(os.tmpdir(), "deckcast-config-"));
    try {
      const config = { ...privateConfig(dataDir), deckMaxPages: LIMITS.maxPages + 1 };
      refusal(() => createDeckcast(config, { log: pino({ level: "silent" }) }));
      expect(await readdir(dataDir)).toEqual([]);
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });

  it("npm start says why in one line and exits 1, creating nothing", async () => {
    const dataDir = await mkdtemp(path.join(os.tmpdir(), "deckcast-config-"));
    try {
      const run = spawnSync(process.execPath, ["--import", "tsx", fileURLToPath(new URL("../../server/main.ts", import.meta.url))], {
        env: { ...process.env, DECKCAST_DATA_DIR: dataDir, DECKCAST_MAX_PAGES: String(LIMITS.maxPages + 1) },
        encoding: "utf8",
        timeout: 30_000,
      });
      expect(run.status).toBe(1);
      expect(run.stderr).toBe(`deckcast could not start: DECKCAST_MAX_PAGES is ${LIMITS.maxPages + 1}, above the protocol's limit of ${LIMITS.maxPages} pages (LIMITS.maxPages): every reader would refuse the pages past it\n`);
      expect(await readdir(dataDir)).toEqual([]);
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});
