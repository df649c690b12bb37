/**
 * A full disk under the archive: the presenter is told (archive-failed), nothing is relayed
 * or numbered, the component stays up, the room is told the recording failed, and once there
 * is room again the sequence continues with no hole and recording is reported on again. The archive lives on a small tmpfs mounted for the test (needs root).
 */
import { execFileSync } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import xml, { type Element } from "@xmpp/xml";
import { encodeBase64 } from "../../protocol/base64.ts";
import { NS } from "../../protocol/namespaces.ts";
import { decodeError } from "../../protocol/stanza-error.ts";
import type { RecordingEvent } from "../../protocol/types.ts";
import { Follower } from "../../client-core/follower.ts";
import { PASSWORD, startDeckcast, waitFor, type TestDeckcast } from "../support/deckcast.ts";
import { concat, syntheticRecording } from "../support/opus.ts";
import { connectGuest, connectUser, type TestClient } from "../support/xmpp.ts";
import { tryMountTmpfs } from "../support/tmpfs.ts";

const mountDir = await mkdtemp(path.join(os.tmpdir(), "deckcast-fulldisk-"));
const mounted = tryMountTmpfs(mountDir);
if (!mounted) console.warn("full-disk test skipped: mounting a tmpfs needs root");

describe.skipIf(!mounted)("a full disk under the archive", () => {
  let dc: TestDeckcast;
  const clients: TestClient[] = [];
  beforeAll(async () => {
    dc = await startDeckcast({ componentDataDir: mountDir, recordingReportMs: 200 });
  });
  afterAll(async () => {
    for (const c of clients) await c.stop();
    await dc?.stop();
    execFileSync("umount", [mountDir]);
    await rm(mountDir, { recursive: true, force: true });
  });

  it("refuses with archive-failed, reports the failure to the room, and continues without a hole when space returns", async () => {
    const alice = await connectUser(dc.prosody, "alice", PASSWORD);
    const watcher = await connectGuest(dc.prosody);
    clients.push(alice, watcher);
    const res = await alice.xmpp.iqCaller.request(xml("iq", { type: "set", to: dc.prosody.domains.component }, xml("create", { xmlns: NS.deckcast })));
    const m = res.getChild("meeting", NS.deckcast)!.attrs as { room: string; jid: string; code: string };
    const f = new Follower(watcher.xmpp, { room: m.room, meeting: m.jid, nick: "watcher" });
    const seen: number[] = [];
    f.on("bundle", (b) => seen.push(b.seq));
    await f.join();

    // Alice's recording: 16 KB pages (valid Ogg Opus framing), one a bundle, 200 ms apart.
    const pages = syntheticRecording({ serial: 5, pages: 12, packetBytes: 1600 });
    const chunk = (i: number) => (i === 0 ? concat(pages.slice(0, 3)) : pages[i + 2]!);
    const send = async (id: string, page: number) => {
      const t = String(10 + page * 200);
      const audio = encodeBase64(chunk(page));
      try {
        const ack = await alice.xmpp.iqCaller.request(xml("iq", { type: "set", to: m.jid }, xml("bundle", { xmlns: NS.deckcast, id, t }, xml("page", { t, page: "1" }), xml("audio", { t }, audio))));
        return { seq: Number(ack.getChild("ack", NS.deckcast)!.attrs.seq), error: null };
      } catch (err) {
        return { seq: 0, error: decodeError((err as { element: Element }).element) };
      }
    };
    const reports: RecordingEvent[] = [];
    f.on("bundle", (b) => reports.push(...b.events.filter((e): e is RecordingEvent => e.type === "recording")));

    // Fill the disk, leaving less room than one bundle's audio.
    const filler = path.join(mountDir, "filler");
    await writeFile(filler, Buffer.alloc(256 * 1024 - 24 * 1024)).catch(() => undefined);
    let refused = null;
    let page = 0;
    for (; page < 10 && !refused; page++) refused = (await send(`fill-${page}`, page)).error;
    expect(refused?.code).toBe("archive-failed");
    expect(refused?.text).toMatch(/ENOSPC/);

    // The room is told (over the room itself, so archived first: retried until there is room).
    await rm(filler);
    await waitFor(() => f.state?.recording?.state === "failed", 10_000, "the failure report");
    expect(f.state?.recording?.reason).toBe("disk full");
    const lastGood = dc.component.meetings.get(m.code)!.archive.journal.lastSeq;

    // Alice resends the refused page: it is taken now, and recording is reported on again.
    const after = await send("after", page - 1);
    expect(after.error).toBeNull();
    expect(after.seq).toBe(lastGood + 1); // nothing was numbered while the disk was full
    await waitFor(() => f.state?.recording?.state === "recording", 10_000, "recording to be reported again");
    expect(reports.map((r) => r.state)).toEqual(["recording", ...reports.slice(1, -1).map((r) => r.state), "recording"]);
    expect(reports.filter((r) => r.state === "failed")).toHaveLength(1);
    await waitFor(() => f.seq === dc.component.meetings.get(m.code)!.archive.journal.lastSeq);
    expect(seen).toEqual(seen.map((_, i) => seen[0]! + i)); // no hole, nothing extra
    const archived = await dc.component.meetings.get(m.code)!.archive.journal.read(1, f.seq);
    expect(archived.map((b) => b.seq)).toEqual(archived.map((_, i) => i + 1));
  });
});
