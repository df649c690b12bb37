/**
 * DECKCAST_LOG_STDOUT (server/log.ts `echo`): every log line goes to the echo stream (a
 * container's stdout) as well as to the log file, the same JSON line in both; without an
 * echo the file alone has it.
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { PassThrough } from "node:stream";
import { afterAll, describe, expect, it } from "vitest";
import { createServerLogging } from "../../server/log.ts";

const dir = mkdtempSync(path.join(os.tmpdir(), "deckcast-log-echo-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("the server log's echo", () => {
  it("writes each line to the file and to the echo stream", async () => {
    const echo = new PassThrough();
    let echoed = "";
    echo.on("data", (c: Buffer) => (echoed += c.toString("utf8")));
    const file = path.join(dir, "echo.log");
    const logging = createServerLogging({ path: file, level: "info", base: { app: "deckcast" }, echo });
    logging.log.info({ n: 1 }, "hello");
    logging.log.debug("below the level");
    await logging.shutdown(2000);
    const lines = readFileSync(file, "utf8").trim().split("\n");
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0]!)).toMatchObject({ app: "deckcast", n: 1, msg: "hello" });
    expect(echoed.trim()).toBe(lines[0]);
  });

  it("without an echo, the file alone", async () => {
    const file = path.join(dir, "plain.log");
    const logging = createServerLogging({ path: file, level: "info", base: { app: "deckcast" } });
    logging.log.info("only here");
    await logging.shutdown(2000);
    expect(readFileSync(file, "utf8")).toContain("only here");
  });
});
