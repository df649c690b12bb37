/**
 * The archive as a replay, on the server (issue 12): a meeting with a deck, page turns, ink,
 * chat and voice is recorded; afterwards its owner lists it and mints an owner link and a
 * share link; every replay route answers for valid tokens; wrong, revoked and expired tokens
 * get one identical 404; other accounts and guests get `unknown-archive`; the download
 * unzips with every file; a live meeting's rewind link works while it is live; delete
 * removes the folder. Real Prosody, the whole server (server/deckcast.ts), real files.
 */
import { mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import pino from "pino";
import yauzl from "yauzl";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import xml, { type Element } from "@xmpp/xml";
import { Follower } from "../../client-core/follower.ts";
import { PresenterSender } from "../../client-core/presenter-sender.ts";
import {
  archiveDeleteRequest,
  archiveLinkRequest,
  archivesRequest,
  archiveSharesRequest,
  archiveUnshareRequest,
  decodeArchiveLink,
  decodeArchives,
  decodeArchiveShares,
  decodeRewindLink,
  REPLAY_NOT_FOUND,
  rewindLinkRequest,
} from "../../protocol/archive.ts";
import { applyUntil, initialState } from "../../protocol/reducer.ts";
import { NS } from "../../protocol/namespaces.ts";
import { decodeError } from "../../protocol/stanza-error.ts";
import type { DeckEvent } from "../../protocol/types.ts";
import { createArchiveAccess, hashToken } from "../../server/archive/shares.ts";
import { WEB_CLIENT_DIST } from "../../server/http/web-client.ts";
import { privateConfig } from "../../server/config.ts";
import { createDeckcast, type RunningDeckcast } from "../../server/deckcast.ts";
import type { ProsodyXmppServer } from "../../prosody/xmpp-server.ts";
import { makePdf } from "../support/decks-pdf.ts";
import { waitFor } from "../support/deckcast.ts";

/** Polls an async condition until it holds (for waiting, never for timing). */
async function until(cond: () => Promise<boolean>, ms: number, what: string): Promise<void> {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}
import { beepRecording, chunksOf } from "../support/opus.ts";
import { connectGuest, connectUser, createMeeting, type TestClient } from "../support/xmpp.ts";

const PASSWORD = "test-password";
let dataDir: string;
let stopAll: () => Promise<void>;
let dc: RunningDeckcast<ProsodyXmppServer>;
let base: string;
const clients: TestClient[] = [];
let recording: Uint8Array;

beforeAll(async () => {
  dataDir = await mkdtemp(path.join(os.tmpdir(), "deckcast-replay-"));
  const deckcast = createDeckcast(privateConfig(dataDir, { httpHost: "127.0.0.1", publicUrl: "http://127.0.0.1:0", deckWorkers: 1 }), { log: pino({ level: process.env.DECKCAST_TEST_LOG ?? "silent" }) });
  stopAll = async () => {
    for (const c of clients) await c.stop().catch(() => undefined);
    await deckcast.stop().catch(() => undefined);
    await rm(dataDir, { recursive: true, force: true });
  };
  [dc, recording] = await Promise.all([deckcast.start(), beepRecording({ durationMs: 3000, beepsMs: [500, 1500, 2500], encoder: "ffmpeg" })]);
  for (const a of ["alice", "bob"]) await dc.xmpp.register(a, PASSWORD);
  await waitFor(() => dc.component.link.online, 15_000, "the component to connect");
  base = `http://127.0.0.1:${dc.port}`;
}, 120_000);
afterAll(async () => {
  await stopAll?.();
});

async function user(name: string): Promise<TestClient> {
  const c = await connectUser(dc.xmpp.prosody, name, PASSWORD);
  clients.push(c);
  return c;
}
async function guest(): Promise<TestClient> {
  const c = await connectGuest(dc.xmpp.prosody);
  clients.push(c);
  return c;
}
const domain = () => dc.xmpp.domains.component;

async function iq(c: TestClient, type: "get" | "set", to: string, payload: Element): Promise<Element> {
  return c.xmpp.iqCaller.request(xml("iq", { type, to }, payload), 15_000);
}
async function iqError(c: TestClient, type: "get" | "set", to: string, payload: Element): Promise<string> {
  try {
    await iq(c, type, to, payload);
    return "no error";
  } catch (err) {
    return decodeError((err as { element: Element }).element).code ?? "no code";
  }
}

/** A recorded meeting: a 3-page deck, page turns, two strokes (one drawn in progress), a pointer, chat and 3 s of voice. */
async function recordMeeting(alice: TestClient, title: string, { end = true } = {}) {
  const pdf = path.join(dataDir, `${title}.pdf`);
  await writeFile(pdf, makePdf(["One apple", "Two pears", "Three plums"], { title }));
  const ingested = await dc.decks.service.ingest(pdf, { name: `${title}.pdf` });
  if (!ingested.ok) throw new Error("deck not ingested");
  const deck = { id: ingested.value.id, pages: ingested.value.pages, title };
  const meeting = await createMeeting(alice, domain(), title);
  await new Follower(alice.xmpp, { room: meeting.room, meeting: meeting.jid, nick: "alice" }).join();
  const clock = () => Date.now() - meeting.started;
  const sender = new PresenterSender(alice.xmpp, { meeting: meeting.jid, clock });
  const ev = (e: Record<string, unknown>) => ({ ...e, t: clock() }) as DeckEvent;
  for (const chunk of chunksOf(recording, 0)) sender.send([], chunk);
  sender.send([ev({ type: "deck-open", deck })]);
  await sender.flush();
  sender.send([ev({ type: "page", page: 2 })]);
  sender.send([ev({ type: "ink-progress", page: 2, stroke: "s1", tool: "pen", color: "#ff0000", width: 3, points: [10, 10, 20, 20] })]);
  sender.send([ev({ type: "ink-stroke", page: 2, stroke: "s1", tool: "pen", color: "#ff0000", width: 3, points: [10, 10, 20, 20, 30, 30] })]);
  sender.send([ev({ type: "pointer", page: 2, x: 500, y: 500 })]);
  await sender.flush();
  await alice.xmpp.send(xml("message", { type: "groupchat", to: meeting.room, id: "chat-1" }, xml("body", {}, "Hello, replay")));
  const m = dc.component.meetings.get(meeting.code)!;
  await until(async () => (await readFile(path.join(m.archive.dir, "chat.jsonl"), "utf8").catch(() => "")).includes("Hello, replay"), 10_000, "the chat line");
  sender.send([ev({ type: "page", page: 3 })]);
  sender.send([ev({ type: "ink-progress", page: 3, stroke: "s2", tool: "pen", color: "#00ff00", width: 2, points: [1, 2] })]);
  await sender.flush();
  const dir = m.archive.dir;
  if (end) await iq(alice, "set", meeting.jid, xml("end", { xmlns: NS.deckcast }));
  return { meeting, deck, dir };
}

const http = (p: string, init?: RequestInit) => fetch(`${base}${p}`, init);
async function notFoundShape(p: string) {
  const res = await http(p);
  return { status: res.status, type: res.headers.get("content-type"), cache: res.headers.get("cache-control"), body: await res.text() };
}

function unzip(buf: Buffer): Promise<Map<string, Buffer>> {
  return new Promise((resolve, reject) => {
    yauzl.fromBuffer(buf, { lazyEntries: true }, (err, zip) => {
      if (err || !zip) return reject(err);
      const out = new Map<string, Buffer>();
      zip.on("entry", (e: yauzl.Entry) => {
        zip.openReadStream(e, (err2, stream) => {
          if (err2 || !stream) return reject(err2);
          const chunks: Buffer[] = [];
          stream.on("data", (c: Buffer) => chunks.push(c));
          stream.on("end", () => {
            out.set(e.fileName, Buffer.concat(chunks));
            zip.readEntry();
          });
          stream.on("error", reject);
        });
      });
      zip.on("end", () => resolve(out));
      zip.on("error", reject);
      zip.readEntry();
    });
  });
}

describe("past sessions", () => {
  let session: string;
  let dir: string;
  let deckId: string;
  let ownerToken: string;
  let shareToken: string;

  it("are listed for their owner only, newest first, with owner and share links", async () => {
    const alice = await user("alice");
    const rec = await recordMeeting(alice, "Fruit");
    session = rec.meeting.session;
    dir = rec.dir;
    deckId = rec.deck.id;
    const list = decodeArchives(await iq(alice, "get", domain(), archivesRequest()));
    expect(list.ok && list.value[0]).toMatchObject({ session, title: "Fruit", live: false, pages: 3 });
    expect(list.ok && list.value[0]!.bytes).toBeGreaterThan(recording.length);
    expect(list.ok && list.value[0]!.endedAt).not.toBeNull();

    const owner = decodeArchiveLink(await iq(alice, "set", domain(), archiveLinkRequest(session, "owner")));
    if (!owner.ok) throw new Error(owner.error);
    expect(Date.parse(owner.value.expires!) - Date.now()).toBeGreaterThan(11 * 3600_000);
    ownerToken = owner.value.token;
    const share = decodeArchiveLink(await iq(alice, "set", domain(), archiveLinkRequest(session, "share")));
    if (!share.ok) throw new Error(share.error);
    expect(share.value.expires).toBeUndefined();
    shareToken = share.value.token;
    // Only a hash is stored.
    const stored = await readFile(path.join(dir, "shares.json"), "utf8");
    expect(stored).not.toContain(shareToken.slice(5));
    const shares = decodeArchiveShares(await iq(alice, "get", domain(), archiveSharesRequest(session)));
    expect(shares.ok && shares.value).toHaveLength(1);
  });

  it("are unknown-archive to another account and to a guest, exactly as a session that does not exist", async () => {
    const bob = await user("bob");
    const g = await guest();
    const bobs = decodeArchives(await iq(bob, "get", domain(), archivesRequest()));
    expect(bobs.ok && bobs.value.map((a) => a.session)).not.toContain(session);
    const guests = decodeArchives(await iq(g, "get", domain(), archivesRequest()));
    expect(guests.ok && guests.value).toEqual([]);
    const missing = "20000101-000000-zzzzzz";
    for (const c of [bob, g]) {
      for (const s of [session, missing]) {
        expect(await iqError(c, "set", domain(), archiveLinkRequest(s, "owner"))).toBe("unknown-archive");
        expect(await iqError(c, "set", domain(), archiveLinkRequest(s, "share"))).toBe("unknown-archive");
        expect(await iqError(c, "get", domain(), archiveSharesRequest(s))).toBe("unknown-archive");
        expect(await iqError(c, "set", domain(), archiveUnshareRequest(s, "0123456789abcdef"))).toBe("unknown-archive");
        expect(await iqError(c, "set", domain(), archiveDeleteRequest(s))).toBe("unknown-archive");
      }
    }
    expect(await stat(dir).then(() => true)).toBe(true);
  });

  it("answer every replay route for a valid token", async () => {
    for (const token of [ownerToken, shareToken]) {
      const api = `/api/replay/${token}`;
      const res = await http(`${api}/manifest.json`);
      expect(res.status).toBe(200);
      expect(res.headers.get("cache-control")).toBe("no-store");
      expect(res.headers.get("referrer-policy")).toBe("no-referrer");
      const manifest = (await res.json()) as Record<string, unknown>;
      expect(manifest).toMatchObject({ session, title: "Fruit", live: false });
      expect(manifest.owner).toBeUndefined();
      expect(JSON.stringify(manifest)).not.toContain("alice@");

      const index = (await (await http(`${api}/index.json`)).json()) as { pages: { page: number; deck: string }[]; audio: unknown[]; last: number; duration: number; keys: unknown[] };
      expect(index.pages.map((p) => p.page)).toEqual([1, 2, 3]);
      expect(index.pages[0]!.deck).toBe(deckId);
      expect(index.audio.length).toBeGreaterThan(0);

      const ndjson = await (await http(`${api}/bundles?from=1`)).text();
      const bundles = ndjson.trim().split("\n").map((l) => JSON.parse(l) as { seq: number; audio?: unknown; rights?: unknown });
      expect(bundles.map((b) => b.seq)).toEqual(Array.from({ length: index.last }, (_, i) => i + 1));
      expect(bundles.some((b) => b.audio !== undefined || b.rights !== undefined)).toBe(false);
      expect(ndjson).not.toContain("rights");

      // Seeking anywhere is the reducer from the start over the journal.
      const journal = await dc.component.archives.sources.open(session);
      const all = await journal!.read(1, journal!.journal.lastSeq);
      for (const t of [0, Math.floor(index.duration / 2), index.duration, index.duration + 1000]) {
        const seek = (await (await http(`${api}/seek?t=${t}`)).json()) as { state: unknown; seq: number };
        const want = applyUntil(initialState("Fruit"), all, t);
        expect(seek).toMatchObject({ t, state: want.state, seq: want.seq, last: index.last });
      }
      expect((await http(`${api}/seek?t=-1`)).status).toBe(400);

      const file = await readFile(path.join(dir, "audio.opus"));
      const audio = await http(`${api}/audio.opus`);
      expect(audio.headers.get("content-type")).toBe("audio/ogg");
      expect(Buffer.from(await audio.arrayBuffer()).equals(file)).toBe(true);
      const part = await http(`${api}/audio.opus`, { headers: { Range: "bytes=100-199" } });
      expect(part.status).toBe(206);
      expect(Buffer.from(await part.arrayBuffer()).equals(file.subarray(100, 200))).toBe(true);

      expect(await (await http(`${api}/chat.jsonl`)).text()).toContain('"text":"Hello, replay"');
    }
  });

  it("get one identical 404 for a wrong, revoked or expired token, on every route", async () => {
    const alice = await user("alice");
    const share = decodeArchiveLink(await iq(alice, "set", domain(), archiveLinkRequest(session, "share")));
    if (!share.ok) throw new Error(share.error);
    const shares = decodeArchiveShares(await iq(alice, "get", domain(), archiveSharesRequest(session)));
    const id = hashToken(share.value.token).slice(0, 16);
    expect(shares.ok && shares.value.map((s) => s.id)).toEqual([hashToken(shareToken).slice(0, 16), id]);
    // The newer share is revoked; the first one stays valid.
    await iq(alice, "set", domain(), archiveUnshareRequest(session, id));
    const after = decodeArchiveShares(await iq(alice, "get", domain(), archiveSharesRequest(session)));
    expect(after.ok && after.value.map((s) => s.id)).toEqual([hashToken(shareToken).slice(0, 16)]);
    const revoked = share.value.token;

    // An expired owner token: the same store, on its own clock 12 h + 1 ms on.
    let now = Date.now();
    const access = createArchiveAccess({ archivesDir: path.join(dataDir, "archives"), isLive: () => false, log: pino({ level: "silent" }), now: () => now });
    const expired = access.mintOwner(session).token;
    expect(access.resolve(expired)).toEqual({ session, kind: "owner" });
    now += 12 * 3600_000 + 1;
    expect(access.resolve(expired)).toBeNull();
    // Share links survive a restart (their hashes are in shares.json); revoked ones stay revoked.
    await access.load();
    expect(access.resolve(shareToken)).toEqual({ session, kind: "share" });
    expect(access.resolve(share.value.token)).toBeNull();

    const wrong = ["dcr1-" + "0".repeat(64), "nonsense", "dcr1-" + shareToken.slice(5).split("").reverse().join(""), revoked];
    const reference = await notFoundShape(`/api/replay/${wrong[0]}/manifest.json`);
    expect(reference).toEqual({ status: 404, type: "application/json; charset=utf-8", cache: "no-store", body: JSON.stringify(REPLAY_NOT_FOUND) });
    for (const token of wrong) {
      for (const route of ["manifest.json", "index.json", "seek?t=0", "bundles?from=1", "audio.opus", "chat.jsonl", "download", "anything"]) {
        expect(await notFoundShape(`/api/replay/${token}/${route}`), `${token} ${route}`).toEqual(reference);
      }
    }
    expect(await notFoundShape(`/api/replay/`)).toEqual(reference);
    expect(await notFoundShape(`/api/replay`)).toEqual(reference);
    expect((await http(`/api/replay/${shareToken}/manifest.json`)).status).toBe(200);
  });

  it("download as one zip with every file, events without rights, audio byte for byte", async () => {
    const res = await http(`/api/replay/${shareToken}/download`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("application/zip");
    const files = await unzip(Buffer.from(await res.arrayBuffer()));
    const names = [...files.keys()];
    for (const name of ["manifest.json", "events.jsonl", "chat.jsonl", "audio.opus", "index.jsonl", `decks/${deckId}.pdf`, `decks/${deckId}.json`, "replay-data.js"]) expect(names).toContain(name);
    for (let n = 1; n <= 3; n++) {
      expect(names).toContain(`pages/${deckId}/${n}.jpg`);
      expect(names).toContain(`thumbs/${deckId}/${n}.jpg`);
      expect(files.get(`pages/${deckId}/${n}.jpg`)!.subarray(0, 2).toString("hex")).toBe("ffd8");
    }
    const player = await stat(path.join(WEB_CLIENT_DIST, "replay-offline", "replay.js")).then(() => true, () => false);
    expect(names.includes("replay.html")).toBe(player);
    expect(files.get("audio.opus")!.equals(await readFile(path.join(dir, "audio.opus")))).toBe(true);
    expect(files.get("events.jsonl")!.toString()).not.toContain("rights");
    expect(files.get("events.jsonl")!.toString()).not.toContain("alice@");
    expect(files.get("index.jsonl")!.equals(await readFile(path.join(dir, "index.jsonl")))).toBe(true);
    expect(files.get("chat.jsonl")!.toString()).toContain("Hello, replay");
    expect(files.get(`decks/${deckId}.pdf`)!.subarray(0, 5).toString()).toBe("%PDF-");
    const js = files.get("replay-data.js")!.toString();
    const prefix = "window.DECKCAST_REPLAY = ";
    expect(js.startsWith(prefix)).toBe(true);
    const data = JSON.parse(js.slice(prefix.length).replace(/;\s*$/, "")) as { manifest: { session: string; owner?: string }; index: { pages: unknown[] }; bundles: { seq: number }[]; chat: { text: string }[]; decks: Record<string, { text: string[] }> };
    expect(data.manifest.session).toBe(session);
    expect(data.manifest.owner).toBeUndefined();
    expect(data.index.pages).toHaveLength(3);
    expect(data.bundles.length).toBe(files.get("events.jsonl")!.toString().trim().split("\n").length);
    expect(data.chat.map((c) => c.text)).toEqual(["Hello, replay"]);
    expect(data.decks[deckId]!.text[1]).toContain("pears");
  });

  it("rewind a live meeting while it is live, for anyone in it", async () => {
    const alice = await user("alice");
    const rec = await recordMeeting(alice, "Live", { end: false });
    const g = await guest();
    const link = decodeRewindLink(await iq(g, "set", rec.meeting.jid, rewindLinkRequest()));
    if (!link.ok) throw new Error(link.error);
    expect(link.value.session).toBe(rec.meeting.session);
    const api = `/api/replay/${link.value.token}`;
    expect(await (await http(`${api}/manifest.json`)).json()).toMatchObject({ live: true, title: "Live" });
    const index = (await (await http(`${api}/index.json`)).json()) as { last: number; pages: unknown[] };
    expect(index.pages).toHaveLength(3);
    const seek = (await (await http(`${api}/seek?t=999999`)).json()) as { state: { page: number; drawing: Record<string, unknown> }; seq: number };
    expect(seek.state.page).toBe(3);
    expect(Object.keys(seek.state.drawing)).toEqual(["s2"]);
    expect(seek.seq).toBe(index.last);
    const before = (await http(`${api}/download`)).status;
    expect(before).toBe(200);
    await iq(alice, "set", rec.meeting.jid, xml("end", { xmlns: NS.deckcast }));
    expect(await notFoundShape(`${api}/manifest.json`)).toEqual(await notFoundShape(`/api/replay/nonsense/manifest.json`));
  });

  it("are deleted with their folder and their links by the owner", async () => {
    const alice = await user("alice");
    await iq(alice, "set", domain(), archiveDeleteRequest(session));
    expect(await stat(dir).then(() => true, () => false)).toBe(false);
    expect((await http(`/api/replay/${shareToken}/manifest.json`)).status).toBe(404);
    expect((await http(`/api/replay/${ownerToken}/manifest.json`)).status).toBe(404);
    const list = decodeArchives(await iq(alice, "get", domain(), archivesRequest()));
    expect(list.ok && list.value.map((a) => a.session)).not.toContain(session);
    expect(await iqError(alice, "set", domain(), archiveLinkRequest(session, "share"))).toBe("unknown-archive");

    // A live meeting is ended first, then removed.
    const live = await recordMeeting(alice, "Doomed", { end: false });
    await iq(alice, "set", domain(), archiveDeleteRequest(live.meeting.session));
    expect(dc.component.meetings.get(live.meeting.code)).toBeUndefined();
    expect(await stat(live.dir).then(() => true, () => false)).toBe(false);
  });
});
