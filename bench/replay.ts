/**
 * Replay (issue 12): a synthetic session — by default 2 hours, 100 000 events (page turns,
 * 2 000 strokes drawn with their points in progress, chat, pointer moves) and 2 hours of
 * Ogg Opus audio in 100 ms pages — is written as a live meeting's archive; the whole server
 * (server/deckcast.ts) restores it, the owner ends it, and then:
 *
 * - end_to_replay_ms: from the <end/> answer to the first seek answered over HTTP (the
 *   archive reopened for replay, its index read);
 * - seek_p50_ms / seek_p99_ms: GET …/seek?t= at 200 random times, request to parsed state;
 * - download_first_byte_ms / download_total_ms: GET …/download, to the first byte and to the
 *   last (page images rendered on first use, as the first download of a session does);
 * - index_pct: index.jsonl's size as a percentage of events.jsonl's;
 * - first_paint_ms: opening the owner's replay link in a fresh headless Chromium: from the
 *   navigation's start to the frame that shows the first page (dc-page-painted), page images
 *   rendered on first use as for a session whose images were never asked for.
 *
 *   npm run bench -- replay [--minutes 120] [--events 100000] [--seeks 200]
 *
 * Smaller sizes scale the events with the minutes unless --events is given. Writes
 * bench/results/replay.json as {seek_p50_ms, seek_p99_ms, end_to_replay_ms, first_paint_ms,
 * download_first_byte_ms, download_total_ms, index_pct} and prints a table.
 */
