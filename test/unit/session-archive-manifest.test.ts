/**
 * The manifest on real files: one damaged manifest never stops the listing of open
 * sessions, a manifest that does not parse is rebuilt from the journal (owner and presenter
 * from the lines' rights), and concurrent writes of one manifest all succeed with the last
 * state on disk.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import pino from "pino";
import type { DeckEvent, StampedBundle } from "../../protocol/types.ts";
import { concat, syntheticRecording } from "../support/opus.ts";
import { archivesDir, createSessionArchive, listOpenSessions, openSessionArchive } from "../../server/archive/session-archive.ts";

let root: string;
let logs: Record<string, unknown>[];
beforeEach(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), "deckcast-manifest-"));
  logs = [];
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});
const log = () => pino({ level: "info" }, { write: (s: string) => void logs.push(JSON.parse(s) as Record<string, unknown>) });

const T0 = Date.parse("2026-11-22T01:00:00.250Z");
const init = (code: string) => ({ session: `20261122-010000-${code}`, room: code, title: "Quarterly", owner: "alice@localhost", presenter: "alice@localhost", createdAt: "2026-11-22T01:00:00.000Z" });
const stamped = (seq: number, events: DeckEvent[], t = seq * 100): StampedBundle => ({ id: `b${seq}`, t, seq, ts: T0 + seq * 1000, from: "alice", events });
const deck = { id: "c".repeat(64), pages: 9, title: "Deck" };
/** audio.opus holds whole Ogg pages (the archive checks its last line's on open). */
const audio = concat(syntheticRecording({ serial: 3, pages: 1 }));

/** A session: start (with rights), a deck, a hand-over to bob (with rights), a page. */
async function session(code: string, { rights = true } = {}) {
  const a = await createSessionArchive(root, init(code));
  const r = (x: object) => (rights ? { rights: x } : undefined);
  await a.append(stamped(1, [{ type: "session-start", t: 0, title: "Quarterly", presenter: "alice" }], 0), r({ owner: "alice@localhost", presenter: "alice@localhost" }));
  await a.append({ ...stamped(2, [{ type: "deck-open", t: 150, deck }]), audio: { t: 100, data: audio } });
  await a.append(stamped(3, [{ type: "presenter", t: 300, nick: "bob" }]), r({ presenter: "bob@localhost" }));
  await a.append(stamped(4, [{ type: "page", t: 420, page: 2 }]));
  return a;
}

const manifestFile = (dir: string) => path.join(dir, "manifest.json");
async function truncateToHalf(file: string) {
  const text = await readFile(file, "utf8");
  await writeFile(file, text.slice(0, text.length >> 1));
}

describe("a damaged manifest", () => {
  it("never stops the listing: damaged folders are listed for rebuilding, the rest as before", async () => {
    const open = await session("aaaaaa");
    const ended = await session("bbbbbb");
    await ended.update({ endedAt: "2026-11-22T02:00:00.000Z" });
    const torn = await session("cccccc");
    const wrongShape = await session("dddddd");
    for (const a of [open, ended, torn, wrongShape]) await a.close();
    await truncateToHalf(manifestFile(torn.dir));
    await writeFile(manifestFile(wrongShape.dir), "null\n");
    await mkdir(path.join(archivesDir(root), "20261122-010000-empty1")); // no manifest, no journal: not an archive
    await writeFile(path.join(archivesDir(root), "stray-file"), "x");

    expect(await listOpenSessions(root, log())).toEqual([open.dir, torn.dir, wrongShape.dir]);
  });

  it("is rebuilt from the journal: room, title, times, deck, counts, owner and presenter", async () => {
    const a = await session("k7m2qd");
    const expected = { ...a.manifest, counts: { ...a.manifest.counts } };
    await a.close();
    await truncateToHalf(manifestFile(a.dir));

    const again = await openSessionArchive(a.dir, { log: log() });
    expect(again.manifest).toEqual({ ...expected, createdAt: new Date(T0 + 1000).toISOString(), presenter: "bob@localhost" });
    expect(again.manifest).toMatchObject({ session: "20261122-010000-k7m2qd", room: "k7m2qd", title: "Quarterly", owner: "alice@localhost", endedAt: null, deck, duration: 420, counts: { bundles: 4, events: 4, audioBytes: audio.length } });
    expect(JSON.parse(await readFile(manifestFile(a.dir), "utf8"))).toEqual(again.manifest); // written
    expect(logs.find((l) => /rebuilt/.test(String(l.msg)))).toMatchObject({ level: 50, dir: a.dir, reason: expect.stringMatching(/does not parse/) });
    await again.close();
  });

  it("takes endedAt from a session-stop line", async () => {
    const a = await session("stopqd");
    await a.append(stamped(5, [{ type: "session-stop", t: 900 }]));
    await a.close();
    await writeFile(manifestFile(a.dir), "{");
    const again = await openSessionArchive(a.dir, { log: log() });
    expect(again.manifest.endedAt).toBe(new Date(T0 + 5000).toISOString());
    await again.close();
    expect(await listOpenSessions(root)).toEqual([]);
  });

  it("of an archive older than rights is rebuilt as closed, kept for replay, and said so", async () => {
    const a = await session("oldone", { rights: false });
    await a.close();
    await truncateToHalf(manifestFile(a.dir));
    const again = await openSessionArchive(a.dir, { log: log() });
    expect(again.manifest.endedAt).toBe(new Date(T0 + 4000).toISOString());
    expect(again.journal.lastSeq).toBe(4);
    expect(logs.filter((l) => l.level === 50).map((l) => String(l.msg)), "errors logged").toContainEqual(expect.stringMatching(/closed, kept for replay/));
    await again.close();
  });
});

describe("manifest writes", () => {
  it("50 concurrent updates all succeed and the manifest holds the last one", async () => {
    const a = await createSessionArchive(root, init("concur"));
    const results = await Promise.allSettled(Array.from({ length: 50 }, (_, i) => a.update({ title: `title ${i}` })));
    expect(results.filter((r) => r.status === "rejected")).toEqual([]);
    expect(JSON.parse(await readFile(manifestFile(a.dir), "utf8")).title).toBe("title 49");
    expect((await readdir(a.dir)).filter((n) => n.endsWith(".tmp"))).toEqual([]);
    await a.close();
  });
});
