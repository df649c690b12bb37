/**
 * Damaged archives across a component restart, over a real Prosody: one meeting's
 * manifest.json is cut in half, the other's events.jsonl has a garbage line where a bundle
 * was. After the restart both meetings are live again with every valid line, the presenter
 * and the owner keep their rights (rebuilt from the journal), and a follower's <range> over
 * the lost line gets an empty server bundle in its place, so the sequence has no hole.
 */
import { readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import xml, { type Element } from "@xmpp/xml";
import { decodeBundle } from "../../protocol/codec.ts";
import { NS } from "../../protocol/namespaces.ts";
import { applyBundle, initialState } from "../../protocol/reducer.ts";
import { decodeError } from "../../protocol/stanza-error.ts";
import type { DeckEvent, StampedBundle } from "../../protocol/types.ts";
import { Follower } from "../../client-core/follower.ts";
import { PresenterSender } from "../../client-core/presenter-sender.ts";
import { PASSWORD, startDeckcast, waitFor, type TestDeckcast } from "../support/deckcast.ts";
import { connectGuest, connectUser, type TestClient, createMeeting as createMeetingOn, type MeetingRef } from "../support/xmpp.ts";

let dc: TestDeckcast;
const clients: TestClient[] = [];
beforeAll(async () => {
  dc = await startDeckcast();
});
afterAll(async () => {
  for (const c of clients) await c.stop();
  await dc?.stop();
});

async function connect(who: "alice" | "bob" | "guest") {
  const c = who === "guest" ? await connectGuest(dc.prosody) : await connectUser(dc.prosody, who, PASSWORD);
  clients.push(c);
  return c;
}

type Meeting = MeetingRef;
const createMeeting = (c: TestClient, title: string) => createMeetingOn(c, dc.prosody.domains.component, title);

const page = (n: number, t: number): DeckEvent => ({ type: "page", t, page: n });

/** Sends each event list as its own bundle (one seq each). */
async function present(sender: PresenterSender, pages: DeckEvent[]) {
  for (const p of pages) {
    sender.send([p]);
    await sender.flush();
  }
}

async function range(c: TestClient, meeting: Meeting, from: number): Promise<{ last: number; bundles: StampedBundle[] }> {
  const res = await c.xmpp.iqCaller.request(xml("iq", { type: "get", to: meeting.jid }, xml("range", { xmlns: NS.deckcast, from: String(from) })));
  const el = res.getChild("range", NS.deckcast)!;
  const bundles = el.getChildren("bundle", NS.deckcast).map((b: Element) => {
    const r = decodeBundle(b); // the protocol's own reader must accept every one
    if (!r.ok) throw new Error(r.error.message);
    return r.value as StampedBundle;
  });
  return { last: Number(el.attrs.last), bundles };
}

async function iqError(c: TestClient, iq: Element): Promise<string | null> {
  try {
    await c.xmpp.iqCaller.request(iq);
    return null;
  } catch (err) {
    return decodeError((err as { element: Element }).element)?.code ?? String(err);
  }
}

describe("restoring damaged archives", () => {
  it("brings back both meetings with every valid line, their rights, and no hole for followers", async () => {
    const alice = await connect("alice");
    const bob = await connect("bob");

    // Meeting A: Alice presents, hands over to Bob, who presents.
    const a = await createMeeting(alice, "Alpha");
    await new Follower(alice.xmpp, { room: a.room, meeting: a.jid, nick: "alice" }).join();
    await new Follower(bob.xmpp, { room: a.room, meeting: a.jid, nick: "bob" }).join();
    await present(new PresenterSender(alice.xmpp, { meeting: a.jid, clock: () => 0 }), [page(2, 1000), page(3, 2000)]);
    await alice.xmpp.iqCaller.request(xml("iq", { type: "set", to: a.jid }, xml("presenter", { xmlns: NS.deckcast, nick: "bob" })));
    await present(new PresenterSender(bob.xmpp, { meeting: a.jid, clock: () => 0 }), [page(4, 3000)]);

    // Meeting B: Alice presents six pages.
    const b = await createMeeting(alice, "Beta");
    await new Follower(alice.xmpp, { room: b.room, meeting: b.jid, nick: "alice" }).join();
    await present(new PresenterSender(alice.xmpp, { meeting: b.jid, clock: () => 0 }), [1, 2, 3, 4, 5, 6].map((n) => page(n, n * 1000)));

    const ma = dc.component.meetings.get(a.code)!;
    const mb = dc.component.meetings.get(b.code)!;
    const before = { a: await ma.archive.journal.read(1, ma.archive.journal.lastSeq), b: await mb.archive.journal.read(1, mb.archive.journal.lastSeq) };
    const dirs = { a: ma.archive.dir, b: mb.archive.dir };
    expect(ma.presenter).toBe("bob@localhost");

    // The component stops; its archives are damaged; it starts again.
    await dc.component.stop();
    const manifest = await readFile(path.join(dirs.a, "manifest.json"), "utf8");
    await writeFile(path.join(dirs.a, "manifest.json"), manifest.slice(0, manifest.length >> 1));
    const lines = (await readFile(path.join(dirs.b, "events.jsonl"), "utf8")).split("\n");
    const lost = 4; // the line of seq 4 becomes garbage
    lines[lost - 1] = "#".repeat(40);
    await writeFile(path.join(dirs.b, "events.jsonl"), lines.join("\n"));
    await dc.restartComponent();

    // Both are live again with every valid line.
    const ra = dc.component.meetings.get(a.code);
    const rb = dc.component.meetings.get(b.code);
    expect({ a: ra !== undefined, b: rb !== undefined }, "meetings live again").toEqual({ a: true, b: true });
    expect(await ra!.archive.journal.read(1, ra!.archive.journal.lastSeq)).toEqual(before.a);
    const afterB = await rb!.archive.journal.read(1, rb!.archive.journal.lastSeq);
    expect(afterB.map((x) => x.id)).toEqual(before.b.map((x) => (x.seq === lost ? `srv-lost-${lost}` : x.id)));
    expect(afterB.filter((x) => x.seq !== lost)).toEqual(before.b.filter((x) => x.seq !== lost));
    expect(await readFile(path.join(dirs.b, "events.rejected.jsonl"), "utf8")).toBe("#".repeat(40) + "\n");
    expect(JSON.parse(await readFile(path.join(dirs.a, "manifest.json"), "utf8"))).toMatchObject({ room: a.code, title: "Alpha", owner: "alice@localhost", presenter: "bob@localhost", endedAt: null });

    // Rights survive: Bob (presenter, from the journal) sends; Alice may not, but as the owner takes the role back.
    await waitFor(() => ra!.occupants.size >= 2 && rb!.occupants.size >= 1, 15_000, "the component to rejoin the rooms");
    const lastA = ra!.archive.journal.lastSeq;
    await present(new PresenterSender(bob.xmpp, { meeting: a.jid, clock: () => 0 }), [page(5, 4000)]);
    expect(ra!.archive.journal.lastSeq).toBe(lastA + 1);
    expect(await iqError(alice, xml("iq", { type: "set", to: a.jid }, xml("bundle", { xmlns: NS.deckcast, id: "not-yours", t: "4100" }, xml("page", { t: "4100", page: "1" }))))).toBe("not-presenter");
    await alice.xmpp.iqCaller.request(xml("iq", { type: "set", to: a.jid }, xml("presenter", { xmlns: NS.deckcast, nick: "alice" })));
    expect(ra!.presenter).toBe("alice@localhost");
    await present(new PresenterSender(alice.xmpp, { meeting: b.jid, clock: () => 0 }), [page(7, 7000)]);

    // A follower's range over the lost line: continuous, the protocol's reader accepts it, and
    // the reducer over it is the component's state.
    const g = await connect("guest");
    const got = await range(g, b, 1);
    expect(got.bundles.map((x) => x.seq)).toEqual(Array.from({ length: got.last }, (_, i) => i + 1));
    expect(got.bundles[lost - 1]).toMatchObject({ id: `srv-lost-${lost}`, from: "deckcast", events: [] });
    expect(got.bundles.reduce(applyBundle, initialState("Beta"))).toEqual(rb!.state);
    const late = new Follower(g.xmpp, { room: b.room, meeting: b.jid, nick: "late" });
    await late.join();
    expect(late.state).toEqual(rb!.state);
  });
});
