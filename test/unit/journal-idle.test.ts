/**
 * Idle archives hold no open files (real files, this process's real descriptors in
 * /proc/self/fd): a journal closes its two files after `idleCloseMs` without use and reopens
 * them on the next one; restored archives stay closed until used; and 600 live meetings
 * restore in a process limited to 256 descriptors (a child under `prlimit`).
 */
import { execFile } from "node:child_process";
import { readdirSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { StampedBundle } from "../../protocol/types.ts";
import { openJournal } from "../../server/archive/journal.ts";
import { createSessionArchive, openSessionArchive, type SessionArchive } from "../../server/archive/session-archive.ts";

const run = promisify(execFile);
let root: string;
beforeEach(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), "deckcast-idle-"));
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

const fds = () => readdirSync("/proc/self/fd").length;
async function until(cond: () => boolean, what: string, ms = 10_000): Promise<void> {
  for (const end = Date.now() + ms; !cond(); await new Promise((r) => setTimeout(r, 20))) if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
}

const code = (i: number) => `m${String(i).padStart(5, "0")}`;
const start = (i: number): StampedBundle => ({ id: "srv-start", t: 0, seq: 1, ts: 1_700_000_000_000 + i, from: "deckcast", events: [{ type: "session-start", t: 0, title: `Meeting ${i}`, presenter: "alice" }] });
const page = (seq: number): StampedBundle => ({ id: `p${seq}`, t: seq * 100, seq, ts: 1_700_000_000_000 + seq, from: "alice", events: [{ type: "page", t: seq * 100, page: 2 }] });

async function archives(n: number, idleCloseMs?: number): Promise<SessionArchive[]> {
  const out: SessionArchive[] = [];
  for (let i = 0; i < n; i++) {
    const a = await createSessionArchive(root, { session: `20261122-010000-${code(i)}`, room: code(i), title: `Meeting ${i}`, owner: "alice@localhost", presenter: "alice@localhost", createdAt: "2026-11-22T01:00:00.000Z" }, { idleCloseMs });
    await a.append(start(i), { rights: { owner: "alice@localhost", presenter: "alice@localhost" } });
    out.push(a);
  }
  return out;
}

describe("idle archives", () => {
  it("close their files after the idle time and reopen them on the next use", async () => {
    const baseline = fds();
    const all = await archives(50, 100);
    for (const a of all) await a.append(page(2));
    await until(() => fds() <= baseline, "the idle archives to close their files");

    // The next use reopens them, and they close again.
    for (const a of all) expect((await a.journal.read(2, 2))[0]?.id).toBe("p2");
    for (const a of all) await a.append(page(3));
    await until(() => fds() <= baseline, "the archives to close their files again");
    for (const a of all) await a.close();
    expect(fds()).toBeLessThanOrEqual(baseline);
  });

  it("stay closed after they are opened again (as restore does) until they are used", async () => {
    for (const a of await archives(50)) await a.close();
    const baseline = fds();
    const reopened: SessionArchive[] = [];
    for (let i = 0; i < 50; i++) reopened.push(await openSessionArchive(path.join(root, "archives", `20261122-010000-${code(i)}`)));
    expect(fds()).toBeLessThanOrEqual(baseline);
    await reopened[0]!.append(page(2));
    expect(fds()).toBe(baseline + 2); // events.jsonl and audio.opus, until idle or closed
    for (const a of reopened) await a.close();
    expect(fds()).toBeLessThanOrEqual(baseline);
  });

  it("closing and reopening between uses loses no append, flush or read", async () => {
    const j = await openJournal(root, { idleCloseMs: 0 }); // close whenever idle
    const appends: Promise<unknown>[] = [];
    const reads: Promise<StampedBundle[]>[] = [];
    let x = 12345;
    const random = () => (x = (Math.imul(x, 1103515245) + 12345) >>> 0) / 2 ** 32; // a fixed seed
    for (let seq = 1; seq <= 300; seq++) {
      appends.push(j.append({ ...page(seq), audio: { t: seq * 100, data: new Uint8Array([seq & 255]) } }).then((w) => w.durable));
      const r = random();
      if (r < 0.3) reads.push(j.read(Math.max(1, seq - 3), seq));
      // Now and then let the journal go idle (it closes its files) before the next use.
      if (r > 0.5) {
        await appends.at(-1);
        await new Promise((done) => setTimeout(done, r > 0.8 ? 1 : 0));
      }
    }
    await Promise.all(appends);
    for (const r of await Promise.all(reads)) expect(r.map((b) => b.seq)).toEqual(r.map((_, i) => r[0]!.seq + i));
    expect((await j.read(1, 300)).map((b) => b.audio?.data[0])).toEqual(Array.from({ length: 300 }, (_, i) => (i + 1) & 255));
    await j.close();
    const again = await openJournal(root);
    expect(again.lastSeq).toBe(300);
    await again.close();
  });

  it("600 live meetings restore in a process allowed 256 open files", async () => {
    for (const a of await archives(600)) await a.close();
    const child = path.join(import.meta.dirname, "journal-idle.child.ts");
    const { stdout } = await run("prlimit", ["--nofile=256:256", process.execPath, "--import", "tsx", child, root], { cwd: path.join(import.meta.dirname, "../.."), maxBuffer: 16 * 1024 * 1024 });
    const seen = JSON.parse(stdout.trim().split("\n").at(-1)!) as { restored: number; meetings: number; read: number; fdsAfterRestore: number; fdsAtEnd: number };
    expect(seen).toMatchObject({ restored: 600, meetings: 600, read: 600 });
    expect(seen.fdsAfterRestore).toBeLessThan(256);
    expect(seen.fdsAtEnd).toBeLessThanOrEqual(seen.fdsAfterRestore);
  });
});
