/**
 * The operator's side of the archive: `deckcast archive list|export|delete` on the data dir
 * (the real CLI entry point, the server stopped), and retention (DECKCAST_RETENTION_DAYS):
 * at start, an ended session older than the setting is removed while a live one and a
 * recent one are kept. Real Prosody, the whole server (server/deckcast.ts), real files.
 */
import { mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import pino from "pino";
import yauzl from "yauzl";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import xml from "@xmpp/xml";
import { PresenterSender } from "../../client-core/presenter-sender.ts";
import { NS } from "../../protocol/namespaces.ts";
import type { DeckEvent } from "../../protocol/types.ts";
import { main } from "../../server/cli/main.ts";
import { privateConfig } from "../../server/config.ts";
import { createDeckcast, type RunningDeckcast } from "../../server/deckcast.ts";
import type { ProsodyXmppServer } from "../../prosody/xmpp-server.ts";
import { makePdf } from "../support/decks-pdf.ts";
import { waitFor } from "../support/deckcast.ts";
import { beepRecording, chunksOf } from "../support/opus.ts";
import { connectUser, createMeeting, type MeetingRef, type TestClient } from "../support/xmpp.ts";

const PASSWORD = "test-password";
let dataDir: string;
let recording: Uint8Array;
const log = pino({ level: process.env.DECKCAST_TEST_LOG ?? "silent" });

beforeAll(async () => {
  dataDir = await mkdtemp(path.join(os.tmpdir(), "deckcast-archive-cli-"));
  recording = await beepRecording({ durationMs: 1000, beepsMs: [500], encoder: "ffmpeg" });
});
afterAll(async () => {
  await rm(dataDir, { recursive: true, force: true });
});

async function start(retentionDays: number | null = null) {
  const deckcast = createDeckcast(privateConfig(dataDir, { httpHost: "127.0.0.1", publicUrl: "http://127.0.0.1:0", deckWorkers: 1, retentionDays }), { log });
  const dc: RunningDeckcast<ProsodyXmppServer> = await deckcast.start();
  await waitFor(() => dc.component.link.online, 15_000, "the component to connect");
  return { dc, stop: () => deckcast.stop() };
}

async function meeting(dc: RunningDeckcast<ProsodyXmppServer>, alice: TestClient, title: string, end: boolean): Promise<MeetingRef> {
  const pdf = path.join(dataDir, `${title}.pdf`);
  await writeFile(pdf, makePdf([`${title} one`, `${title} two`], { title }));
  const ingested = await dc.decks.service.ingest(pdf, { name: `${title}.pdf` });
  if (!ingested.ok) throw new Error("deck not ingested");
  const m = await createMeeting(alice, dc.xmpp.domains.component, title);
  const clock = () => Date.now() - m.started;
  const sender = new PresenterSender(alice.xmpp, { meeting: m.jid, clock });
  for (const chunk of chunksOf(recording, 0)) sender.send([], chunk);
  sender.send([{ type: "deck-open", t: clock(), deck: { id: ingested.value.id, pages: 2, title } } as DeckEvent]);
  sender.send([{ type: "page", t: clock(), page: 2 }]);
  await sender.flush();
  if (end) await alice.xmpp.iqCaller.request(xml("iq", { type: "set", to: m.jid }, xml("end", { xmlns: NS.deckcast })), 15_000);
  return m;
}

async function cli(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = "";
  let err = "";
  const code = await main(argv, { stdout: { write: (t: string) => (out += t) }, stderr: { write: (t: string) => (err += t) }, env: { DECKCAST_DATA_DIR: dataDir, DECKCAST_LOG_LEVEL: "silent" } });
  return { code, out, err };
}

const exists = (p: string) => stat(p).then(() => true, () => false);
const folder = (session: string) => path.join(dataDir, "archives", session);

function zipNames(buf: Buffer): Promise<Map<string, Buffer>> {
  return new Promise((resolve, reject) => {
    yauzl.fromBuffer(buf, { lazyEntries: true }, (err, zip) => {
      if (err || !zip) return reject(err);
      const out = new Map<string, Buffer>();
      zip.on("entry", (e: yauzl.Entry) =>
        zip.openReadStream(e, (err2, s) => {
          if (err2 || !s) return reject(err2);
          const chunks: Buffer[] = [];
          s.on("data", (c: Buffer) => chunks.push(c));
          s.on("end", () => {
            out.set(e.fileName, Buffer.concat(chunks));
            zip.readEntry();
          });
        }),
      );
      zip.on("end", () => resolve(out));
      zip.readEntry();
    });
  });
}

describe("deckcast archive, and retention", () => {
  it("lists, exports and deletes sessions on the data dir; retention removes an old ended session and keeps a live one", async () => {
    const first = await start();
    await first.dc.xmpp.register("alice", PASSWORD);
    const alice = await connectUser(first.dc.xmpp.prosody, "alice", PASSWORD);
    const exported = await meeting(first.dc, alice, "Exported", true);
    const old = await meeting(first.dc, alice, "Old", true);
    const recent = await meeting(first.dc, alice, "Recent", true);
    const live = await meeting(first.dc, alice, "Live", false);
    await alice.stop();
    await first.stop();

    const list = await cli("archive", "list");
    expect(list.code).toBe(0);
    const rows = list.out.trim().split("\n").map((l) => l.split("\t"));
    expect(rows.map((r) => r[0]).sort()).toEqual([exported.session, old.session, recent.session, live.session].sort());
    const row = (s: string) => rows.find((r) => r[0] === s)!;
    expect(row(live.session)[1]).toBe("live");
    expect(Date.parse(row(exported.session)[1]!)).toBeGreaterThan(0);
    expect(row(exported.session)[4]).toBe("alice@localhost");
    expect(row(exported.session)[5]).toBe("Exported");

    const out = path.join(dataDir, "out.zip");
    const exp = await cli("archive", "export", exported.session, "--out", out);
    expect(exp).toMatchObject({ code: 0, out: `${out}\n` });
    const files = await zipNames(await readFile(out));
    for (const name of ["manifest.json", "events.jsonl", "chat.jsonl", "audio.opus", "index.jsonl", "replay-data.js"]) expect([...files.keys()]).toContain(name);
    expect([...files.keys()].filter((n) => n.startsWith("pages/"))).toHaveLength(2);
    expect(files.get("audio.opus")!.equals(await readFile(path.join(folder(exported.session), "audio.opus")))).toBe(true);
    expect(files.get("events.jsonl")!.toString()).not.toContain("rights");

    expect((await cli("archive", "export", live.session, "--out", path.join(dataDir, "live.zip"))).code).toBe(1);
    expect((await cli("archive", "delete", live.session)).code).toBe(1);
    expect((await cli("archive", "export", "../../etc")).code).toBe(2);
    expect((await cli("archive", "delete", "20000101-000000-nothere")).code).toBe(1);

    expect(await cli("archive", "delete", exported.session)).toMatchObject({ code: 0, out: `deleted ${exported.session}\n` });
    expect(await exists(folder(exported.session))).toBe(false);

    // "Old" ended three days ago; the server starts with a retention of one day.
    const manifestFile = path.join(folder(old.session), "manifest.json");
    const manifest = JSON.parse(await readFile(manifestFile, "utf8")) as { endedAt: string };
    manifest.endedAt = new Date(Date.now() - 3 * 24 * 3600_000).toISOString();
    await writeFile(manifestFile, JSON.stringify(manifest, null, 2) + "\n");
    const second = await start(1);
    try {
      await waitFor(() => second.dc.component.meetings.get(live.code) !== undefined, 15_000, "the live meeting to be restored");
      const gone = async () => !(await exists(folder(old.session)));
      for (const until = Date.now() + 15_000; !(await gone()); ) {
        if (Date.now() > until) throw new Error("the old session was not removed");
        await new Promise((r) => setTimeout(r, 50));
      }
      expect(await exists(folder(recent.session))).toBe(true);
      expect(await exists(folder(live.session))).toBe(true);
    } finally {
      await second.stop();
    }
    const after = await cli("archive", "list");
    expect(after.out.split("\n").map((l) => l.split("\t")[0]).filter(Boolean).sort()).toEqual([recent.session, live.session].sort());
  });
});
