/**
 * The launcher supervises the private Prosody: a Prosody killed with SIGKILL is started
 * again on the same ports (the component's link comes back and a presenter's bundle is
 * acknowledged), restarts are bounded (then "failed", reported through onHealth), a restart
 * whose port another process took does not loop, and a Prosody left running by a deckcast
 * that died is stopped on the next start instead of failing on busy ports.
 */
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { createServer, type Server } from "node:net";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import xml from "@xmpp/xml";
import { pino } from "pino";
import { NS } from "../../protocol/namespaces.ts";
import { startProsody, type ProsodyHealth } from "../../prosody/launcher.ts";
import { prosodyPaths } from "../../prosody/paths.ts";
import { waitForPorts } from "../../prosody/ports.ts";
import { readPidFile, runsProsodyWith } from "../../prosody/stale.ts";
import { Follower } from "../../client-core/follower.ts";
import { PresenterSender } from "../../client-core/presenter-sender.ts";
import { PASSWORD, startDeckcast, waitFor, type TestDeckcast } from "../support/deckcast.ts";
import { withProsody, type TestProsody } from "../support/prosody.ts";
import { connectGuest, connectUser, type TestClient } from "../support/xmpp.ts";

const log = pino({ level: process.env.DECKCAST_TEST_LOG ?? "silent" });
/** Everything to undo in afterAll, even when a test failed. */
const cleanups: Array<() => Promise<unknown> | unknown> = [];
afterAll(async () => {
  for (const undo of cleanups.reverse()) await Promise.resolve().then(undo).catch(() => undefined);
});

/** True while `pid` runs (a zombie has exited: only its parent's wait() is missing). */
function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) !== "Z";
  } catch {
    return false;
  }
}

