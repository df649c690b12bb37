/**
 * The seek index (server/archive/seek-index.ts) on a real archive folder: seeking anywhere
 * gives exactly the room applyUntil gives from the start; a torn or missing index.jsonl is
 * rebuilt when the archive opens; a live archive's index grows with every append.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { appendFile, mkdtemp, readFile, rm, stat, unlink } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { applyUntil, initialState } from "../../protocol/reducer.ts";
import type { DeckEvent, StampedBundle } from "../../protocol/types.ts";
import { INDEX_FILE, KEY_EVERY_MS } from "../../server/archive/seek-index.ts";
import { createSessionArchive, openSessionArchive, type SessionArchive } from "../../server/archive/session-archive.ts";
import { syntheticRecording } from "../support/opus.ts";
import { rng } from "../support/rng.ts";

let dataDir: string;
beforeEach(async () => {
  dataDir = await mkdtemp(path.join(os.tmpdir(), "deckcast-seek-"));
});
afterEach(async () => {
  await rm(dataDir, { recursive: true, force: true });
});

const DECK = (n: number) => ({ id: n.toString(16).padStart(64, "0"), pages: 20, title: `Deck ${n}` });
const TITLE = "Seek test";

/** A session of `count` bundles: page turns, strokes drawn in progress and finished, pointer, deck changes, audio pages. */
function generate(count: number, seed = 1): StampedBundle[] {
  const rand = rng(seed);
  const audio = syntheticRecording({ serial: 7, pages: count, framesPerPage: 5, packetBytes: 20 });
  const header = [audio[0]!, audio[1]!];
  const out: StampedBundle[] = [];
  let t = 0;
  let strokes = 0;
  let drawing: string | null = null;
  let inkPage = 1;
  for (let seq = 1; seq <= count; seq++) {
    t += Math.floor(rand() * 400);
    const events: DeckEvent[] = [];
    if (seq === 1) events.push({ type: "session-start", t, title: TITLE, presenter: "alice" }, { type: "deck-open", t, deck: DECK(1) });
    const n = 1 + Math.floor(rand() * 4);
    for (let i = 0; i < n; i++) {
      const et = t + Math.floor(rand() * 120); // events a little after the bundle's own t
      const r = rand();
      const page = 1 + Math.floor(rand() * 20);
      if (r < 0.1) events.push({ type: "page", t: et, page });
      else if (r < 0.1005) events.push({ type: "deck-open", t: et, deck: DECK(2 + Math.floor(rand() * 3)) });
      else if (r < 0.45) {
        drawing ??= `s${++strokes}`;
        events.push({ type: "ink-progress", t: et, page: inkPage, stroke: drawing, tool: "pen", color: "#ff0000", width: 3, points: [Math.floor(rand() * 1000), Math.floor(rand() * 1000)] });
      } else if (r < 0.55 && drawing) {
        events.push({ type: "ink-stroke", t: et, page: inkPage, stroke: drawing, tool: "pen", color: "#ff0000", width: 3, points: [1, 2, 3, 4] });
        drawing = null;
        inkPage = 1 + Math.floor(rand() * 3);
      } else if (r < 0.56) events.push({ type: "ink-erase", t: et, page: 1 + Math.floor(rand() * 3), strokes: [`s${1 + Math.floor(rand() * strokes)}`] });
      else if (r < 0.565) events.push({ type: "ink-undo", t: et, page: 1 + Math.floor(rand() * 3) });
      else if (r < 0.5605) events.push({ type: "ink-clear", t: et, page: 1 + Math.floor(rand() * 3) });
      else events.push({ type: "pointer", t: et, page: 1, x: Math.floor(rand() * 1000), y: Math.floor(rand() * 1000) });
    }
    events.sort((a, b) => a.t - b.t);
    const data = seq === 1 ? concat([...header, audio[2]!]) : audio[seq + 1]!;
    out.push({ id: `b${seq}`, t, seq, ts: 1_700_000_000_000 + t, from: "alice", events, audio: { t, data } });
  }
  return out;
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

async function newArchive(): Promise<SessionArchive> {
  return createSessionArchive(dataDir, { session: "20261201-120000-abcdef", room: "abcdef", title: TITLE, owner: "alice@localhost", presenter: "alice@localhost", createdAt: new Date(1_700_000_000_000).toISOString() });
}

async function expectSeeksMatch(archive: SessionArchive, times: number[]): Promise<void> {
  const all = await archive.journal.read(1, archive.journal.lastSeq);
  const read = (from: number, to: number) => archive.journal.read(from, to);
  for (const t of times) {
    const got = await archive.index.seek(t, read, archive.journal.lastSeq);
    const want = applyUntil(initialState(TITLE), all, t);
    expect({ t, state: got.state, seq: got.seq, events: got.events }).toEqual({ t, state: want.state, seq: want.seq, events: want.events });
  }
}

describe("seek index", () => {
  it("seeking at 200 random times gives the room applyUntil gives from the start, reading at most to the next keyframe", async () => {
    const archive = await newArchive();
    const bundles = generate(3000);
    for (const b of bundles) await archive.append(b);
    const end = archive.index.duration;
    expect(end).toBeGreaterThan(20 * KEY_EVERY_MS);
    expect(archive.index.keys.length).toBeGreaterThan(20);
    const rand = rng(42);
    const times = [0, end, end + 5000, ...Array.from({ length: 197 }, () => Math.floor(rand() * end))];
    await expectSeeksMatch(archive, times);
    // One keyframe plus the lines to the next one: never more than ~10 s or 2000 events.
    const keys = archive.index.keys;
    for (let i = 1; i < keys.length; i++) {
      const lines = bundles.slice(keys[i - 1]!.seq, keys[i]!.seq);
      const events = lines.reduce((n, b) => n + b.events.length, 0);
      expect(events <= 2000 + 10 || keys[i]!.t - keys[i - 1]!.t <= KEY_EVERY_MS + 1000).toBe(true);
    }
    // Pages: every deck-open and page change, with its deck; audio: at most one a second, at line offsets.
    expect(archive.index.pages[0]).toMatchObject({ seq: 1, deck: DECK(1).id, page: 1 });
    const audio = archive.index.audio;
    for (let i = 1; i < audio.length; i++) expect(audio[i]!.t - audio[i - 1]!.t).toBeGreaterThanOrEqual(1000);
    const lines = await archive.journal.readAll();
    const offsets = new Set(lines.map((l) => l.audio?.offset));
    for (const a of audio) expect(offsets.has(a.offset)).toBe(true);
    // Keys carry only the ink that changed since the key before: a finished stroke is written
    // about once, not again in every later key (which made the index many times the journal).
    await archive.index.flushed();
    const indexText = await readFile(path.join(archive.dir, INDEX_FILE), "utf8");
    const finished = new Set(bundles.flatMap((b) => b.events.filter((e) => e.type === "ink-stroke").map((e) => (e as { stroke: string }).stroke))).size;
    const written = indexText.split('"stroke":').length - 1;
    expect(finished).toBeGreaterThan(100);
    expect(written).toBeLessThan(3 * finished + archive.index.keys.length);
    await archive.close();
  });

  it("rebuilds a torn index line, and a missing index, when the archive opens", async () => {
    const archive = await newArchive();
    for (const b of generate(1500, 3)) await archive.append(b);
    await archive.close();
    const dir = archive.dir;
    const file = path.join(dir, INDEX_FILE);
    const whole = await readFile(file, "utf8");
    const keysBefore = archive.index.summary();

    await appendFile(file, '{"kind":"key","seq":99999,"t":1,"sta'); // a torn last line
    const reopened = await openSessionArchive(dir);
    expect(await readFile(file, "utf8")).toBe(whole);
    expect(reopened.index.summary()).toEqual(keysBefore);
    // Keys are written as changes of ink from the key before: read back, they are the rooms themselves.
    expect(reopened.index.keys).toEqual(archive.index.keys);
    expect(archive.index.keys.some((k) => Object.keys(k.state.ink).length > 1)).toBe(true);
    await expectSeeksMatch(reopened, [0, 1234, 56_789, reopened.index.duration]);
    await reopened.close();

    // A damaged line in the middle: the index is cut back to the key before it and indexed again.
    const lines = whole.split("\n");
    const mid = Math.floor(lines.length / 2);
    lines[mid] = lines[mid]!.slice(0, 10) + "#" + lines[mid]!.slice(11);
    await rm(file);
    await appendFile(file, lines.join("\n"));
    const repaired = await openSessionArchive(dir);
    expect(await readFile(file, "utf8")).toBe(whole);
    expect(repaired.index.summary()).toEqual(keysBefore);
    await repaired.close();

    await unlink(file);
    const rebuilt = await openSessionArchive(dir);
    expect(await readFile(file, "utf8")).toBe(whole);
    await expectSeeksMatch(rebuilt, [0, 9999, rebuilt.index.duration]);
    await rebuilt.close();
  });

  it("grows as a live archive is appended to, and answers seeks near the live edge", async () => {
    const archive = await newArchive();
    const bundles = generate(900, 5);
    let keys = 0;
    let size = 0;
    for (const [i, b] of bundles.entries()) {
      await archive.append(b);
      if (i % 150 === 149) {
        await archive.index.flushed();
        const now = (await stat(path.join(archive.dir, INDEX_FILE))).size;
        expect(now).toBeGreaterThan(size);
        expect(archive.index.keys.length).toBeGreaterThanOrEqual(keys);
        size = now;
        keys = archive.index.keys.length;
        expect(archive.index.last).toBe(b.seq);
        await expectSeeksMatch(archive, [archive.index.duration, Math.max(0, archive.index.duration - 3000)]);
      }
    }
    expect(keys).toBeGreaterThan(5);
    await archive.close();
  });
});
