/**
 * A session archive whose audio.opus ends in a torn page (an OS crash before the flush, or a
 * disk that filled): reopened, the unacknowledged line holding the torn page is dropped, the
 * file is cut back to the last whole page, and the session's audio stream goes on — the file
 * stays one valid Ogg Opus stream after more audio. Real files, the real stream code.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { mkdtemp, readFile, rm, truncate, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import pino from "pino";
import { parsePages } from "../../protocol/ogg.ts";
import type { AudioChunk } from "../../protocol/types.ts";
import { readFileEnds, recoverOpusSessionStream } from "../../server/archive/opus-recover.ts";
import { createOpusSessionStream, type OpusSessionStream } from "../../server/archive/opus-stream.ts";
import { createSessionArchive, openSessionArchive, type SessionArchive } from "../../server/archive/session-archive.ts";
import { concat, syntheticRecording } from "../support/opus.ts";

let root: string;
let logs: Record<string, unknown>[];
beforeEach(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), "deckcast-archive-torn-"));
  logs = [];
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});
const log = () => pino({ level: "info" }, { write: (s: string) => void logs.push(JSON.parse(s) as Record<string, unknown>) });

const init = { session: "20261122-010000-abcdef", room: "abcdef", title: "Q3", owner: "alice@localhost", presenter: "alice@localhost", createdAt: "2026-11-22T01:00:00.000Z" };

/** A presenter's recording: header pages with the first audio page, then one 200 ms page a chunk, from t=1000. */
function recording(serial: number, pages: number, t0: number): AudioChunk[] {
  const p = syntheticRecording({ serial, pages, packetBytes: 200 });
  return [concat(p.slice(0, 3)), ...p.slice(3)].map((data, i) => ({ t: t0 + i * 200, data }));
}

/** What meetings.commit does with a chunk: the stream's pages, archived bundle by bundle. */
async function talk(a: SessionArchive, stream: OpusSessionStream, chunk: AudioChunk): Promise<void> {
  const plan = stream.append(chunk);
  if (!plan.ok) throw new Error(plan.error);
  for (const [i, part] of plan.value.parts.entries()) {
    const seq = a.journal.lastSeq + 1;
    await a.append({ id: `b${seq}`, t: part.t, seq, ts: 1_700_000_000_000 + seq, from: "alice", events: [], audio: part });
    plan.value.commit(i);
  }
}

const audioFile = (a: SessionArchive) => path.join(a.dir, "audio.opus");

describe.each([
  ["zeros over the end of its last page (an OS crash before the flush)", async (file: string) => {
    const bytes = await readFile(file);
    bytes.fill(0, bytes.length - 100);
    await writeFile(file, bytes);
  }],
  ["its last page cut short (a full disk took part of it)", async (file: string) => {
    const bytes = await readFile(file);
    await truncate(file, bytes.length - 100);
  }],
] as const)("audio.opus with %s", (_, damage) => {
  it("is cut to its last whole page on open and the session's audio goes on as one valid stream", async () => {
    const a = await createSessionArchive(root, init);
    const stream = createOpusSessionStream({ title: "Q3", serial: 42 });
    const chunks = recording(5, 8, 1000);
    for (const c of chunks.slice(0, 5)) await talk(a, stream, c);
    const lastWhole = a.journal.lastSeq - 1;
    const wholeAudio = (await a.journal.read(1, lastWhole)).reduce((n, b) => n + (b.audio?.data.length ?? 0), 0);
    await a.journal.close(); // the component stops here (a crash: the manifest is not written again)
    await damage(audioFile(a));

    const again = await openSessionArchive(a.dir, { log: log() });
    expect(again.journal.lastSeq).toBe(lastWhole); // the line with the torn page was never acknowledged
    expect(again.journal.audioBytes).toBe(wholeAudio);
    expect((await readFile(audioFile(a))).length).toBe(wholeAudio);
    expect(logs.filter((l) => l.level === 40).map((l) => String(l.msg)), "warnings logged").toContainEqual(expect.stringMatching(/never flushed/));

    const recovered = recoverOpusSessionStream(await readFileEnds(audioFile(a)), { title: "Q3" });
    expect(recovered.ok ? "continues" : recovered.error).toBe("continues");
    if (!recovered.ok) return;
    // The presenter resends the unacknowledged chunk, then goes on.
    for (const c of chunks.slice(4)) await talk(again, recovered.value, c);
    await again.close();

    const file = new Uint8Array(await readFile(audioFile(a)));
    const pages = parsePages(file);
    expect(pages.ok ? "valid" : pages.error.message).toBe("valid");
    if (!pages.ok) return;
    expect(new Set(pages.value.map((p) => p.serial))).toEqual(new Set([42]));
    expect(pages.value.map((p) => p.sequence)).toEqual(pages.value.map((_, i) => i)); // no page missing or repeated
    const granules = pages.value.map((p) => p.granule).filter((g) => g > 0);
    expect(granules).toEqual([...granules].sort((x, y) => x - y));
    const reopened = await openSessionArchive(a.dir);
    const read = await reopened.journal.read(1, reopened.journal.lastSeq);
    expect(concat(read.flatMap((b) => (b.audio ? [b.audio.data] : [])))).toEqual(file);
    await reopened.close();
  });
});

describe("a whole last page", () => {
  it("is kept, with the event lines after it", async () => {
    const a = await createSessionArchive(root, init);
    const stream = createOpusSessionStream({ title: "Q3", serial: 43 });
    for (const c of recording(6, 3, 1000)) await talk(a, stream, c);
    await a.append({ id: "p1", t: 2000, seq: a.journal.lastSeq + 1, ts: 1, from: "alice", events: [{ type: "page", t: 2000, page: 2 }] });
    const last = a.journal.lastSeq;
    await a.close();
    const again = await openSessionArchive(a.dir, { log: log() });
    expect(again.journal.lastSeq).toBe(last);
    expect(logs.filter((l) => (l.level as number) >= 40)).toEqual([]);
    await again.close();
  });
});
