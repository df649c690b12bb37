/**
 * The server's log on a full disk (a small tmpfs mounted for the test; needs root): lines are
 * dropped and counted while writes fail, stderr is told once, logging resumes by itself when
 * there is room and reports how many lines were lost, the file stays one JSON object per
 * line, and a flush never waits on the full disk.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, statfsSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { createServerLogging, openLogFile } from "../../server/log.ts";
import { tryMountTmpfs } from "../support/tmpfs.ts";

/** Fills the file system under `dir` to the last byte. */
function fill(dir: string): string {
  const file = path.join(dir, `fill-${Math.random().toString(36).slice(2)}`);
  try {
    execFileSync("dd", ["if=/dev/zero", `of=${file}`, "bs=4k"], { stdio: "ignore" });
  } catch {
    // dd stops with "No space left on device": that is the point
  }
  return file;
}

async function waitFor(cond: () => boolean, ms = 15_000, what = "condition"): Promise<void> {
  const until = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const mountDir = mkdtempSync(path.join(os.tmpdir(), "deckcast-log-"));
const mounted = tryMountTmpfs(mountDir, "256k");
if (!mounted) console.warn("server-log test skipped: mounting a tmpfs needs root");

afterAll(() => {
  if (mounted) execFileSync("umount", [mountDir]);
  rmSync(mountDir, { recursive: true, force: true });
});

describe.skipIf(!mounted)("the log on a full disk", () => {
  it("drops and counts lines while the disk is full, says so once, and resumes with the count", async () => {
    const warnings: string[] = [];
    const file = path.join(mountDir, "a.log");
    const log = openLogFile(file, { warn: (t) => warnings.push(t) });
    log.write(JSON.stringify({ n: 0, msg: "before" }) + "\n");
    await log.drain(5000);
    const filler = fill(mountDir);

    for (let i = 1; i <= 500; i++) log.write(JSON.stringify({ n: i, msg: "x".repeat(200) }) + "\n");
    await waitFor(() => log.stats().failing === "ENOSPC", 10_000, "the write to fail");
    for (let i = 501; i <= 600; i++) log.write(JSON.stringify({ n: i, msg: "while full" }) + "\n");
    // A flush while the disk is full returns at once (it does not wait for room).
    await log.drain(60_000);
    expect(warnings).toEqual(["deckcast: cannot write the log (ENOSPC); dropping log lines until there is room"]);
    expect(log.stats().dropped).toBeGreaterThan(100);
    expect(log.stats().queuedBytes).toBe(0);

    rmSync(filler);
    await waitFor(() => log.stats().failing === null, 10_000, "logging to resume");
    log.write(JSON.stringify({ n: 601, msg: "after" }) + "\n");
    await log.drain(5000);
    await log.close();
    expect(warnings).toHaveLength(2);
    expect(warnings[1]).toMatch(/^deckcast: the log is written again; \d+ log lines were dropped$/);

    const lines = readFileSync(file, "utf8").split("\n").filter(Boolean);
    const parsed = lines.map((l) => JSON.parse(l) as { n?: number; dropped?: number });
    const report = parsed.find((p) => p.dropped !== undefined)!;
    const written = parsed.filter((p) => p.n !== undefined).map((p) => p.n!);
    // Every line is whole JSON, in order, and written + dropped = logged.
    expect(written).toEqual([...written].sort((a, b) => a - b));
    expect(written[0]).toBe(0);
    expect(written.at(-1)).toBe(601);
    expect(written.length + report.dropped!).toBe(602);
  });

  it("keeps the file one JSON object per line when the disk fills in the middle of a line", async () => {
    const file = path.join(mountDir, "b.log");
    const log = openLogFile(file, { warn: () => undefined });
    // Leave less room than one line: the write is cut short, then fails.
    const { bavail, bsize } = statfsSync(mountDir);
    writeFileSync(path.join(mountDir, "most"), Buffer.alloc(Math.max(0, bavail * bsize - 6000)));
    for (let i = 0; i < 20; i++) log.write(JSON.stringify({ n: i, msg: "y".repeat(1000) }) + "\n");
    await waitFor(() => log.stats().failing !== null, 10_000, "the write to fail");
    rmSync(path.join(mountDir, "most"));
    await waitFor(() => log.stats().failing === null, 10_000, "logging to resume");
    log.write(JSON.stringify({ n: 99, msg: "after" }) + "\n");
    await log.close();
    const lines = readFileSync(file, "utf8").split("\n").filter(Boolean);
    const bad = lines.filter((l) => {
      try {
        JSON.parse(l);
        return false;
      } catch {
        return true;
      }
    });
    // What reached the file of the failed write was taken back: no half line is left.
    expect(bad).toEqual([]);
    expect(JSON.parse(lines.at(-1)!)).toMatchObject({ n: 99 });
    expect(lines, "a line reporting the dropped count").toContainEqual(expect.stringContaining('"dropped"'));
  });

  it("gives pino a destination whose shutdown is bounded on a full disk", async () => {
    const file = path.join(mountDir, "c.log");
    const logging = createServerLogging({ path: file, level: "info", base: { app: "deckcast" } });
    const filler = fill(mountDir);
    try {
      for (let i = 0; i < 300; i++) logging.log.info({ i, pad: "z".repeat(300) }, "a line");
      await logging.shutdown(2000); // resolves: never waits for room
      expect(logging.file.stats().dropped).toBeGreaterThan(0);
    } finally {
      rmSync(filler);
    }
  });
});
