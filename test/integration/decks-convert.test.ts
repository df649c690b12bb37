/**
 * The LibreOffice worker pool on its own: parallel conversions, password prompts that fail
 * fast instead of hanging, a hung conversion whose whole process group is killed and
 * replaced, and workers recycled after N jobs.
 */
import { readdirSync, readFileSync } from "node:fs";
import { mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { Writable } from "node:stream";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { ConverterPool } from "../../server/decks/convert/pool.ts";
import { makeDocx, makeOdp, makeOdt } from "../support/decks-files.ts";
import { needFixtures } from "../support/fixtures.ts";

const lines: Record<string, unknown>[] = [];
const sink = new Writable({
  write(chunk: Buffer, _enc, done) {
    for (const l of chunk.toString().split("\n")) if (l) lines.push(JSON.parse(l) as Record<string, unknown>);
    done();
  },
});
let pool: ConverterPool;
let work: string;

const impress = { importFilter: "impress8", exportFilter: "impress_pdf_Export" };
const writer = { importFilter: "writer8", exportFilter: "writer_pdf_Export" };

async function file(name: string, bytes: Buffer): Promise<string> {
  const p = path.join(work, name);
  await writeFile(p, bytes);
  return p;
}

/** Whether any process of the group is still running (zombies waiting to be reaped by init don't count). */
function groupAlive(pgid: number): boolean {
  for (const pid of readdirSync("/proc").filter((p) => /^\d+$/.test(p))) {
    let stat: string;
    try {
      stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    } catch {
      continue; // exited while we looked
    }
    const [state, , pgrp] = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    if (Number(pgrp) === pgid && state !== "Z") return true;
  }
  return false;
}

beforeAll(async () => {
  work = await mkdtemp(path.join(tmpdir(), "deckcast-pool-"));
  pool = new ConverterPool({ workers: 2, maxJobsPerWorker: 4, log: pino({ level: "info" }, sink) });
  await pool.ready();
});

afterAll(async () => {
  await pool?.stop();
  await rm(work, { recursive: true, force: true });
});

describe("LibreOffice pool", () => {
  it("two conversions at once both succeed, on two workers", async () => {
    const a = await file("a.odp", makeOdp(["A1", "A2"]));
    const b = await file("b.docx", makeDocx(["B1", "B2"], true));
    const [ra, rb] = await Promise.all([
      pool.convert({ src: a, out: `${a}.pdf`, ...impress }),
      pool.convert({ src: b, out: `${b}.pdf`, importFilter: "MS Word 2007 XML", exportFilter: "writer_pdf_Export" }),
    ]);
    expect([ra, rb]).toMatchObject([{ ok: true }, { ok: true }]);
    expect((await readFile(`${a}.pdf`)).subarray(0, 5).toString()).toBe("%PDF-");
    expect((await stat(`${b}.pdf`)).size).toBeGreaterThan(500);
  });

  it("password-protected documents fail at once with password-protected", async () => {
    const plain = await file("plain.odt", makeOdt(["Top secret"]));
    const doc = path.join(work, "locked.doc");
    const odt = path.join(work, "locked.odt");
    // LibreOffice itself makes the locked files: Word 97 (RC4) and ODF (AES) encryption.
    expect(await pool.convert({ src: plain, out: doc, importFilter: "writer8", exportFilter: "MS Word 97", password: "pw" })).toMatchObject({ ok: true });
    expect(await pool.convert({ src: plain, out: odt, importFilter: "writer8", exportFilter: "writer8", password: "pw" })).toMatchObject({ ok: true });
    // "At once" means the prompt was refused, not waited out: only the interaction handler
    // answers password-protected (a hang would end as conversion-timeout), and no worker was
    // replaced for a time-out meanwhile (a timed-out job's worker is killed). Recycling after
    // the job limit may happen here and is not a hang.
    const timedOut = () => lines.filter((l) => l.msg === "replacing LibreOffice worker" && l.reason === "conversion-timeout");
    const timedOutBefore = timedOut().length;
    expect(await pool.convert({ src: doc, out: `${doc}.pdf`, importFilter: "MS Word 97", exportFilter: "writer_pdf_Export" }))
      .toMatchObject({ ok: false, code: "password-protected" });
    expect(await pool.convert({ src: odt, out: `${odt}.pdf`, ...writer })).toMatchObject({ ok: false, code: "password-protected" });
    expect(timedOut().slice(timedOutBefore), "workers replaced for a time-out meanwhile").toEqual([]);
  });

  it("a file the import filter cannot read fails with conversion-failed", async () => {
    const junk = await file("junk.odp", Buffer.from("not a presentation at all"));
    expect(await pool.convert({ src: junk, out: `${junk}.pdf`, ...impress })).toMatchObject({ ok: false, code: "conversion-failed" });
  });

  const deck30 = needFixtures("bench/deck30.pptx");
  it.skipIf(deck30.skip)(`a hung conversion is killed with its process group and the worker replaced${deck30.note}`, async () => {
    const ready = () => lines.filter((l) => l.msg === "LibreOffice worker ready").length;
    const before = ready();
    const big = deck30.paths[0]!;
    const r = await pool.convert({ src: big, out: path.join(work, "hang.pdf"), importFilter: "Impress MS PowerPoint 2007 XML", exportFilter: "impress_pdf_Export" }, { timeoutMs: 100 });
    expect(r).toMatchObject({ ok: false, code: "conversion-timeout" });
    const replaced = lines.find((l) => l.msg === "replacing LibreOffice worker" && l.reason === "conversion-timeout");
    expect(replaced).toBeDefined();
    await vi.waitFor(() => expect(groupAlive(replaced!.pgid as number)).toBe(false), { timeout: 3000 });
    // Both workers busy for a moment, so the next job must wait for a ready one, maybe the new one.
    const again = await file("again.odp", makeOdp(["Still working"]));
    expect(await pool.convert({ src: again, out: `${again}.pdf`, ...impress })).toMatchObject({ ok: true });
    await pool.ready();
    await vi.waitFor(() => expect(ready(), "workers ready since the hang").toBeGreaterThan(before), { timeout: 30_000 });
  });

  it("a worker is recycled after its job limit and conversions carry on", async () => {
    const src = await file("many.odp", makeOdp(["Again"]));
    for (let i = 0; i < 6; i++) {
      expect(await pool.convert({ src, out: path.join(work, `many${i}.pdf`), ...impress })).toMatchObject({ ok: true });
    }
    const reasons = lines.filter((l) => l.msg === "replacing LibreOffice worker").map((l) => String(l.reason));
    expect(reasons, "why workers were replaced").toContainEqual(expect.stringMatching(/^after 4 jobs/));
  });

  it("a worker that is gone leaves no UNO pipe file behind in /tmp", async () => {
    // Workers replaced above (killed, recycled) are gone; only the running ones may have pipes.
    const ours = () => readdirSync("/tmp").filter((f) => f.startsWith("OSL_PIPE_") && f.includes(`_deckcast-${process.pid}-`));
    await vi.waitFor(() => expect(ours().length, `pipe files: ${ours().join(", ")}`).toBeLessThanOrEqual(2), { timeout: 10_000 });
    await pool.stop();
    await vi.waitFor(() => expect(ours()).toEqual([]), { timeout: 10_000 });
  });
});
