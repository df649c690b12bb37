/**
 * A full disk under the archive: the presenter is told (archive-failed), nothing is relayed
 * or numbered, the component stays up, and once there is room again the sequence continues
 * with no hole. The archive lives on a small tmpfs mounted for the test (needs root).
 */
import { execFileSync } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import xml, { type Element } from "@xmpp/xml";
import { NS } from "../../protocol/namespaces.ts";
import { decodeError } from "../../protocol/stanza-error.ts";
import { Follower } from "../../web-client/src/session/follower.ts";
import { PASSWORD, startDeckcast, waitFor, type TestDeckcast } from "../support/deckcast.ts";
import { connectGuest, connectUser, type TestClient } from "../support/xmpp.ts";

function tryMount(dir: string): boolean {
  try {
    execFileSync("mount", ["-t", "tmpfs", "-o", "size=256k", "tmpfs", dir], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

const mountDir = await mkdtemp(path.join(os.tmpdir(), "deckcast-fulldisk-"));
const mounted = tryMount(mountDir);
if (!mounted) console.warn("full-disk test skipped: mounting a tmpfs needs root");

describe.skipIf(!mounted)("a full disk under the archive", () => {
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

  it("refuses with archive-failed, relays nothing, and continues without a hole when space returns", async () => {
    const alice = await connectUser(dc.prosody, "alice", PASSWORD);
    const watcher = await connectGuest(dc.prosody);
    clients.push(alice, watcher);
    const res = await alice.xmpp.iqCaller.request(xml("iq", { type: "set", to: dc.prosody.domains.component }, xml("create", { xmlns: NS.deckcast })));
    const m = res.getChild("meeting", NS.deckcast)!.attrs as { room: string; jid: string; code: string };
    const f = new Follower(watcher.xmpp, { room: m.room, meeting: m.jid, nick: "watcher" });
    const seen: number[] = [];
    f.on("bundle", (b) => seen.push(b.seq));
    await f.join();

    const send = async (id: string, audioBytes: number) => {
      const audio = Buffer.alloc(audioBytes, 7).toString("base64");
      try {
        const ack = await alice.xmpp.iqCaller.request(xml("iq", { type: "set", to: m.jid }, xml("bundle", { xmlns: NS.deckcast, id, t: "10" }, xml("page", { t: "10", page: "1" }), xml("audio", { t: "10" }, audio))));
        return { seq: Number(ack.getChild("ack", NS.deckcast)!.attrs.seq), error: null };
      } catch (err) {
        return { seq: 0, error: decodeError((err as { element: Element }).element) };
      }
    };

    // Fill the disk, leaving less room than one bundle's audio.
    const filler = path.join(mountDir, "filler");
    await writeFile(filler, Buffer.alloc(256 * 1024 - 24 * 1024)).catch(() => undefined);
    let refused = null;
    for (let i = 0; i < 10 && !refused; i++) refused = (await send(`fill-${i}`, 16 * 1024)).error;
    expect(refused?.code).toBe("archive-failed");
    expect(refused?.text).toMatch(/ENOSPC/);
    const lastGood = dc.component.meetings.get(m.code)!.archive.journal.lastSeq;

    await rm(filler);
    const after = await send("after", 1024);
    expect(after.error).toBeNull();
    expect(after.seq).toBe(lastGood + 1); // nothing was numbered while the disk was full
    await waitFor(() => f.seq === after.seq);
    expect(seen).toEqual(seen.map((_, i) => seen[0]! + i)); // no hole, nothing extra
    const archived = await dc.component.meetings.get(m.code)!.archive.journal.read(1, after.seq);
    expect(archived.map((b) => b.seq)).toEqual(archived.map((_, i) => i + 1));
  });
});