import { mkdir, mkdtemp, open, rm, stat, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import pino from "pino";
import xml from "@xmpp/xml";
import { archiveLinkRequest, decodeArchiveLink } from "../protocol/archive.ts";
import { NS } from "../protocol/namespaces.ts";
import type { DeckEvent } from "../protocol/types.ts";
import { privateConfig } from "../server/config.ts";
import { createDeckcast } from "../server/deckcast.ts";
import { makePdf } from "../test/support/decks-pdf.ts";
import { syntheticRecording } from "../test/support/opus.ts";
import { connectUser } from "../test/support/xmpp.ts";
import { launchBrowser } from "../test/support/browser.ts";
import { ensureWebClientBuilt } from "../web-client/build.ts";
import { arg } from "./support/args.ts";
import { printTable, quantile, round, writeResults } from "./support/table.ts";
import { rng } from "../test/support/rng.ts";

const PASSWORD = "bench-password";
const PAGE_MS = 100;
const DECK_PAGES = 20;

/**
 * Writes a live session's folder (events.jsonl, audio.opus, chat.jsonl; the manifest and the
 * index are rebuilt by the server when it restores the meeting) and returns its size.
 */
async function writeSession(dir: string, o: { minutes: number; events: number; owner: string; deck: { id: string; pages: number; title: string }; createdAt: number }): Promise<{ bytes: number; bundles: number; events: number }> {
  await mkdir(dir, { recursive: true });
  const rand = rng(12);
  const durationMs = o.minutes * 60_000;
  const pages = Math.ceil(durationMs / PAGE_MS);
  const audio = syntheticRecording({ serial: 4242, pages, framesPerPage: PAGE_MS / 20, packetBytes: 60 });
  const events = await open(path.join(dir, "events.jsonl"), "w");
  const audioFile = await open(path.join(dir, "audio.opus"), "w");
  const chat = await open(path.join(dir, "chat.jsonl"), "w");
  // The budget of events: 2 000 strokes (≈ 8 events each at 100 000 events), page turns every ~30 s, chat, the rest pointer moves.
  const strokes = Math.max(1, Math.round(2000 * (o.events / 100_000)));
  const turns = Math.max(1, Math.round(durationMs / 30_000));
  const chats = Math.max(1, Math.round(o.events / 200));
  const perStroke = 8;
  const pointer = Math.max(0, o.events - strokes * perStroke - turns - chats - 2);
  /** Which 100 ms slot each event falls in. */
  const plan = new Map<number, DeckEvent[]>();
  const at = (slot: number, e: DeckEvent) => (plan.get(slot) ?? plan.set(slot, []).get(slot)!).push(e);
  const slotT = (slot: number) => slot * PAGE_MS + Math.floor(rand() * PAGE_MS);
  let page = 1;
  for (let i = 0; i < turns; i++) {
    const slot = Math.floor(((i + 0.5) / turns) * pages);
    page = (page % o.deck.pages) + 1;
    at(slot, { type: "page", t: slotT(slot), page });
  }
  for (let s = 0; s < strokes; s++) {
    const slot = Math.floor(rand() * (pages - perStroke));
    const id = `s${s}`;
    const points: number[] = [];
    for (let k = 0; k < perStroke - 1; k++) {
      const add = Array.from({ length: 16 }, () => Math.floor(rand() * 1000));
      points.push(...add);
      at(slot + k, { type: "ink-progress", t: (slot + k) * PAGE_MS + 50, page: 1 + (s % o.deck.pages), stroke: id, tool: "pen", color: "#e03131", width: 4, points: add });
    }
    at(slot + perStroke - 1, { type: "ink-stroke", t: (slot + perStroke - 1) * PAGE_MS + 50, page: 1 + (s % o.deck.pages), stroke: id, tool: "pen", color: "#e03131", width: 4, points });
  }
  for (let i = 0; i < pointer; i++) {
    const slot = Math.floor(rand() * pages);
    at(slot, { type: "pointer", t: slotT(slot), page: 1, x: Math.floor(rand() * 1000), y: Math.floor(rand() * 1000) });
  }
  let offset = 0;
  let bytes = 0;
  let count = 0;
  let lines: string[] = [];
  const flush = async () => {
    const text = lines.join("");
    bytes += Buffer.byteLength(text);
    await events.write(text);
    lines = [];
  };
  for (let slot = 0; slot < pages; slot++) {
    const seq = slot + 1;
    const t = slot * PAGE_MS;
    const evs = (plan.get(slot) ?? []).sort((a, b) => a.t - b.t);
    if (slot === 0) evs.unshift({ type: "session-start", t: 0, title: "Replay bench", presenter: "alice" }, { type: "deck-open", t: 0, deck: o.deck });
    count += evs.length;
    const data = slot === 0 ? Buffer.concat([audio[0]!, audio[1]!, audio[2]!]) : Buffer.from(audio[slot + 2]!);
    await audioFile.write(data);
    const line = { seq, ts: o.createdAt + t, from: "alice", id: `b${seq}`, t, events: evs, audio: { t, offset, length: data.length }, ...(slot === 0 ? { rights: { owner: o.owner } } : {}) };
    offset += data.length;
    lines.push(JSON.stringify(line) + "\n");
    if (lines.length >= 1000) await flush();
  }
  await flush();
  const chatLines = Array.from({ length: chats }, (_, i) => JSON.stringify({ seq: i + 1, ts: o.createdAt + Math.floor(((i + 0.5) / chats) * durationMs), nick: "fern", text: `Question ${i + 1}: could you go back one slide?` }) + "\n");
  await chat.write(chatLines.join(""));
  await Promise.all([events.close(), audioFile.close(), chat.close()]);
  return { bytes, bundles: pages, events: count + chats };
}

export default async function run(args: string[]): Promise<void> {
  const minutes = Number(arg(args, "minutes", "120"));
  const events = Number(arg(args, "events", String(Math.round((100_000 * minutes) / 120))));
  const seeks = Number(arg(args, "seeks", "200"));
  const dataDir = await mkdtemp(path.join(os.tmpdir(), "deckcast-bench-replay-"));
  const log = pino({ level: process.env.DECKCAST_BENCH_LOG ?? "warn" });
  const config = privateConfig(dataDir, { httpHost: "127.0.0.1", publicUrl: "http://127.0.0.1:0", deckWorkers: 1 });
  try {
    // The deck, in the store first (a first start makes the store and the accounts).
    const setup = createDeckcast(config, { log });
    const s = await setup.start();
    await s.xmpp.register("alice", PASSWORD);
    const pdf = path.join(dataDir, "bench.pdf");
    await writeFile(pdf, makePdf(Array.from({ length: DECK_PAGES }, (_, i) => `Slide ${i + 1}`), { title: "Bench deck" }));
    const ingested = await s.decks.service.ingest(pdf, { name: "bench.pdf" });
    if (!ingested.ok) throw new Error(`the bench deck was not ingested: ${ingested.error.message}`);
    const owner = `alice@${s.xmpp.domains.accounts}`;
    await setup.stop();

    const createdAt = Date.now() - minutes * 60_000 - 1000;
    const session = `${new Date(createdAt).toISOString().replace(/[-:]/g, "").replace("T", "-").slice(0, 15)}-bench2`;
    const folder = path.join(dataDir, "archives", session);
    process.stdout.write(`writing a ${minutes} min session with ~${events} events…\n`);
    const made = await writeSession(folder, { minutes, events, owner, deck: { id: ingested.value.id, pages: ingested.value.pages, title: "Bench deck" }, createdAt });

    const deckcast = createDeckcast(config, { log });
    const dc = await deckcast.start();
    try {
      const deadline = Date.now() + 120_000;
      while (!dc.component.link.online || !dc.component.meetings.get("bench2")) {
        if (Date.now() > deadline) throw new Error("the bench meeting was not restored");
        await new Promise((r) => setTimeout(r, 50));
      }
      const alice = await connectUser(dc.xmpp.prosody, "alice", PASSWORD);
      const base = `http://127.0.0.1:${dc.port}`;
      const link = decodeArchiveLink(await alice.xmpp.iqCaller.request(xml("iq", { type: "set", to: dc.xmpp.domains.component }, archiveLinkRequest(session, "owner")), 30_000));
      if (!link.ok) throw new Error(link.error);
      const api = `${base}/api/replay/${link.value.token}`;

      // The meeting's end → the first seek answered.
      const meeting = dc.component.meetings.get("bench2")!;
      await alice.xmpp.iqCaller.request(xml("iq", { type: "set", to: meeting.jid }, xml("end", { xmlns: NS.deckcast })), 60_000);
      const ended = performance.now();
      const first = await fetch(`${api}/seek?t=${Math.floor((minutes * 60_000) / 2)}`);
      if (first.status !== 200) throw new Error(`seek after the end: HTTP ${first.status}`);
      await first.json();
      const endToReplay = performance.now() - ended;

      const index = (await (await fetch(`${api}/index.json`)).json()) as { duration: number };
      const rand = rng(99);
      const times: number[] = [];
      for (let i = 0; i < seeks; i++) {
        const t = Math.floor(rand() * index.duration);
        const t0 = performance.now();
        const res = await fetch(`${api}/seek?t=${t}`);
        const body = (await res.json()) as { state?: unknown };
        if (res.status !== 200 || !body.state) throw new Error(`seek t=${t}: HTTP ${res.status}`);
        times.push(performance.now() - t0);
      }

      const firstPaint = await replayFirstPaint(`${base}/replay/${link.value.token}`);

      const d0 = performance.now();
      const res = await fetch(`${api}/download`);
      const reader = res.body!.getReader();
      let firstByte = NaN;
      let zipBytes = 0;
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        if (Number.isNaN(firstByte)) firstByte = performance.now() - d0;
        zipBytes += value.length;
      }
      const downloadTotal = performance.now() - d0;
      await alice.stop();

      const journalBytes = (await stat(path.join(folder, "events.jsonl"))).size;
      const indexBytes = (await stat(path.join(folder, "index.jsonl"))).size;
      const result = {
        seek_p50_ms: round(quantile(times, 0.5)),
        seek_p99_ms: round(quantile(times, 0.99)),
        end_to_replay_ms: round(endToReplay),
        first_paint_ms: round(firstPaint),
        download_first_byte_ms: round(firstByte),
        download_total_ms: round(downloadTotal),
        index_pct: round((indexBytes / journalBytes) * 100),
      };
      printTable([
        { what: "session", value: `${minutes} min, ${made.events} events in ${made.bundles} bundles, journal ${(journalBytes / 1e6).toFixed(1)} MB, index ${(indexBytes / 1e6).toFixed(1)} MB, zip ${(zipBytes / 1e6).toFixed(1)} MB` },
        { what: "seek p50 / p99 (target p99 < 50 ms)", value: `${result.seek_p50_ms} / ${result.seek_p99_ms} ms over ${seeks} seeks` },
        { what: "end → replay (target < 1 s)", value: `${result.end_to_replay_ms} ms` },
        { what: "download first byte (target < 200 ms) / total", value: `${result.download_first_byte_ms} / ${result.download_total_ms} ms` },
        { what: "index size, % of the journal", value: `${result.index_pct} %` },
        { what: "first paint after opening the link (target < 1 s)", value: `${result.first_paint_ms} ms` },
      ]);
      const file = await writeResults("replay", result);
      process.stdout.write(`wrote ${file}\n`);
    } finally {
      await deckcast.stop();
    }
  } finally {
    await rm(dataDir, { recursive: true, force: true });
  }
}

/** Opens a replay link in a fresh browser; ms from the navigation's start to the first page on screen. */
async function replayFirstPaint(url: string): Promise<number> {
  await ensureWebClientBuilt({ quiet: true });
  const browser = await launchBrowser();
  try {
    const viewer = await browser.person("viewer");
    await viewer.page.addInitScript(() => {
      const w = window as unknown as { firstPaint: number | null };
      w.firstPaint = null;
      document.addEventListener("dc-page-painted", (e) => (w.firstPaint ??= (e as CustomEvent<{ at: number }>).detail.at - performance.timeOrigin));
    });
    await viewer.page.goto(url);
    await viewer.page.waitForFunction(() => (window as unknown as { firstPaint: number | null }).firstPaint !== null, undefined, { timeout: 60_000 });
    return await viewer.page.evaluate(() => (window as unknown as { firstPaint: number }).firstPaint);
  } finally {
    await browser.close();
  }
}
