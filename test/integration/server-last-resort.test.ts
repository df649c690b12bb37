/**
 * The last resort, in a real Node process: once the server is up, an exception no handler
 * caught and a rejection nobody handled are logged at error level and the process lives on;
 * before it is up, the first one stops the start (exit 1).
 */
import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");
const child = path.join(repo, "test", "support", "last-resort-child.ts");
const dirs: string[] = [];

function run(phase: "started" | "starting"): Promise<{ code: number | null; stdout: string; log: string }> {
  return (async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), "deckcast-last-resort-"));
    dirs.push(dir);
    const file = path.join(dir, "deckcast.log");
    const { code, stdout } = await new Promise<{ code: number | null; stdout: string }>((resolve) => {
      const p = execFile(process.execPath, ["--import", "tsx", child, file, phase], { cwd: repo, timeout: 60_000 }, (err, out) => {
        resolve({ code: err ? ((err as { code?: number }).code ?? null) : 0, stdout: out });
      });
      p.stdin?.end();
    });
    return { code, stdout, log: await readFile(file, "utf8").catch(() => "") };
  })();
}

afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

describe("the last resort", () => {
  it("logs what no handler caught and keeps the running server alive", async () => {
    const r = await run("started");
    expect(r.stdout).toContain("still alive");
    expect(r.code).toBe(0);
    const errors = r.log.split("\n").filter(Boolean).map((l) => JSON.parse(l) as { level: number; msg: string; err?: { message: string } });
    expect(errors.filter((e) => e.level === 50).map((e) => `${e.msg}: ${e.err?.message}`)).toEqual([
      "uncaught exception; the server keeps running: a handler threw",
      "uncaught exception; the server keeps running: nobody listened",
      "unhandled rejection; the server keeps running: nobody awaited",
    ]);
  });

  it("stops a start that has not finished", async () => {
    const r = await run("starting");
    expect(r.stdout).toContain("fatal");
    expect(r.stdout).not.toContain("still alive");
    expect(r.code).toBe(1);
    expect(r.log).toContain("uncaught exception during start");
  });
});
