/**
 * Reopening a damaged journal (real files): a bad line in the middle is set aside — kept in
 * events.rejected.jsonl, reported in one log line — and every valid line after it is kept
 * with its seq; a seq the journal lacks reads back as an empty server bundle so a range has
 * no hole; `rights` stays on the server.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { mkdtemp, readFile, readdir, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import pino from "pino";
import { openJournal } from "../../server/archive/journal.ts";
import type { StampedBundle } from "../../protocol/types.ts";

let dir: string;
let logs: Record<string, unknown>[];
const log = () => pino({ level: "info" }, { write: (s: string) => void logs.push(JSON.parse(s) as Record<string, unknown>) });
beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), "deckcast-journal-recover-"));
  logs = [];
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const bundle = (seq: number, audio?: number[]): StampedBundle => ({
  id: `b${seq}`,
  t: seq * 100,
  seq,
  ts: 1_700_000_000_000 + seq,
  from: "alice",
  events: [{ type: "page", t: seq * 100, page: 1 + (seq % 3) }],
  ...(audio ? { audio: { t: seq * 100, data: new Uint8Array(audio) } } : {}),
});

const eventsFile = () => path.join(dir, "events.jsonl");
const lines = async () => (await readFile(eventsFile(), "utf8")).split("\n").slice(0, -1);

/** A journal of `n` bundles, each with two audio bytes. */
async function journalOf(n: number): Promise<StampedBundle[]> {
  const j = await openJournal(dir);
  const written = Array.from({ length: n }, (_, i) => bundle(i + 1, [i, i]));
  for (const b of written) await j.append(b);
  await j.close();
  return written;
}

describe("reopening a journal with a bad line", () => {
  it("sets a garbage line in the middle aside and keeps every valid line after it", async () => {
    const written = await journalOf(6);
    const good = await lines();
    const garbage = "\u0000\u0001 not json {{{";
    await writeFile(eventsFile(), [...good.slice(0, 3), garbage, ...good.slice(3)].join("\n") + "\n");

    const j = await openJournal(dir, { log: log() });
    expect(j.lastSeq).toBe(6);
    expect(await j.read(1, 6)).toEqual(written);
    expect(await lines()).toEqual(good); // rewritten without it
    expect(await readFile(path.join(dir, "events.rejected.jsonl"), "utf8")).toBe(garbage + "\n");
    const report = logs.filter((l) => /set aside/.test(String(l.msg)));
    expect(report).toHaveLength(1);
    expect(report[0]).toMatchObject({ level: 50, setAside: [{ line: 4, bytes: Buffer.byteLength(garbage), reason: expect.stringMatching(/not JSON/) }], keptLines: 6 });
    await j.append(bundle(7));
    expect(j.lastSeq).toBe(7);
    await j.close();
    expect((await readdir(dir)).filter((n) => n.endsWith(".tmp"))).toEqual([]);
  });

  it("fills the seq of a line damaged in place with an empty server bundle, so a range has no hole", async () => {
    const written = await journalOf(5);
    const good = await lines();
    await writeFile(eventsFile(), [...good.slice(0, 2), good[2]!.replace('"events"', '"ev#nts'), ...good.slice(3)].join("\n") + "\n");

    const j = await openJournal(dir, { log: log() });
    expect(j.lastSeq).toBe(5);
    expect(j.lines).toBe(4);
    const range = await j.read(1, 5);
    expect(range.map((b) => b.seq)).toEqual([1, 2, 3, 4, 5]);
    expect(range[2]).toEqual({ id: "srv-lost-3", seq: 3, t: written[1]!.t, ts: written[1]!.ts, from: "deckcast", events: [] });
    expect(range.filter((_, i) => i !== 2)).toEqual(written.filter((_, i) => i !== 2));
    expect(await j.read(3, 3)).toEqual([range[2]]); // also when the range starts in the hole
    await j.close();

    // Reopened again: nothing more to repair, the hole stays a hole.
    const rejected = await readFile(path.join(dir, "events.rejected.jsonl"), "utf8");
    const again = await openJournal(dir, { log: log() });
    expect(again.lastSeq).toBe(5);
    expect(await readFile(path.join(dir, "events.rejected.jsonl"), "utf8")).toBe(rejected);
    expect(logs.filter((l) => /set aside/.test(String(l.msg)))).toHaveLength(1);
    await again.close();
  });

  it("sets aside a repeated seq and a single damaged seq, not the lines after them", async () => {
    const written = await journalOf(6);
    const good = await lines();
    const huge = good[2]!.replace('"seq":3', '"seq":9000'); // one damaged number
    await writeFile(eventsFile(), [good[0], good[1], good[1], huge, ...good.slice(3)].join("\n") + "\n");

    const j = await openJournal(dir, { log: log() });
    expect(j.lastSeq).toBe(6);
    const range = await j.read(1, 6);
    expect(range.map((b) => b.id)).toEqual(["b1", "b2", "srv-lost-3", "b4", "b5", "b6"]);
    expect(range[3]).toEqual(written[3]);
    const report = logs.find((l) => /set aside/.test(String(l.msg))) as { setAside: { line: number }[] };
    expect(report.setAside.map((s) => s.line)).toEqual([3, 4]);
    await j.close();
  });

  it("keeps the seq of a damaged last line in use, so it is never given to another bundle", async () => {
    await journalOf(4);
    const good = await lines();
    await writeFile(eventsFile(), [...good.slice(0, 3), good[3]!.slice(0, 30) + "#"].join("\n") + "\n"); // whole line, broken

    const j = await openJournal(dir, { log: log() });
    expect(j.lastSeq).toBe(4);
    const lost = (await j.read(4, 4))[0];
    expect(lost).toMatchObject({ id: "srv-lost-4", seq: 4, from: "deckcast", events: [] });
    await expect(j.append(bundle(4))).rejects.toThrow(/seq 4 after 4/);
    await j.close();
    // Also after another restart before anything new was appended.
    const again = await openJournal(dir, { log: log() });
    expect(again.lastSeq).toBe(4);
    expect(await again.read(4, 4)).toEqual([lost]);
    await again.append(bundle(5));
    await again.close();
  });

  it("still cuts off a torn last line (a crash mid-write) without setting it aside", async () => {
    const written = await journalOf(3);
    await writeFile(eventsFile(), (await readFile(eventsFile(), "utf8")) + '{"seq":4,"ts":1,"fr');
    const j = await openJournal(dir, { log: log() });
    expect(j.lastSeq).toBe(3);
    expect(await j.read(1, 3)).toEqual(written);
    await j.close();
    await expect(readFile(path.join(dir, "events.rejected.jsonl"))).rejects.toThrow(/ENOENT/);
  });
});

describe("rights in the journal", () => {
  it("are stored in the line and never reach a bundle read back", async () => {
    const j = await openJournal(dir);
    await j.append(bundle(1), { rights: { owner: "alice@localhost", presenter: "alice@localhost" } });
    await j.append(bundle(2), { rights: { presenter: "bob@localhost" } });
    await j.append(bundle(3));
    expect((await j.readAll()).map((l) => l.rights)).toEqual([{ owner: "alice@localhost", presenter: "alice@localhost" }, { presenter: "bob@localhost" }, undefined]);
    for (const b of await j.read(1, 3)) expect(Object.keys(b).sort()).toEqual(["events", "from", "id", "seq", "t", "ts"]);
    await j.close();
    const again = await openJournal(dir);
    expect((await again.readAll())[1]?.rights).toEqual({ presenter: "bob@localhost" });
    await again.close();
  });
});
