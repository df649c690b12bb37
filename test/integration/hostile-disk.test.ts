/**
 * A full disk, again and again (issue 9 items 3 and 4): the archive lives on a small tmpfs
 * (needs root) while the presenter talks steadily, a bundle with audio every 100 ms. The disk
 * is filled to the brim, or to within a few KiB (so writes come back short), then freed, five
 * times; the last time the component is killed while the disk is full and started again.
 * Afterwards the component is up, every acknowledged bundle and page turn is archived once,
 * every page of audio.opus passes its CRC, followers agree with the archive, and the restored
 * meeting's audio is on.
 */
import { execFileSync } from "node:child_process";
import { mkdtemp, rm, stat, truncate, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { Follower } from "../../client-core/follower.ts";
import { acknowledgedProblems, archiveDir, audioProblems, readArchive, readTitle, reduceArchive } from "../support/hostile-archive.ts";
import { talk } from "../support/hostile-audio.ts";
import { PASSWORD, startHostileStack, type HostileStack } from "../support/hostile-stack.ts";
import { createMeeting } from "../support/hostile-xmpp.ts";
import { connectGuest, connectUser, type TestClient } from "../support/xmpp.ts";
import { waitFor } from "../support/deckcast.ts";
import { tryMountTmpfs } from "../support/tmpfs.ts";

const SIZE = 1024 * 1024;

const mountDir = await mkdtemp(path.join(os.tmpdir(), "deckcast-hostile-disk-"));
const mounted = tryMountTmpfs(mountDir, String(SIZE));
if (!mounted) console.warn("hostile full-disk test skipped: mounting a tmpfs needs root");
const filler = path.join(mountDir, "filler");

/** Fills the tmpfs, then gives back `room` bytes (0: not one byte left). */
async function fill(room: number): Promise<void> {
  await writeFile(filler, Buffer.alloc(SIZE)).catch(() => undefined); // ENOSPC once full: what fits stays
  if (room > 0) {
    const { size } = await stat(filler);
    await truncate(filler, Math.max(0, size - room));
  }
}

describe.skipIf(!mounted)("a full disk under a talking presenter", () => {
  let stack: HostileStack;
  const clients: TestClient[] = [];
  beforeAll(async () => {
    stack = await startHostileStack({ componentDataDir: mountDir, recordingReportMs: 300 });
  });
  afterAll(async () => {
    for (const c of clients) await c.stop();
    await stack?.stop();
    execFileSync("umount", [mountDir]);
    await rm(mountDir, { recursive: true, force: true });
  });

  it("fills and frees five times (the last with a kill -9 while full): nothing acknowledged is lost or corrupted, and audio goes on after the restart", async () => {
    const alice = await connectUser(stack.prosody, "alice", PASSWORD);
    const w = await connectGuest(stack.prosody);
    clients.push(alice, w);
    const meeting = await createMeeting(alice, stack.prosody.domains.component, "Full disk");
    const watcher = new Follower(w.xmpp, { room: meeting.room, meeting: meeting.jid, nick: "watcher" });
    await watcher.join();
    const t = talk(alice.xmpp, { meeting: meeting.jid, clock: () => Date.now() - meeting.started, packetBytes: 300 });
    await waitFor(() => t.acked.size >= 5, 20_000, "the first acknowledgements");

    let lastSeqBeforeRestart = 0;
    for (const [cycle, room] of [0, 3000, 7000, 11_000, 5000].entries()) {
      await fill(room);
      const sentAtFill = t.sent;
      await waitFor(() => t.sent >= sentAtFill + 12, 20_000, "the presenter to talk on into the full disk");
      if (cycle === 4) {
        await stack.component.kill9();
        lastSeqBeforeRestart = (await readArchive(archiveDir(stack.componentDataDir, meeting.session))).at(-1)!.seq;
      }
      const ackedAtFree = t.acked.size;
      await rm(filler);
      if (cycle === 4) await stack.startComponent();
      expect(stack.component.exit, `the component exited:\n${stack.component.stderrTail()}`).toBeNull();
      await waitFor(() => t.acked.size >= ackedAtFree + 8, 30_000, `acknowledgements after freeing the disk (cycle ${cycle + 1})`);
    }
    await Promise.race([t.finish(), new Promise((_, reject) => setTimeout(() => reject(new Error("timed out: everything queued to be acknowledged")), 30_000))]);
    // The last recording report follows the last audio within recordingReportMs: wait for it
    // to land. Once the archive ends with a report, nothing is left to report or archive.
    const dir = archiveDir(stack.componentDataDir, meeting.session);
    await vi.waitFor(async () => {
      const last = (await readArchive(dir)).at(-1);
      expect(last?.events.map((e) => e.type), "the archive's last line").toEqual(["recording"]);
    }, { timeout: 15_000, interval: 50 });
    const lines = await readArchive(dir);
    expect(acknowledgedProblems(lines, t.acked)).toEqual([]);
    expect(t.refused, "bundles refused for good").toEqual([]);
    const turns = lines.filter((l) => !l.id.startsWith("srv-")).flatMap((l) => l.events.filter((e) => e.type === "page").map((e) => e.t));
    expect(turns, "every page turn sent is archived once, in order").toEqual(t.times);
    expect(await audioProblems(dir, lines)).toEqual([]);
    const restored = lines.filter((l) => l.seq > lastSeqBeforeRestart);
    expect(restored.filter((l) => l.audio).length, "audio archived after the restart").toBeGreaterThan(5);

    await waitFor(() => watcher.seq >= lines.at(-1)!.seq, 30_000, "the follower to catch up");
    const reduced = reduceArchive(lines, await readTitle(dir));
    expect(watcher.state).toEqual(reduced);
    const late = new Follower((await connectGuest(stack.prosody).then((c) => (clients.push(c), c))).xmpp, { room: meeting.room, meeting: meeting.jid, nick: "late" });
    expect(await late.join()).toEqual(reduced);
    expect(late.audioHeader, "the restored meeting's audio stream is on (its header pages are in the state)").not.toBeNull();
    expect(watcher.state?.recording?.state).toBe("recording");
  });
});