/** Pids of live processes running Prosody on `configPath` (from /proc). */
async function prosodysOn(configPath: string): Promise<number[]> {
  const pids: number[] = [];
  for (const entry of await readdir("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    const argv = await readFile(`/proc/${entry}/cmdline`, "utf8").then((t) => t.split("\0").filter(Boolean), () => []);
    const state = await readFile(`/proc/${entry}/stat`, "utf8").then((t) => t.slice(t.lastIndexOf(")") + 2, t.lastIndexOf(")") + 3), () => "");
    if (state !== "Z" && runsProsodyWith(argv, configPath)) pids.push(Number(entry));
  }
  return pids;
}

function killNow(pid: number | null): void {
  if (pid === null) throw new Error("no prosody pid to kill");
  process.kill(pid, "SIGKILL");
}

describe("a killed Prosody", () => {
  let dc: TestDeckcast;
  const clients: TestClient[] = [];

  it("is restarted on the same ports, the component comes back, bundles are acknowledged; past the bound it is 'failed'", { timeout: 180_000 }, async () => {
    dc = await startDeckcast();
    cleanups.push(async () => {
      for (const c of clients) await c.stop();
      await dc.stop();
    });
    const seen: ProsodyHealth[] = [];
    const unsubscribe = dc.prosody.onHealth((h) => seen.push(h));
    const { ports } = dc.prosody;
    const first = dc.prosody.health();
    expect(first).toMatchObject({ state: "running", restarts: 0 });

    // A meeting before the crash.
    const alice = await connectUser(dc.prosody, "alice", PASSWORD);
    clients.push(alice);
    const res = await alice.xmpp.iqCaller.request(xml("iq", { type: "set", to: dc.prosody.domains.component }, xml("create", { xmlns: NS.deckcast }, xml("title", {}, "Crash"))));
    const meeting = res.getChild("meeting", NS.deckcast)!.attrs as { code: string; room: string; jid: string };

    killNow(first.pid);
    await waitFor(() => dc.prosody.health().state === "running" && dc.prosody.health().restarts === 1, 60_000, "prosody to run again");
    const again = dc.prosody.health();
    expect(again.pid).not.toBe(first.pid);
    expect(dc.prosody.ports).toEqual(ports);
    expect(seen.map((h) => h.state)).toEqual(["restarting", "running"]);
    await waitFor(() => dc.component.link.online, 60_000, "the component link to be online again");

    // The presenter reconnects (her stream died with Prosody) and presents to the same meeting.
    const alice2 = await connectUser(dc.prosody, "alice", PASSWORD);
    const watcher = await connectGuest(dc.prosody);
    clients.push(alice2, watcher);
    const follower = new Follower(watcher.xmpp, { room: meeting.room, meeting: meeting.jid, nick: "watcher" });
    await follower.join();
    const presenter = new PresenterSender(alice2.xmpp, { meeting: meeting.jid, clock: () => 0 });
    const acked: number[] = [];
    presenter.on("ack", (a: { seq: number }) => acked.push(a.seq));
    presenter.send([{ type: "page", t: 1000, page: 2 }]);
    await presenter.flush();
    expect(acked.length).toBe(1);
    await waitFor(() => follower.state?.page === 2, 15_000, "the follower to see the page");

    // Kill it again until the bound: 5 restarts in 10 minutes, then it stays down.
    for (let n = 2; n <= again.maxRestarts; n++) {
      killNow(dc.prosody.health().pid);
      await waitFor(() => dc.prosody.health().state === "running" && dc.prosody.health().restarts === n, 60_000, `restart ${n}`);
    }
    killNow(dc.prosody.health().pid);
    await waitFor(() => dc.prosody.health().state === "failed", 60_000, "the 'failed' state");
    expect(dc.prosody.health()).toMatchObject({ state: "failed", restarts: again.maxRestarts, pid: null });
    expect(seen.at(-1)).toMatchObject({ state: "failed", restarts: again.maxRestarts });
    expect(seen.filter((h) => h.state === "running").map((h) => h.restarts)).toEqual([1, 2, 3, 4, 5]);
    expect(await prosodysOn(dc.prosody.configPath)).toEqual([]);

    unsubscribe();
    await dc.prosody.stop();
    expect(dc.prosody.health().state).toBe("stopped");
    expect(seen.at(-1)?.state).toBe("failed"); // unsubscribed: "stopped" was not delivered
  });
});

describe("a restart whose port another process took", () => {
  let env: TestProsody;
  let squatter: Server | undefined;

  it("is counted like any restart and ends 'failed' instead of looping", { timeout: 120_000 }, async () => {
    env = await withProsody({ log, supervision: { maxRestarts: 3, firstDelayMs: 200 } });
    cleanups.push(() => env.cleanup(), () => new Promise((r) => (squatter ? squatter.close(r) : r(undefined))));
    const { prosody } = env;
    const seen: ProsodyHealth[] = [];
    // The moment Prosody is reported down (its sockets are closed by then), another process
    // takes its c2s port, before the first restart's backoff ends.
    prosody.onHealth((h) => {
      seen.push(h);
      if (h.state === "restarting" && !squatter) {
        squatter = createServer((s) => s.destroy());
        squatter.listen(prosody.ports.c2s, "127.0.0.1");
      }
    });
    killNow(prosody.health().pid);
    await waitFor(() => prosody.health().state === "failed", 90_000, "the 'failed' state");
    expect(squatter?.listening).toBe(true);
    expect(prosody.health()).toMatchObject({ state: "failed", restarts: 3, pid: null });
    expect(seen.filter((h) => h.state === "running"), "health reports of a running Prosody").toEqual([]);
    expect(await prosodysOn(prosody.configPath)).toEqual([]);
  });
});

describe("a Prosody left running on the data dir", () => {
  it("by a deckcast that died is stopped on the next start, which then gets its ports", { timeout: 60_000 }, async () => {
    const dataDir = await mkdtemp(path.join(os.tmpdir(), "deckcast-stale-"));
    cleanups.push(() => rm(dataDir, { recursive: true, force: true }));
    const paths = prosodyPaths(dataDir);
    const earlier = await startProsody({ dataDir, log });
    const { ports, configPath } = earlier;
    await earlier.stop();

    // What a `kill -9` of the server leaves when the parent-death signal can't save it: a
    // Prosody on our config, with its pid file, whose launcher is gone (nobody's child).
    const orphanShell = spawn("sh", ["-c", `prosody --config '${configPath}' -F >/dev/null 2>&1 &`], { stdio: "ignore", detached: true });
    await new Promise((r) => orphanShell.once("exit", r));
    await waitForPorts([ports.c2s, ports.http, ports.component], { timeoutMs: 15_000 });
    let stalePid: number | undefined;
    for (const until = Date.now() + 15_000; stalePid === undefined && Date.now() < until; ) {
      stalePid = await readPidFile(paths.pid);
      if (stalePid === undefined) await new Promise((r) => setTimeout(r, 50));
    }
    expect(stalePid).toBeDefined();
    cleanups.push(() => stalePid !== undefined && isAlive(stalePid) && process.kill(stalePid, "SIGKILL"));
    expect(await prosodysOn(configPath)).toEqual([stalePid]);

    // The same fixed ports: busy unless the stale Prosody is stopped first.
    const next = await startProsody({ dataDir, log, ports });
    cleanups.push(() => next.stop());
    expect(isAlive(stalePid!)).toBe(false);
    expect(next.health()).toMatchObject({ state: "running", restarts: 0 });
    expect(next.health().pid).not.toBe(stalePid);
    expect(await prosodysOn(configPath)).toEqual([next.health().pid]);
    await next.stop();
  });

  it("by a launcher that is still alive is left alone, and the second start is refused", async () => {
    const env = await withProsody({ log });
    cleanups.push(() => env.cleanup());
    const pid = env.prosody.health().pid!;
    await expect(startProsody({ dataDir: env.dataDir, log })).rejects.toThrow(/already running/);
    expect(isAlive(pid)).toBe(true);
    expect(env.prosody.health()).toMatchObject({ state: "running", pid });
  });
});
