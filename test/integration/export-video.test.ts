/**
 * Video export (issue 15): a meeting recorded over real Prosody (a 3-page deck, page turns,
 * strokes drawn in progress, a laser pointer, chat and 3 s of beeps in real Opus) exports to
 * MP4 and WebM that ffprobe accepts: the session's duration (±100 ms), one chapter per page
 * change, audio with the beeps at their times (±40 ms), a subtitle stream with the chat,
 * and only the frames that changed (far fewer than 30 a second). The CLI makes the same
 * file with progress on stderr. A cancel kills ffmpeg and leaves no file; a deck missing
 * from the store is `missing-deck` and leaves no file. Real server, real files, real ffmpeg.
 */
import { execFile } from "node:child_process";
import { cp, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import pino from "pino";
import xml, { type Element } from "@xmpp/xml";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { archiveDeleteRequest, archiveLinkRequest, decodeArchiveLink } from "../../protocol/archive.ts";
import { decodeExportJob, exportCancelRequest, ExportError, exportStartRequest, exportStatusRequest } from "../../protocol/export.ts";
import { decodeError } from "../../protocol/stanza-error.ts";
import { NS } from "../../protocol/namespaces.ts";
import { createReplaySources, type ReplaySource, type ReplaySources } from "../../server/archive/replay-source.ts";
import { archivesDir } from "../../server/archive/session-archive.ts";
import { main } from "../../server/cli/main.ts";
import { privateConfig } from "../../server/config.ts";
import { createDeckcast, type RunningDeckcast } from "../../server/deckcast.ts";
import { DeckService } from "../../server/decks/service.ts";
import { exportSession } from "../../server/export/export-session.ts";
import type { ProsodyXmppServer } from "../../prosody/xmpp-server.ts";
import { waitFor } from "../support/deckcast.ts";
import { tryMountTmpfs } from "../support/tmpfs.ts";
import { beepRecording, chunksOf, decodePcm, findBeeps } from "../support/opus.ts";
import { connectUser, type TestClient } from "../support/xmpp.ts";
import { presentDeck } from "../support/presented-deck.ts";

const run = promisify(execFile);
const PASSWORD = "test-password";
const BEEPS = [500, 1500, 2500];
const log = pino({ level: process.env.DECKCAST_TEST_LOG ?? "silent" });
let dataDir: string;
let outDir: string;
let dc: RunningDeckcast<ProsodyXmppServer>;
let stopAll: () => Promise<void>;
let alice: TestClient;
let sources: ReplaySources;
let source: ReplaySource;
let session: string;
/** Page changes the meeting made (deck-open counts as one: page 1 is shown). */
const PAGE_CHANGES = 4;

beforeAll(async () => {
  dataDir = await mkdtemp(path.join(os.tmpdir(), "deckcast-export-"));
  outDir = await mkdtemp(path.join(os.tmpdir(), "deckcast-export-out-"));
  const deckcast = createDeckcast(privateConfig(dataDir, { httpHost: "127.0.0.1", publicUrl: "http://127.0.0.1:0", deckWorkers: 1 }), { log });
  stopAll = async () => {
    await sources?.close();
    await alice?.stop().catch(() => undefined);
    await deckcast.stop().catch(() => undefined);
    await rm(dataDir, { recursive: true, force: true });
    if (!process.env.DECKCAST_TEST_KEEP) await rm(outDir, { recursive: true, force: true });
  };
  let recording: Uint8Array;
  [dc, recording] = await Promise.all([deckcast.start(), beepRecording({ durationMs: 3000, beepsMs: BEEPS, encoder: "ffmpeg" })]);
  await dc.xmpp.register("alice", PASSWORD);
  await waitFor(() => dc.component.link.online, 15_000, "the component to connect");
  alice = await connectUser(dc.xmpp.prosody, "alice", PASSWORD);

  // Session times are the test's own (the presenter's clock): a 4 s talk sent at once.
  const { deck, meeting, sender, send } = await presentDeck({ owner: alice, decks: dc.decks.service, component: dc.xmpp.domains.component, dir: dataDir, title: "Export me", pages: ["One apple", "Two pears", "Three plums"], deckTitle: "Fruit" });
  session = meeting.session;
  await send([{ type: "deck-open", t: 0, deck }]);
  for (const chunk of chunksOf(recording, 0)) sender.send([], chunk);
  await sender.flush();
  await alice.xmpp.send(xml("message", { type: "groupchat", to: meeting.room, id: "chat-1" }, xml("body", {}, "Hello, video <3")));
  await send([{ type: "page", t: 800, page: 2 }]);
  // A stroke drawn over 600 ms: 20 progress events, then the finished stroke.
  const pts: number[] = [];
  for (let i = 0; i < 20; i++) {
    const p = [1000 + i * 300, 2000 + i * 200, 1150 + i * 300, 2100 + i * 200];
    pts.push(...p);
    await send([{ type: "ink-progress", t: 1000 + i * 30, page: 2, stroke: "s1", tool: "pen", color: "#e03131", width: 40, points: p }]);
  }
  await send([{ type: "ink-stroke", t: 1600, page: 2, stroke: "s1", tool: "pen", color: "#e03131", width: 40, points: pts }]);
  for (let i = 0; i < 10; i++) await send([{ type: "pointer", t: 1700 + i * 50, page: 2, x: 5000 + i * 200, y: 5000 }]);
  await send([{ type: "pointer", t: 2300, page: 2 }]);
  await send([{ type: "page", t: 2600, page: 3 }]);
  await send([{ type: "ink-stroke", t: 2800, page: 3, stroke: "s2", tool: "highlighter", color: "#ffd43b", width: 300, points: [2000, 5000, 8000, 5000] }]);
  await send([{ type: "page", t: 3200, page: 2 }]);
  await send([{ type: "ink-undo", t: 3500, page: 2 }]);
  await send([{ type: "ink-clear", t: 4000, page: 2 }]);
  const m = dc.component.meetings.get(meeting.code)!;
  await waitFor(() => true);
  for (let i = 0; i < 200 && !(await readFile(path.join(m.archive.dir, "chat.jsonl"), "utf8").catch(() => "")).includes("Hello, video"); i++) await new Promise((r) => setTimeout(r, 25));
  await alice.xmpp.iqCaller.request(xml("iq", { type: "set", to: meeting.jid }, xml("end", { xmlns: NS.deckcast })), 15_000);
  sources = createReplaySources({ archivesDir: archivesDir(dataDir), liveArchive: () => undefined, log });
  await waitFor(() => dc.component.meetings.get(meeting.code) === undefined, 15_000, "the meeting to end");
  source = (await sources.open(session))!;
  expect(source).not.toBeNull();
}, 120_000);

afterAll(async () => {
  await stopAll?.();
});

interface Probe {
  format: { duration: string; format_name: string };
  streams: { codec_type: string; codec_name: string; nb_read_frames?: string }[];
  chapters: { start_time: string; tags?: { title?: string } }[];
}

async function probe(file: string): Promise<Probe> {
  const { stdout } = await run("ffprobe", ["-v", "error", "-count_frames", "-show_format", "-show_streams", "-show_chapters", "-of", "json", file], { maxBuffer: 16 * 1024 * 1024 });
  return JSON.parse(stdout) as Probe;
}

async function checkVideo(file: string, video: string, audio: string, subtitle: string) {
  const p = await probe(file);
  const duration = source.manifest.duration;
  expect(duration).toBeGreaterThanOrEqual(4000);
  expect(Math.abs(Number(p.format.duration) * 1000 - duration)).toBeLessThanOrEqual(100);
  const byType = (t: string) => p.streams.filter((s) => s.codec_type === t);
  expect(byType("video").map((s) => s.codec_name)).toEqual([video]);
  expect(byType("audio").map((s) => s.codec_name)).toEqual([audio]);
  expect(byType("subtitle").map((s) => s.codec_name)).toEqual([subtitle]);
  expect(p.chapters).toHaveLength(PAGE_CHANGES);
  expect(p.chapters.map((c) => c.tags?.title)).toEqual(["Page 1 — Fruit", "Page 2 — Fruit", "Page 3 — Fruit", "Page 2 — Fruit"]);
  expect(p.chapters.map((c) => Math.round(Number(c.start_time) * 1000))).toEqual([0, 800, 2600, 3200]);
  const frames = Number(byType("video")[0]!.nb_read_frames);
  expect(frames).toBeGreaterThan(10);
  expect(frames).toBeLessThan((duration / 1000) * 30 / 2);
  const beeps = findBeeps(await decodePcm(file));
  expect(beeps).toHaveLength(BEEPS.length);
  beeps.forEach((b, i) => expect(Math.abs(b - BEEPS[i]!)).toBeLessThanOrEqual(40));
  return { p, frames };
}

describe("a recorded session exports to video", () => {
  it("MP4: H.264 + AAC + mov_text, the session's length, a chapter a page change, changed frames only", async () => {
    const out = path.join(outDir, "talk.mp4");
    const progress: number[] = [];
    const r = await exportSession({ source, decks: dc.decks.service, out, format: "mp4", width: 1280, log, onProgress: (f) => progress.push(f) });
    expect(r.width).toBe(1280);
    expect(progress.at(-1)).toBe(1);
    const { frames } = await checkVideo(out, "h264", "aac", "mov_text");
    expect(frames).toBe(r.frames);
    const { stdout } = await run("ffmpeg", ["-v", "error", "-i", out, "-map", "0:s:0", "-f", "webvtt", "-"]);
    expect(stdout).toContain("alice: Hello, video <3");
    expect((await readdir(outDir)).sort()).toEqual(["talk.mp4"]);
  }, 120_000);

  it("WebM through the CLI: VP9 + Opus + WebVTT, progress on stderr", async () => {
    const out = path.join(outDir, "talk.webm");
    let stderr = "";
    let stdout = "";
    const code = await main(["export", session, "-o", out, "--width", "640"], { stdout: { write: (s: string) => (stdout += s) }, stderr: { write: (s: string) => (stderr += s) }, env: { ...process.env, DECKCAST_DATA_DIR: dataDir } });
    expect(stderr).toContain("%");
    expect(code).toBe(0);
    expect(stdout.trim()).toBe(out);
    expect(stderr).toMatch(/exported .* frames/);
    await checkVideo(out, "vp9", "opus", "webvtt");
  }, 120_000);

  it("cancel: ffmpeg is killed and nothing is left", async () => {
    const out = path.join(outDir, "cancel.mp4");
    const abort = new AbortController();
    const done = exportSession({ source, decks: dc.decks.service, out, format: "mp4", width: 1920, log, signal: abort.signal, onProgress: () => abort.abort() });
    const err = await done.then(() => null, (e: unknown) => e);
    expect(err).toBeInstanceOf(ExportError);
    expect((err as ExportError).code).toBe("canceled");
    expect((await readdir(outDir)).filter((f) => f.startsWith("cancel"))).toEqual([]);
    expect(await ffmpegsWriting(outDir)).toEqual([]);
  }, 60_000);

  it("a deck no longer in the store: missing-deck, no file", async () => {
    const emptyData = await mkdtemp(path.join(os.tmpdir(), "deckcast-export-nodecks-"));
    const decks = new DeckService({ dataDir: emptyData, workers: 1, lazyOffice: true, log });
    try {
      await decks.started().catch(() => undefined);
      const out = path.join(outDir, "missing.mp4");
      const err = await exportSession({ source, decks, out, format: "mp4", log }).then(() => null, (e: unknown) => e);
      expect((err as ExportError).code).toBe("missing-deck");
      expect((await readdir(outDir)).filter((f) => f.startsWith("missing"))).toEqual([]);
    } finally {
      await decks.stop();
      await rm(emptyData, { recursive: true, force: true });
    }
  }, 60_000);

  it.skipIf(process.getuid?.() !== 0)("a full disk mid-export: disk-full, nothing left on it", async () => {
    const small = path.join(outDir, "small");
    await mkdir(small);
    if (!tryMountTmpfs(small, "16k")) return void console.warn("full-disk export test skipped: mounting a tmpfs needs root");
    try {
      const err = await exportSession({ source, decks: dc.decks.service, out: path.join(small, "talk.mp4"), format: "mp4", width: 1920, log }).then(() => null, (e: unknown) => e);
      expect((err as ExportError).code).toBe("disk-full");
      expect(await readdir(small)).toEqual([]);
    } finally {
      await run("umount", [small]).catch(() => undefined);
      await rm(small, { recursive: true, force: true });
    }
  }, 60_000);

  it("damaged audio: the AAC beside the frames fails, the export stops with encoder-failed, nothing is left", async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), "deckcast-export-badaudio-"));
    try {
      await cp(source.dir, dir, { recursive: true });
      await writeFile(path.join(dir, "audio.opus"), Buffer.alloc(64 * 1024, 0x5a)); // not Ogg at all
      const out = path.join(outDir, "badaudio.mp4");
      const damaged = { dir, manifest: source.manifest, journal: source.journal }; // the journal as it is, the audio damaged
      const err = await exportSession({ source: damaged, decks: dc.decks.service, out, format: "mp4", width: 1920, log }).then(() => null, (e: unknown) => e);
      expect(err).toBeInstanceOf(ExportError);
      expect((err as ExportError).code).toBe("encoder-failed");
      expect((await readdir(outDir)).filter((f) => f.startsWith("badaudio"))).toEqual([]);
      expect(await ffmpegsWriting(outDir)).toEqual([]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }, 60_000);

  it("a damaged archive (its journal unreadable): a clear error from the CLI, no file", async () => {
    const copy = await mkdtemp(path.join(os.tmpdir(), "deckcast-export-damaged-"));
    try {
      const dir = path.join(archivesDir(copy), session);
      await cp(source.dir, dir, { recursive: true });
      await rm(path.join(dir, "events.jsonl"));
      await mkdir(path.join(dir, "events.jsonl")); // a journal that cannot be opened
      const out = path.join(outDir, "damaged.mp4");
      let stderr = "";
      const code = await main(["export", session, "-o", out], { stdout: { write: () => true }, stderr: { write: (s: string) => (stderr += s) }, env: { ...process.env, DECKCAST_DATA_DIR: copy } });
      expect(code).toBe(1);
      expect(stderr).toContain(`${session} cannot be read`);
      expect((await readdir(outDir)).filter((f) => f.startsWith("damaged"))).toEqual([]);
    } finally {
      await rm(copy, { recursive: true, force: true });
    }
  }, 60_000);
});

