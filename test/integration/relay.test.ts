/**
 * The live relay, end to end: a real Prosody, the real component, real @xmpp/client
 * connections. Read each test as the conversation it is.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import xml, { type Element } from "@xmpp/xml";
import { NS } from "../../protocol/namespaces.ts";
import { applyBundle, initialState } from "../../protocol/reducer.ts";
import { decodeError } from "../../protocol/stanza-error.ts";
import type { DeckEvent, RoomState, StampedBundle } from "../../protocol/types.ts";
import { Follower } from "../../client-core/follower.ts";
import { PresenterSender } from "../../client-core/presenter-sender.ts";
import { connectGuest, connectUser, type TestClient, createMeeting as createMeetingOn, type MeetingRef } from "../support/xmpp.ts";
import { PASSWORD, startDeckcast, waitFor, type TestDeckcast } from "../support/deckcast.ts";

let dc: TestDeckcast;
const clients: TestClient[] = [];
beforeAll(async () => {
  dc = await startDeckcast();
});
afterAll(async () => {
  for (const c of clients) await c.stop();
  await dc?.stop();
});

async function user(name: string, opts = {}) {
  const c = await connectUser(dc.prosody, name, PASSWORD, opts);
  clients.push(c);
  return c;
}
async function guest(opts = {}) {
  const c = await connectGuest(dc.prosody, opts);
  clients.push(c);
  return c;
}

type Meeting = MeetingRef;
const createMeeting = (c: TestClient, title = "Quarterly review") => createMeetingOn(c, dc.prosody.domains.component, title);

async function follow(c: TestClient, m: Meeting, nick: string) {
  const f = new Follower(c.xmpp, { room: m.room, meeting: m.jid, nick });
  const seqs: number[] = [];
  f.on("bundle", (b) => seqs.push(b.seq));
  await f.join();
  return { f, seqs };
}

/** Sends a raw bundle IQ and returns the error (or null on success). */
async function rawBundle(c: TestClient, to: string, bundle: Element) {
  try {
    await c.xmpp.iqCaller.request(xml("iq", { type: "set", to }, bundle), 5000);
    return null;
  } catch (err) {
    return decodeError((err as { element: Element }).element);
  }
}

const page = (n: number, t = n * 1000): DeckEvent => ({ type: "page", t, page: n });
/** Where seqs do not follow one another ("3 → 5"): empty when they are consecutive. */
const breaks = (seqs: number[]) => seqs.flatMap((s, i) => (i === 0 || s === seqs[i - 1]! + 1 ? [] : [`${seqs[i - 1]} → ${s}`]));

async function archivedState(code: string): Promise<{ state: RoomState; lines: StampedBundle[] }> {
  const m = dc.component.meetings.get(code)!;
  const lines = await m.archive.journal.read(1, m.archive.journal.lastSeq);
  return { state: lines.reduce((s, b) => applyBundle(s, b), initialState(m.archive.manifest.title)), lines };
}

