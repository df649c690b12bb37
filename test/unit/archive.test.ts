/**
 * The session archive on a real file system: durable appends, range reads with audio,
 * recovery from a crash mid-write, and a manifest that agrees with the journal.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { appendFile, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { openJournal } from "../../server/archive/journal.ts";
import { createSessionArchive, listOpenSessions, openSessionArchive } from "../../server/archive/session-archive.ts";
import type { StampedBundle } from "../../protocol/types.ts";

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), "deckcast-archive-"));
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

describe("journal", () => {
  it("appends bundles with their audio and reads any range back exactly", async () => {
    const j = await openJournal(dir);
    const written = [bundle(1, [1, 2, 3]), bundle(2), bundle(3, [4, 5])];
    for (const b of written) await j.append(b);
    expect(await j.read(1, 3)).toEqual(written);
    expect(await j.read(2, 2)).toEqual([written[1]]);
    expect(j.audioBytes).toBe(5);
    expect([...(await readFile(path.join(dir, "audio.opus")))]).toEqual([1, 2, 3, 4, 5]);
    await j.close();
  });

  it("refuses a sequence number out of order and keeps the journal as it was", async () => {
    const j = await openJournal(dir);
    await j.append(bundle(1));
    await expect(j.append(bundle(3))).rejects.toThrow(/seq 3 after 1/);
    await j.append(bundle(2));
    expect(j.lastSeq).toBe(2);
    await j.close();
  });

  it("drops a line torn by a crash, and audio past the last whole line, when reopened", async () => {
    const j = await openJournal(dir);
    await j.append(bundle(1, [1, 2, 3]));
    await j.close();
    await appendFile(path.join(dir, "events.jsonl"), '{"seq":2,"ts":2,"fro');
    await appendFile(path.join(dir, "audio.opus"), new Uint8Array([9, 9]));
    const again = await openJournal(dir);
    expect(again.lastSeq).toBe(1);
    expect(again.audioBytes).toBe(3);
    await again.append(bundle(2, [7]));
    expect((await again.read(1, 2)).map((b) => [...(b.audio?.data ?? [])])).toEqual([[1, 2, 3], [7]]);
    await again.close();
    const lines = (await readFile(path.join(dir, "events.jsonl"), "utf8")).trim().split("\n");
    expect(lines.map((l) => JSON.parse(l).seq)).toEqual([1, 2]);
  });

  it("drops a line whose audio never reached the disk (both files are flushed together)", async () => {
    const j = await openJournal(dir);
    await j.append(bundle(1, [1, 2]));
    await j.append(bundle(2, [3, 4, 5]));
    await j.close();
    const { truncate } = await import("node:fs/promises");
    await truncate(path.join(dir, "audio.opus"), 3); // the crash lost line 2's audio
    const again = await openJournal(dir);
    expect(again.lastSeq).toBe(1);
    expect(again.audioBytes).toBe(2);
    await again.close();
  });
});

describe("session archive", () => {
  const init = { session: "20261122-010000-abcdef", room: "abcdef", title: "Q3", owner: "alice@localhost", presenter: "alice@localhost", createdAt: "2026-11-22T01:00:00.000Z" };

  it("keeps the manifest's counts, duration and deck in step with the journal", async () => {
    const a = await createSessionArchive(dir, init);
    await a.append(bundle(1, [1, 2]));
    await a.append({ ...bundle(2), events: [{ type: "deck-open", t: 250, deck: { id: "a".repeat(64), pages: 12, title: "Q3" } }] });
    await a.close();
    const m = JSON.parse(await readFile(path.join(a.dir, "manifest.json"), "utf8"));
    expect(m).toMatchObject({ format: "deckcast-archive/1", room: "abcdef", endedAt: null, duration: 250, counts: { bundles: 2, events: 2, audioBytes: 2 }, deck: { pages: 12 } });
  });

  it("lists sessions that have not ended and reconciles a stale manifest on open", async () => {
    const a = await createSessionArchive(dir, init);
    await a.append(bundle(1));
    await a.journal.close();
    // The process died before the manifest caught up: make it stale on purpose.
    const file = path.join(a.dir, "manifest.json");
    await writeFile(file, JSON.stringify({ ...JSON.parse(await readFile(file, "utf8")), counts: { bundles: 0, events: 0, audioBytes: 0 } }));
    expect(await listOpenSessions(dir)).toEqual([a.dir]);
    const reopened = await openSessionArchive(a.dir);
    expect(reopened.manifest.counts.bundles).toBe(1);
    await reopened.update({ endedAt: "2026-11-22T02:00:00.000Z" });
    await reopened.close();
    expect(await listOpenSessions(dir)).toEqual([]);
  });
});
