/**
 * `kill -9` mid-session (issue 9, "Keep it that way"): a presenter talks steadily (a bundle
 * with audio and a page turn every 100 ms, resent until acknowledged) while the component's
 * process, and then Prosody's, is killed with SIGKILL and comes back (the component started
 * again by the test, as a supervisor would; Prosody restarted by the launcher itself).
 * Afterwards every acknowledged bundle is in the archive exactly once, every page turn sent
 * is there exactly once, audio.opus is valid, and followers caught up with the reducer's state.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Follower } from "../../client-core/follower.ts";
import { acknowledgedProblems, archiveDir, audioProblems, readArchive, readTitle, reduceArchive } from "../support/hostile-archive.ts";
import { talk, type SteadyTalk } from "../support/hostile-audio.ts";
import { PASSWORD, startHostileStack, type HostileStack } from "../support/hostile-stack.ts";
import { createMeeting, type MeetingRef } from "../support/hostile-xmpp.ts";
import { connectGuest, connectUser, type TestClient } from "../support/xmpp.ts";
import { waitFor } from "../support/deckcast.ts";

let stack: HostileStack;
const clients: TestClient[] = [];
beforeAll(async () => {
  stack = await startHostileStack({ recordingReportMs: 3_600_000 });
});
afterAll(async () => {
  for (const c of clients) await c.stop();
  await stack?.stop();
});

/** Resolves with `p`, or rejects after `ms` naming `what`. */
function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  return Promise.race([p, new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`timed out after ${ms} ms: ${what}`)), ms))]);
}

describe("kill -9 while the presenter talks", () => {
  let alice: TestClient;
  let meeting: MeetingRef;
  let watcher: Follower;
  const talks: SteadyTalk[] = [];
  const clock = () => Date.now() - meeting.started;

  beforeAll(async () => {
    alice = await connectUser(stack.prosody, "alice", PASSWORD, { reconnect: true });
    const w = await connectGuest(stack.prosody, { reconnect: true });
    clients.push(alice, w);
    meeting = await createMeeting(alice, stack.prosody.domains.component, "Killed");
    watcher = new Follower(w.xmpp, { room: meeting.room, meeting: meeting.jid, nick: "watcher" });
    await watcher.join();
  });

  /** Everything acknowledged and everything sent is archived once; audio is valid; the follower and a late joiner agree with the archive. */
  async function expectArchiveWhole() {
    const dir = archiveDir(stack.componentDataDir, meeting.session);
    const lines = await readArchive(dir);
    const acked = new Map(talks.flatMap((t) => [...t.acked]));
    expect(acknowledgedProblems(lines, acked)).toEqual([]);
    expect(talks.flatMap((t) => t.refused), "bundles refused for good").toEqual([]);
    const turns = lines.filter((l) => !l.id.startsWith("srv-")).flatMap((l) => l.events.filter((e) => e.type === "page").map((e) => e.t));
    expect(turns, "every page turn sent is archived once, in order").toEqual(talks.flatMap((t) => t.times));
    expect(await audioProblems(dir, lines)).toEqual([]);
    const last = lines.at(-1)!.seq;
    await waitFor(() => watcher.seq >= last, 30_000, "the follower to catch up");
    const reduced = reduceArchive(lines, await readTitle(dir));
    expect(watcher.state).toEqual(reduced);
    const late = await connectGuest(stack.prosody);
    clients.push(late);
    expect(await new Follower(late.xmpp, { room: meeting.room, meeting: meeting.jid, nick: `late-${talks.length}` }).join()).toEqual(reduced);
  }

  it("the component is killed and started again: nothing acknowledged is lost or doubled", async () => {
    const t = talk(alice.xmpp, { meeting: meeting.jid, clock, serial: 0xc0 });
    talks.push(t);
    await waitFor(() => t.acked.size >= 15, 20_000, "15 acknowledgements");
    await stack.component.kill9();
    const ackedAtKill = t.acked.size;
    await new Promise((r) => setTimeout(r, 500)); // the presenter goes on sending into the void
    await stack.startComponent();
    await waitFor(() => t.acked.size >= ackedAtKill + 15, 30_000, "acknowledgements after the restart");
    await within(t.finish(), 30_000, "everything queued to be acknowledged");
    await expectArchiveWhole();
  });

  it("Prosody is killed: the launcher restarts it, everyone reconnects, nothing acknowledged is lost or doubled", async () => {
    const t = talk(alice.xmpp, { meeting: meeting.jid, clock, serial: 0xc1 });
    talks.push(t);
    await waitFor(() => t.acked.size >= 15, 20_000, "15 acknowledgements");
    const pid = await stack.prosodyPid();
    process.kill(pid, "SIGKILL");
    const ackedAtKill = t.acked.size;
    await waitFor(() => !stack.component.online, 10_000, "the component to notice Prosody is gone");
    await waitFor(() => stack.component.online, 40_000, "the component to be connected again (Prosody restarted)");
    expect(await stack.prosodyPid(), "a new Prosody process").not.toBe(pid);
    await waitFor(() => t.acked.size >= ackedAtKill + 15, 40_000, "acknowledgements after Prosody's restart");
    await within(t.finish(), 30_000, "everything queued to be acknowledged");
    await expectArchiveWhole();
    expect(stack.component.exit).toBeNull();
  }, 120_000);
});