describe("a meeting, presented and followed", () => {
  let alice: TestClient;
  let meeting: Meeting;
  let presenter: PresenterSender;
  const followers: Awaited<ReturnType<typeof follow>>[] = [];

  beforeAll(async () => {
    alice = await user("alice");
    meeting = await createMeeting(alice);
    await follow(alice, meeting, "alice");
    presenter = new PresenterSender(alice.xmpp, { meeting: meeting.jid, clock: () => 0 });
  });

  it("Alice creates a meeting with a short code; a guest may not", async () => {
    expect(meeting.code).toMatch(/^[a-z2-9]{6}$/);
    expect(meeting.room).toBe(`${meeting.code}@${dc.prosody.domains.muc}`);
    const g = await guest();
    const err = await g.xmpp.iqCaller
      .request(xml("iq", { type: "set", to: dc.prosody.domains.component }, xml("create", { xmlns: NS.deckcast })))
      .then(() => null, (e: { element: Element }) => decodeError(e.element));
    expect(err?.code).toBe("guest-not-allowed");
  });

  it("three followers join; Alice's bundles reach each of them in order with no gaps", async () => {
    for (const nick of ["fern", "gus", "hal"]) followers.push(await follow(await guest(), meeting, nick));
    for (let n = 1; n <= 20; n++) presenter.send([page(1 + (n % 3)), { type: "pointer", t: n * 1000, page: 1, x: n * 100, y: 50 }]);
    await presenter.flush();
    const last = dc.component.meetings.get(meeting.code)!.archive.journal.lastSeq;
    for (const { f, seqs } of followers) {
      await waitFor(() => f.seq === last, 15_000, "followers to catch up");
      expect(breaks(seqs), "seqs out of order or missing").toEqual([]);
      expect(f.state).toEqual(dc.component.meetings.get(meeting.code)!.state);
    }
  });

  it("a follower's bundle is refused with not-presenter and reaches nobody", async () => {
    const before = followers.map(({ seqs }) => seqs.length);
    const intruder = await guest();
    const err = await rawBundle(intruder, meeting.jid, xml("bundle", { xmlns: NS.deckcast, id: "evil-1", t: "5" }, xml("page", { t: "5", page: "3" })));
    expect(err?.code).toBe("not-presenter");
    expect(err?.condition).toBe("forbidden");
    presenter.send([page(2, 30_000)]);
    await presenter.flush();
    for (const [i, { f, seqs }] of followers.entries()) {
      await waitFor(() => seqs.length === before[i]! + 1);
      expect(f.state?.page).toBe(2);
      expect(breaks(seqs), "seqs out of order or missing").toEqual([]);
    }
    const { lines } = await archivedState(meeting.code);
    expect(lines.filter((l) => l.id === "evil-1")).toEqual([]);
  });

  it("malformed, oversized and wrong-namespace bundles are refused and the component stays up", async () => {
    const to = meeting.jid;
    const missingId = await rawBundle(alice, to, xml("bundle", { xmlns: NS.deckcast, t: "1" }));
    expect(missingId?.code).toBe("bad-bundle");
    const badPage = await rawBundle(alice, to, xml("bundle", { xmlns: NS.deckcast, id: "refused-1", t: "1" }, xml("page", { t: "1", page: "-4" })));
    expect(badPage?.code).toBe("bad-bundle");
    expect(badPage?.text).toMatch(/^bundle\/page\[1\]@page: /); // the path first, as protocol.md promises
    const unknownEvent = await rawBundle(alice, to, xml("bundle", { xmlns: NS.deckcast, id: "refused-2", t: "1" }, xml("teleport", { t: "1" })));
    expect(unknownEvent?.code).toBe("bad-bundle");
    const serverOnly = await rawBundle(alice, to, xml("bundle", { xmlns: NS.deckcast, id: "refused-3", t: "1" }, xml("presenter", { t: "1", nick: "mallory" })));
    expect(serverOnly?.code).toBe("bad-bundle");
    const wrongNs = await rawBundle(alice, to, xml("bundle", { xmlns: "urn:example:other", id: "refused-4", t: "1" }));
    expect(wrongNs?.condition).toBe("service-unavailable");
    const big = "A".repeat(210 * 1024);
    const oversized = await rawBundle(alice, to, xml("bundle", { xmlns: NS.deckcast, id: "refused-5", t: "1" }, xml("audio", { t: "1" }, big)));
    expect(oversized?.code).toBe("too-large");
    const unknownRoom = await rawBundle(alice, `zzzzzz@${dc.prosody.domains.component}`, xml("bundle", { xmlns: NS.deckcast, id: "refused-6", t: "1" }));
    expect(unknownRoom?.code).toBe("unknown-room");
    // Still up, and nothing above was archived or relayed.
    const { lines } = await archivedState(meeting.code);
    expect(lines.filter((l) => l.id.startsWith("refused-"))).toEqual([]);
    const state = await alice.xmpp.iqCaller.request(xml("iq", { type: "get", to }, xml("state", { xmlns: NS.deckcast })));
    expect(state.getChild("state", NS.deckcast)).toBeTruthy();
  });

  it("a late joiner's state equals the reducer over the archive", async () => {
    presenter.send([
      { type: "ink-stroke", t: 40_000, page: 2, stroke: "s1", tool: "pen", color: "#e53935", width: 30, points: [10, 10, 500, 500, 900, 200] },
      { type: "ink-progress", t: 40_500, page: 2, stroke: "s2", tool: "highlighter", color: "#ffeb3b", width: 200, points: [100, 100, 200, 200] },
    ]);
    await presenter.flush();
    const late = await follow(await guest(), meeting, "late");
    const { state } = await archivedState(meeting.code);
    expect(late.f.state).toEqual(state);
    expect(late.f.state?.ink[2]?.[0]?.stroke).toBe("s1");
    expect(late.f.state?.drawing.s2?.points).toEqual([100, 100, 200, 200]);
  });

  it("Alice hands the presenter role to Bob; Bob presents, Alice no longer can", async () => {
    const bob = await user("bob");
    await follow(bob, meeting, "bob");
    await alice.xmpp.iqCaller.request(xml("iq", { type: "set", to: meeting.jid }, xml("presenter", { xmlns: NS.deckcast, nick: "bob" })));
    const bobSends = new PresenterSender(bob.xmpp, { meeting: meeting.jid, clock: () => 0 });
    bobSends.send([page(3, 50_000)]);
    await bobSends.flush();
    const refused = await rawBundle(alice, meeting.jid, xml("bundle", { xmlns: NS.deckcast, id: "alice-late", t: "51000" }, xml("page", { t: "51000", page: "1" })));
    expect(refused?.code).toBe("not-presenter");
    const { f } = followers[0]!;
    await waitFor(() => f.state?.page === 3);
    expect(f.state?.presenter).toBe("bob");
    // Alice owns the meeting: she can take the role back.
    await alice.xmpp.iqCaller.request(xml("iq", { type: "set", to: meeting.jid }, xml("presenter", { xmlns: NS.deckcast, nick: "alice" })));
    await waitFor(() => f.state?.presenter === "alice");
  });
});