describe("the owner's export job", () => {
  const domain = () => dc.xmpp.domains.component;
  const ask = async (c: TestClient, type: "get" | "set", payload: ReturnType<typeof exportStatusRequest>) => {
    const res = await c.xmpp.iqCaller.request(xml("iq", { type, to: domain() }, payload), 15_000);
    const job = decodeExportJob(res.getChild("export", NS.deckcast));
    if (!job.ok) throw new Error(job.error);
    return job.value;
  };
  const errorOf = (c: TestClient, type: "get" | "set", payload: ReturnType<typeof exportStatusRequest>) =>
    c.xmpp.iqCaller.request(xml("iq", { type, to: domain() }, payload), 15_000).then(() => "no error", (err: { element: Element }) => decodeError(err.element).code ?? "no code");

  it("queued over IQ, progress to done, downloaded under the owner's link; others get unknown-archive; deleted with the session", async () => {
    expect(await ask(alice, "get", exportStatusRequest(session))).toBeNull();
    const queued = await ask(alice, "set", exportStartRequest(session, "mp4", 640));
    expect(queued).toMatchObject({ session, format: "mp4", width: 640 });
    expect(["queued", "running"]).toContain(queued!.state);
    let job = queued;
    for (let i = 0; i < 600 && job?.state !== "done" && job?.state !== "failed"; i++) {
      await new Promise((r) => setTimeout(r, 50));
      job = await ask(alice, "get", exportStatusRequest(session));
    }
    expect(job).toMatchObject({ state: "done", progress: 1 });
    expect(job!.bytes).toBeGreaterThan(1000);

    await dc.xmpp.register("bob", PASSWORD);
    const bob = await connectUser(dc.xmpp.prosody, "bob", PASSWORD);
    try {
      expect(await errorOf(bob, "set", exportStartRequest(session))).toBe("unknown-archive");
      expect(await errorOf(bob, "get", exportStatusRequest(session))).toBe("unknown-archive");
      expect(await errorOf(bob, "set", exportCancelRequest(session))).toBe("unknown-archive");
    } finally {
      await bob.stop();
    }

    const link = decodeArchiveLink(await alice.xmpp.iqCaller.request(xml("iq", { type: "set", to: domain() }, archiveLinkRequest(session, "owner")), 15_000));
    if (!link.ok) throw new Error(link.error);
    const res = await fetch(`http://127.0.0.1:${dc.port}/api/replay/${link.value.token}/export.mp4`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("video/mp4");
    const file = path.join(outDir, "downloaded.mp4");
    await writeFile(file, Buffer.from(await res.arrayBuffer()));
    const p = await probe(file);
    expect(p.chapters).toHaveLength(PAGE_CHANGES);
    expect((await fetch(`http://127.0.0.1:${dc.port}/api/replay/${link.value.token}/export.webm`)).status).toBe(404);
    await rm(file);
  }, 120_000);

  it("cancel over IQ: ffmpeg stops, no file is left in the session's folder", async () => {
    const started = await ask(alice, "set", exportStartRequest(session, "webm", 2560));
    expect(["queued", "running"]).toContain(started!.state);
    const canceled = await ask(alice, "set", exportCancelRequest(session));
    expect(canceled!.state).toBe("canceled");
    const files = await readdir(source.dir);
    expect(files.filter((f) => f.startsWith("export.webm"))).toEqual([]);
    expect(await ffmpegsWriting(source.dir)).toEqual([]);
    // The earlier MP4 is still the session's export.
    expect(await ask(alice, "get", exportStatusRequest(session))).toMatchObject({ state: "done", format: "mp4" });
  }, 60_000);

  it("deleting the session deletes its export", async () => {
    expect((await readdir(source.dir))).toContain("export.mp4");
    await sources.close();
    await alice.xmpp.iqCaller.request(xml("iq", { type: "set", to: domain() }, archiveDeleteRequest(session)), 15_000);
    await expect(readdir(source.dir)).rejects.toMatchObject({ code: "ENOENT" });
  }, 60_000);
});

/** ffmpeg processes whose command line names a file in `dir`. */
async function ffmpegsWriting(dir: string): Promise<string[]> {
  const found: string[] = [];
  for (const pid of await readdir("/proc")) {
    if (!/^\d+$/.test(pid)) continue;
    const cmd = await readFile(`/proc/${pid}/cmdline`, "utf8").catch(() => "");
    if (cmd.startsWith("ffmpeg") && cmd.includes(dir)) found.push(pid);
  }
  return found;
}
