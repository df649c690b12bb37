/**
 * The journal on a disk that fills up (a small tmpfs mounted for the test; needs root): a
 * write the disk takes only part of is finished or undone to each file's real size, so after
 * space returns audio.opus is still one valid Ogg stream whose every page passes its CRC,
 * every line's audio range holds exactly the bytes that were appended, and nothing is padded
 * with zeros. Also: a full disk during a manifest write leaves the old manifest whole and
 * never fails an append.
 */
import { execFileSync } from "node:child_process";
import { mkdir, mkdtemp, readdir, readFile, rm, statfs, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { parsePages } from "../../protocol/ogg.ts";
import type { StampedBundle } from "../../protocol/types.ts";
import { openJournal } from "../../server/archive/journal.ts";
import { createSessionArchive } from "../../server/archive/session-archive.ts";
import { concat, syntheticRecording } from "../support/opus.ts";

const mountDir = await mkdtemp(path.join(os.tmpdir(), "deckcast-journal-disk-"));
const mounted = (() => {
  try {
    execFileSync("mount", ["-t", "tmpfs", "-o", "size=320k", "tmpfs", mountDir], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
})();
if (!mounted) console.warn("journal full-disk tests skipped: mounting a tmpfs needs root");

afterAll(async () => {
  if (mounted) {
    try {
      execFileSync("umount", [mountDir], { stdio: "ignore" });
    } catch {
      execFileSync("umount", ["-l", mountDir]); // a failed test may have left a file open
    }
  }
  await rm(mountDir, { recursive: true, force: true });
});

const bundle = (seq: number, audio?: Uint8Array, events: StampedBundle["events"] = []): StampedBundle => ({
  id: `b${seq}`,
  t: seq * 100,
  seq,
  ts: 1_700_000_000_000 + seq,
  from: "alice",
  events,
  ...(audio ? { audio: { t: seq * 100, data: audio } } : {}),
});

/** Fills the file system but for `leaveBytes`; returns the filler's path. */
async function fill(name: string, leaveBytes: number): Promise<string> {
  const s = await statfs(mountDir);
  const filler = path.join(mountDir, name);
  await writeFile(filler, Buffer.alloc(Math.max(0, s.bavail * s.bsize - leaveBytes))).catch(() => undefined);
  return filler;
}

describe.skipIf(!mounted)("the journal on a full disk", () => {
  it("finishes or undoes short writes exactly: audio.opus stays valid Ogg and every line's audio is what was appended", async () => {
    const dir = path.join(mountDir, "short");
    await mkdir(dir);
    // One recording: the header pages ride with the first audio page, then one ~10 KB page a bundle.
    const pages = syntheticRecording({ serial: 7, pages: 14, packetBytes: 1000 });
    const chunks = [concat(pages.slice(0, 3)), ...pages.slice(3)];
    const j = await openJournal(dir);
    const filler = await fill("filler-short", 24 * 1024);

    // Append until the disk refuses twice (the second try is the presenter's resend).
    const errors: string[] = [];
    let next = 0;
    while (next < chunks.length && errors.length < 2) {
      try {
        await j.append(bundle(j.lastSeq + 1, chunks[next]!));
        next++;
      } catch (err) {
        errors.push((err as NodeJS.ErrnoException).code ?? (err as Error).message);
      }
    }
    expect(errors).toEqual(["ENOSPC", "ENOSPC"]);
    expect(next).toBeGreaterThan(0);
    // The counters are the files' real sizes.
    expect(j.audioBytes).toBe((await readFile(path.join(dir, "audio.opus"))).length);

    // Space returns; the refused chunk is sent again, then the rest.
    await rm(filler);
    for (; next < chunks.length; next++) await j.append(bundle(j.lastSeq + 1, chunks[next]!));

    const file = new Uint8Array(await readFile(path.join(dir, "audio.opus")));
    const parsed = parsePages(file);
    expect(parsed.ok ? "every page whole and its CRC right" : parsed.error.message).toBe("every page whole and its CRC right");
    expect(file).toEqual(concat(chunks));
    const read = await j.read(1, j.lastSeq);
    expect(read.map((b) => b.audio?.data)).toEqual(chunks);
    await j.close();

    // Reopened, the journal agrees (nothing to repair).
    const again = await openJournal(dir);
    expect(again.lastSeq).toBe(chunks.length);
    expect(again.audioBytes).toBe(file.length);
    expect((await again.read(1, again.lastSeq)).map((b) => b.audio?.data)).toEqual(chunks);
    await again.close();
  });

  it("keeps the old manifest whole when the disk is full, and the append that changed it still succeeds", async () => {
    const a = await createSessionArchive(mountDir, { session: "20261122-010000-fulldk", room: "fulldk", title: "Q3", owner: "alice@localhost", presenter: "alice@localhost", createdAt: "2026-11-22T01:00:00.000Z" });
    await a.append(bundle(1, undefined, [{ type: "session-start", t: 0, title: "Q3", presenter: "alice" }]));
    const file = path.join(a.dir, "manifest.json");
    const before = await readFile(file, "utf8");
    // No block left: a new temp file cannot take a byte, while the journal's short line still
    // fits in the last block of events.jsonl.
    const filler = await fill("filler-manifest", 0);
    const deck = { id: "a".repeat(64), pages: 3, title: "Deck" };
    await expect(a.append(bundle(2, undefined, [{ type: "deck-open", t: 200, deck }]))).resolves.toBeDefined();
    await expect(a.update({ title: "Renamed" })).rejects.toThrow(/ENOSPC/);
    expect(await readFile(file, "utf8")).toBe(before);
    expect((await readdir(a.dir)).filter((n) => n.endsWith(".tmp"))).toEqual([]);

    await rm(filler);
    await a.close(); // written now
    expect(JSON.parse(await readFile(file, "utf8"))).toMatchObject({ title: "Renamed", deck, counts: { bundles: 2, events: 2 } });
  });
});
