/**
 * The one record of who presents: the `presenter` event's `jid` on the wire, in the reducer's
 * state (and the late joiner's <state>), and in the archive's manifest, which takes its
 * presenter from the event as the bundle is appended and when it is rebuilt from the journal.
 */
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { decodeBundle, decodeState, encodeBundle, encodeState } from "../../protocol/codec.ts";
import { parseXml } from "../../protocol/parse.ts";
import { applyBundle, initialState } from "../../protocol/reducer.ts";
import type { DeckEvent, StampedBundle } from "../../protocol/types.ts";
import { createSessionArchive, openSessionArchive } from "../../server/archive/session-archive.ts";
import { replayJournal } from "../../server/component/meetings.ts";

const bundle = (inner: string) => parseXml(`<bundle xmlns="urn:deckcast:0" id="srv-presenter-2" t="5" seq="2" ts="1" from="alice">${inner}</bundle>`);

describe("the presenter event's jid", () => {
  it("is read and written, and stays optional for events archived before it", () => {
    const withJid = decodeBundle(bundle('<presenter t="5" nick="bob" jid="bob@localhost"/>'));
    expect(withJid).toMatchObject({ ok: true, value: { events: [{ type: "presenter", t: 5, nick: "bob", jid: "bob@localhost" }] } });
    const old = decodeBundle(bundle('<presenter t="5" nick="bob"/>'));
    expect(old.ok && old.value.events[0]).toEqual({ type: "presenter", t: 5, nick: "bob" });
    if (withJid.ok) expect(decodeBundle(encodeBundle(withJid.value))).toEqual(withJid);
  });

  it.each([
    ["a resource", "bob@localhost/phone"],
    ["white space", "bob smith@localhost"],
    ["an empty local part", "@localhost"],
    ["two @", "a@b@c"],
    ["nothing", ""],
    ["2048 characters", "x".repeat(2048)],
  ])("refuses a JID with %s (bad-bundle, at its path)", (_, jid) => {
    const r = decodeBundle(bundle(`<presenter t="5" nick="bob" jid="${jid}"/>`));
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error).toMatchObject({ code: "bad-bundle", path: "bundle/presenter[1]@jid" });
  });

  it("goes into the state, and an event without one leaves none from an earlier presenter", () => {
    const start: DeckEvent = { type: "session-start", t: 0, title: "T", presenter: "alice" };
    let s = applyBundle(initialState("T"), { id: "a", t: 0, seq: 1, events: [start] });
    expect(s.presenterJid).toBeUndefined();
    s = applyBundle(s, { id: "b", t: 1, seq: 2, events: [{ type: "presenter", t: 1, nick: "bob", jid: "bob@localhost" }] });
    expect(s).toMatchObject({ presenter: "bob", presenterJid: "bob@localhost" });
    const old = applyBundle(s, { id: "c", t: 2, seq: 3, events: [{ type: "presenter", t: 2, nick: "carol" }] });
    expect(old.presenter).toBe("carol");
    expect(Object.hasOwn(old, "presenterJid")).toBe(false);
  });

  it("travels in the late joiner's <state> as presenter-jid", () => {
    const s = { ...initialState("T"), started: true, seq: 4, presenter: "bob", presenterJid: "0f1e2d3c@guest.localhost" };
    expect(decodeState(encodeState(s))).toEqual({ ok: true, value: s });
    expect(encodeState(initialState("T")).attrs["presenter-jid"]).toBeUndefined();
    const bad = decodeState(parseXml('<state xmlns="urn:deckcast:0" seq="1" clock="0" page="1" started="true" ended="false" presenter="bob" presenter-jid="bob@localhost/x"><title/></state>'));
    expect(bad.ok).toBe(false);
    if (!bad.ok) expect(bad.error).toMatchObject({ code: "bad-request", path: "state@presenter-jid" });
  });
});

describe("the manifest's presenter", () => {
  let root: string;
  beforeEach(async () => {
    root = await mkdtemp(path.join(os.tmpdir(), "deckcast-presenter-"));
  });
  afterEach(async () => {
    await rm(root, { recursive: true, force: true });
  });
  const T0 = Date.parse("2026-11-22T01:00:00.250Z");
  const stamped = (seq: number, events: DeckEvent[]): StampedBundle => ({ id: `b${seq}`, t: seq * 100, seq, ts: T0 + seq * 1000, from: "alice", events });
  const init = { session: "20261122-010000-abcdef", room: "abcdef", title: "Q", owner: "alice@localhost", presenter: "alice@localhost", createdAt: "2026-11-22T01:00:00.000Z" };
  const onDisk = async (dir: string) => (JSON.parse(await readFile(path.join(dir, "manifest.json"), "utf8")) as { presenter: string }).presenter;

  it("follows the appended presenter events alone, on disk too, and is rebuilt from them", async () => {
    const a = await createSessionArchive(root, init);
    await a.append(stamped(1, [{ type: "session-start", t: 0, title: "Q", presenter: "alice" }]), { rights: { owner: "alice@localhost", presenter: "alice@localhost" } });
    await a.append(stamped(2, [{ type: "presenter", t: 200, nick: "bob", jid: "bob@localhost" }]));
    expect(a.manifest.presenter).toBe("bob@localhost");
    expect(await onDisk(a.dir)).toBe("bob@localhost");
    await a.append(stamped(3, [{ type: "page", t: 300, page: 2 }]));
    await a.append(stamped(4, [{ type: "presenter", t: 400, nick: "carol", jid: "carol@localhost" }]));
    expect(await onDisk(a.dir)).toBe("carol@localhost");
    await a.close();

    // A manifest that names someone else (written by hand, or by an older version) is
    // reconciled with the journal; one that does not parse is rebuilt from it.
    await writeFile(path.join(a.dir, "manifest.json"), (await readFile(path.join(a.dir, "manifest.json"), "utf8")).replace("carol@localhost", "mallory@localhost"));
    const again = await openSessionArchive(a.dir);
    expect(again.manifest.presenter).toBe("carol@localhost");
    await again.close();
    await writeFile(path.join(a.dir, "manifest.json"), "{");
    const rebuilt = await openSessionArchive(a.dir);
    expect(rebuilt.manifest.presenter).toBe("carol@localhost");
    await rebuilt.close();
  });

  it("of an archive from before the event's jid: hand-overs named by the lines' rights keep their rights after a restart", async () => {
    const a = await createSessionArchive(root, init);
    await a.append(stamped(1, [{ type: "session-start", t: 0, title: "Q", presenter: "alice" }]), { rights: { owner: "alice@localhost", presenter: "alice@localhost" } });
    await a.append(stamped(2, [{ type: "presenter", t: 200, nick: "bob" }]), { rights: { presenter: "bob@localhost" } });
    await a.close();
    const again = await openSessionArchive(a.dir);
    expect(again.manifest.presenter).toBe("bob@localhost");
    const { state } = await replayJournal(again);
    expect(state).toMatchObject({ presenter: "bob", presenterJid: "bob@localhost" });
    await again.close();
  });
});
