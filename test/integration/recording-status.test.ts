/**
 * The recording's health in the room (issue 12 item 1; docs/protocol.md §Recording status),
 * over real Prosody with the archive on a small tmpfs mounted for the test (needs root):
 * before a meeting the presenter can ask whether recording is available and how much room
 * the disk has; during it a `<recording-status/>` reaches presenter and follower every 5 s
 * (size, duration, free, rate); a disk that fills sends state="failed" ("disk full") to both
 * at once — not archived, so it gets through while the disk takes nothing — and once space is
 * freed the meeting goes on, the status says "recording" again and the archived `recording`
 * event catches up. The failure's latency (refused bundle → status at each client) is logged.
 */
import { execFileSync } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import xml, { type Element } from "@xmpp/xml";
import { encodeBase64 } from "../../protocol/base64.ts";
import { NS } from "../../protocol/namespaces.ts";
import { recordingStatusOf, type RecordingStatus } from "../../protocol/recording-status.ts";
import { decodeError } from "../../protocol/stanza-error.ts";
import { Follower } from "../../client-core/follower.ts";
import { PASSWORD, startDeckcast, waitFor, type TestDeckcast } from "../support/deckcast.ts";
import { concat, syntheticRecording } from "../support/opus.ts";
import { connectGuest, connectUser, type TestClient } from "../support/xmpp.ts";
import { tryMountTmpfs } from "../support/tmpfs.ts";

const mountDir = await mkdtemp(path.join(os.tmpdir(), "deckcast-recstatus-"));
const mounted = tryMountTmpfs(mountDir);
if (!mounted) console.warn("recording-status test skipped: mounting a tmpfs needs root");

/** Every recording status a client receives from the room, with when it arrived. */
function statuses(c: TestClient, room: string): { at: number; s: RecordingStatus }[] {
  const got: { at: number; s: RecordingStatus }[] = [];
  c.xmpp.on("stanza", (el: Element) => {
    if (el.name !== "message" || el.attrs.type !== "groupchat" || !String(el.attrs.from ?? "").startsWith(`${room}/`)) return;
    const r = recordingStatusOf(el);
    if (r?.ok) got.push({ at: performance.now(), s: r.value });
  });
  return got;
}