describe("discovery and the end of a meeting", () => {
  it("the component says what it speaks in service discovery", async () => {
    const alice = await user("alice");
    const res = await alice.xmpp.iqCaller.request(xml("iq", { type: "get", to: dc.prosody.domains.component }, xml("query", { xmlns: "http://jabber.org/protocol/disco#info" })));
    const features = res.getChild("query")!.getChildren("feature").map((f: Element) => f.attrs.var);
    expect(features).toContain(NS.deckcast);
  });

  it("Alice ends the meeting: followers see it end, the archive is closed, the meeting is gone", async () => {
    const alice = await user("alice");
    const meeting = await createMeeting(alice, "Short one");
    await follow(alice, meeting, "alice");
    const watcher = await follow(await guest(), meeting, "watcher");
    const presenter = new PresenterSender(alice.xmpp, { meeting: meeting.jid, clock: () => 0 });
    presenter.send([page(1)]);
    await presenter.flush();
    const dir = dc.component.meetings.get(meeting.code)!.archive.dir;
    await alice.xmpp.iqCaller.request(xml("iq", { type: "set", to: meeting.jid }, xml("end", { xmlns: NS.deckcast })));
    await waitFor(() => watcher.f.state?.ended === true);
    expect(dc.component.meetings.get(meeting.code)).toBeUndefined();
    const manifest = JSON.parse(await (await import("node:fs/promises")).readFile(`${dir}/manifest.json`, "utf8"));
    expect(manifest.endedAt).not.toBeNull();
    expect(manifest.counts.bundles).toBe(3); // session-start, the page, session-stop
    const after = await rawBundle(alice, meeting.jid, xml("bundle", { xmlns: NS.deckcast, id: "late", t: "9" }, xml("page", { t: "9", page: "1" })));
    expect(after?.code).toBe("session-ended"); // the code is remembered: a late bundle is told why
  });
});

describe("failures along the way", () => {
  it("a follower whose connection drops catches up from the archive, in order", async () => {
    const alice = await user("alice");
    const meeting = await createMeeting(alice, "Drops");
    await follow(alice, meeting, "alice");
    const presenter = new PresenterSender(alice.xmpp, { meeting: meeting.jid, clock: () => 0 });
    const flaky = await guest({ reconnect: true });
    const { f, seqs } = await follow(flaky, meeting, "flaky");
    presenter.send([page(1)]);
    await presenter.flush();
    await waitFor(() => seqs.length === 1);
    // Cut the follower's TCP connection; it reconnects by itself (xmpp.js: after 1 s).
    (flaky.xmpp as unknown as { socket: { destroy(): void } }).socket.destroy();
    for (let n = 2; n <= 10; n++) presenter.send([page(n % 2 ? 1 : 2, n * 1000)]);
    await presenter.flush();
    const last = dc.component.meetings.get(meeting.code)!.archive.journal.lastSeq;
    await waitFor(() => f.seq === last, 20_000, "the flaky follower to catch up");
    expect(breaks(seqs), "seqs out of order or missing").toEqual([]);
    expect(f.state).toEqual(dc.component.meetings.get(meeting.code)!.state);
  });

  it("restarting the component mid-session loses and duplicates nothing", async () => {
    const alice = await user("alice");
    const meeting = await createMeeting(alice, "Restart");
    await follow(alice, meeting, "alice");
    const watcher = await follow(await guest({ reconnect: true }), meeting, "watcher");
    const presenter = new PresenterSender(alice.xmpp, { meeting: meeting.jid, clock: () => 0 });
    const acks: number[] = [];
    presenter.on("ack", (a) => acks.push(a.seq));
    const sent: number[] = [];
    const sender = (async () => {
      for (let n = 1; n <= 40; n++) {
        sent.push(n);
        presenter.send([{ type: "pointer", t: n, page: 1, x: n, y: n }]);
        await new Promise((r) => setTimeout(r, 25));
      }
    })();
    await waitFor(() => acks.length >= 5);
    await dc.restartComponent();
    await sender;
    await presenter.flush();
    const m = dc.component.meetings.get(meeting.code)!;
    const journal = await m.archive.journal.read(1, m.archive.journal.lastSeq);
    const pointerXs = journal.flatMap((b) => b.events).filter((e) => e.type === "pointer").map((e) => (e.type === "pointer" ? e.x : 0));
    expect(pointerXs).toEqual(sent); // every event exactly once, in order
    expect(journal.map((b) => b.seq)).toEqual(journal.map((_, i) => i + 1)); // no hole
    await waitFor(() => watcher.f.seq === m.archive.journal.lastSeq, 20_000, "the watcher to receive after the restart");
    expect(breaks(watcher.seqs), "seqs out of order or missing").toEqual([]);
    expect(watcher.f.state).toEqual(m.state);
  });
});
