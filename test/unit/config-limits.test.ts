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
import { CHAT_LIMITS, CLIENT_CHAT_CHARS } from "../../protocol/chat-limits.ts";
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

  it("a room chat cap below what the web client's chat box sends, or an unusable chat rate, is refused", () => {
    expect(DEFAULTS.chat).toEqual(CHAT_LIMITS);
    expect(readConfig({ DECKCAST_CHAT_MAX_CHARS: String(CLIENT_CHAT_CHARS) }).chat.maxBodyChars).toBe(CLIENT_CHAT_CHARS);
    expect(refusal(() => readConfig({ DECKCAST_CHAT_MAX_CHARS: String(CLIENT_CHAT_CHARS - 1) })).message).toMatch(/DECKCAST_CHAT_MAX_CHARS.*CLIENT_CHAT_CHARS/);
    expect(refusal(() => checkConfig({ ...readConfig({}), chat: { ...CHAT_LIMITS, burst: 0 } })).message).toMatch(/DECKCAST_CHAT_BURST/);
    expect(refusal(() => checkConfig({ ...readConfig({}), chat: { ...CHAT_LIMITS, perSecond: 0 } })).message).toMatch(/DECKCAST_CHAT_PER_SECOND/);
  });

  it("an idle timeout longer than a Node timer can wait (it would fire at once) is refused", () => {
    const overflow = String(Math.ceil(2 ** 31 / 1000));
    expect(readConfig({ DECKCAST_WS_IDLE_S: String(Math.floor((2 ** 31 - 1) / 1000)) }).wsIdleMs).toBeLessThan(2 ** 31);
    expect(refusal(() => readConfig({ DECKCAST_WS_IDLE_S: overflow })).message).toMatch(/DECKCAST_WS_IDLE_S/);
    expect(refusal(() => readConfig({ DECKCAST_UPLOAD_IDLE_S: overflow })).message).toMatch(/DECKCAST_UPLOAD_IDLE_S/);
  });

  it("meeting limits must be whole and positive", () => {
    expect(refusal(() => checkConfig({ ...readConfig({}), meetings: { ...DEFAULTS.meetings, meetingsPerAccount: 0 } })).message).toMatch(/DECKCAST_MEETINGS_PER_ACCOUNT/);
    expect(refusal(() => checkConfig({ ...readConfig({}), meetings: { ...DEFAULTS.meetings, meetingsPerAccount: 1.5 } })).message).toMatch(/DECKCAST_MEETINGS_PER_ACCOUNT/);
    expect(refusal(() => checkConfig({ ...readConfig({}), meetings: { ...DEFAULTS.meetings, meetingIdleMs: 0 } })).message).toMatch(/DECKCAST_MEETING_IDLE_HOURS/);
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