describe.skipIf(!mounted)("the recording's health in the room", () => {
  let dc: TestDeckcast;
  const clients: TestClient[] = [];
  beforeAll(async () => {
    dc = await startDeckcast({ componentDataDir: mountDir });
  });
  afterAll(async () => {
    for (const c of clients) await c.stop();
    await dc?.stop();
    execFileSync("umount", [mountDir]);
    await rm(mountDir, { recursive: true, force: true });
  });

  it("says before a meeting whether it can be recorded; guests may not ask", async () => {
    const alice = await connectUser(dc.prosody, "alice", PASSWORD);
    const guest = await connectGuest(dc.prosody);
    clients.push(alice, guest);
    const res = await alice.xmpp.iqCaller.request(xml("iq", { type: "get", to: dc.prosody.domains.component }, xml("recording-status", { xmlns: NS.deckcast })));
    const s = recordingStatusOf(res);
    expect(s?.ok && s.value.state).toBe("available");
    expect(s?.ok && s.value.free).toBeGreaterThan(0);
    expect(s?.ok && s.value.free).toBeLessThanOrEqual(256 * 1024);
    const refused = await guest.xmpp.iqCaller.request(xml("iq", { type: "get", to: dc.prosody.domains.component }, xml("recording-status", { xmlns: NS.deckcast }))).then(
      () => null,
      (err: { element: Element }) => decodeError(err.element),
    );
    expect(refused?.code).toBe("guest-not-allowed");
  });

  it("sends the status every 5 s, and a full disk as state=failed to presenter and follower at once; the meeting goes on", async () => {
    const alice = await connectUser(dc.prosody, "alice", PASSWORD);
    const watcher = await connectGuest(dc.prosody);
    clients.push(alice, watcher);
    const res = await alice.xmpp.iqCaller.request(xml("iq", { type: "set", to: dc.prosody.domains.component }, xml("create", { xmlns: NS.deckcast })));
    const m = res.getChild("meeting", NS.deckcast)!.attrs as { room: string; jid: string; code: string };
    const presenter = new Follower(alice.xmpp, { room: m.room, meeting: m.jid, nick: "alice" });
    const f = new Follower(watcher.xmpp, { room: m.room, meeting: m.jid, nick: "watcher" });
    const atPresenter = statuses(alice, m.room);
    const atFollower = statuses(watcher, m.room);
    await presenter.join();
    await f.join();

    // A meeting's status on request (a joiner need not wait for the next one).
    const now = recordingStatusOf(await watcher.xmpp.iqCaller.request(xml("iq", { type: "get", to: m.jid }, xml("recording-status", { xmlns: NS.deckcast }))));
    expect(now?.ok && now.value.state).toBe("recording");

    // The periodic status: twice at each (waiting, not timing).
    await waitFor(() => atPresenter.length >= 2 && atFollower.length >= 2, 20_000, "two periodic statuses");
    const first = atFollower[0]!.s;
    expect(first.state).toBe("recording");
    expect(first.bytes).toBeGreaterThan(0); // events.jsonl holds session-start
    expect(first.free).toBeGreaterThan(0);
    expect(first.duration).toBeGreaterThan(0);

    const pages = syntheticRecording({ serial: 5, pages: 12, packetBytes: 1600 });
    const chunk = (i: number) => (i === 0 ? concat(pages.slice(0, 3)) : pages[i + 2]!);
    const send = async (id: string, page: number) => {
      const t = String(10 + page * 200);
      try {
        const ack = await alice.xmpp.iqCaller.request(xml("iq", { type: "set", to: m.jid }, xml("bundle", { xmlns: NS.deckcast, id, t }, xml("page", { t, page: "1" }), xml("audio", { t }, encodeBase64(chunk(page))))));
        return { seq: Number(ack.getChild("ack", NS.deckcast)!.attrs.seq), error: null };
      } catch (err) {
        return { seq: 0, error: decodeError((err as { element: Element }).element) };
      }
    };

    // Fill the disk, leaving less room than one bundle's audio.
    const filler = path.join(mountDir, "filler");
    await writeFile(filler, Buffer.alloc(256 * 1024 - 24 * 1024)).catch(() => undefined);
    let refused = null;
    let page = 0;
    let sentAt = 0;
    for (; page < 10 && !refused; page++) {
      sentAt = performance.now();
      refused = (await send(`fill-${page}`, page)).error;
    }
    expect(refused?.code).toBe("archive-failed");
    const failedAt = (list: typeof atPresenter) => list.find((x) => x.at >= sentAt && x.s.state === "failed");
    await waitFor(() => failedAt(atPresenter) !== undefined && failedAt(atFollower) !== undefined, 10_000, "the failure at presenter and follower");
    const pf = failedAt(atPresenter)!;
    const ff = failedAt(atFollower)!;
    expect(pf.s.reason).toBe("disk full");
    expect(ff.s.reason).toBe("disk full");
    console.log(`[recording-status] failure reached the presenter ${(pf.at - sentAt).toFixed(1)} ms and the follower ${(ff.at - sentAt).toFixed(1)} ms after the refused bundle was sent (target < 1000 ms)`);

    // While full the status keeps saying so (it is not archived, so it gets through).
    const n = atFollower.length;
    await waitFor(() => atFollower.length > n, 10_000, "a status while the disk is full");
    expect(atFollower.at(-1)!.s.state).toBe("failed");

    // Space again: the refused page is taken, the status says recording again, the archived report follows.
    await rm(filler);
    const after = await send("after", page - 1);
    expect(after.error).toBeNull();
    await waitFor(() => atFollower.at(-1)!.s.state === "recording", 10_000, "recording again in the status");
    await waitFor(() => f.state?.recording?.state === "recording", 15_000, "the archived recording report");
    await waitFor(() => f.seq === dc.component.meetings.get(m.code)!.archive.journal.lastSeq, 10_000, "the follower to catch up");
    const archived = await dc.component.meetings.get(m.code)!.archive.journal.read(1, f.seq);
    expect(archived.map((b) => b.seq)).toEqual(archived.map((_, i) => i + 1)); // nothing numbered while full; no hole
    expect(archived.some((b) => b.events.some((e) => e.type === "recording" && e.state === "failed"))).toBe(true);
  });
});
