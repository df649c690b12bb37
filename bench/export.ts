/**
 * Video export (issue 15): a synthetic 1-hour session — 60 page turns, 2 000 strokes of 50
 * points each drawn over 1 s (ten ink-progress events of 5 points, then the stroke), 5
 * minutes of laser pointer (ten 30 s bursts, 20 moves a second), chat, and 1 hour of real
 * Ogg Opus audio (ffmpeg, libopus) in the journal's lines — is written as an ended session's
 * archive; then it is exported to 1080p MP4 (server/export/) in a process of its own, as
 * `deckcast export` runs (bench/support/export-child.ts: so the memory is the export's, not
 * this process's, which has just built an hour of audio), and reported:
 *
 * - seconds, x_realtime: the export's wall time, and the session's length over it;
 * - frames: frames written (changed pictures only); bytes: the MP4's size;
 * - peak_rss_mb: the export process's peak resident memory plus ffmpeg's (VmHWM; ffmpeg's
 *   sampled from /proc while it runs), and node_rss_mb and ffmpeg_rss_mb separately;
 * - node_cpu_s, ffmpeg_cpu_s: CPU seconds of each (what a 2-core machine has to share).
 *
 * And the floor, in the same run: ffmpeg with the export's own codec settings (ffmpeg-args.ts)
 * encoding as many frames of one still 1080p page (decoded and converted once, then the same
 * picture again and again: no rendering, no pipe) plus the same hour of audio. It is what this
 * machine's encoder alone needs for that many frames, whatever makes them: floor_seconds,
 * floor_x_realtime, and ratio_to_floor (the export's seconds over the floor's).
 *
 * DECKCAST_BENCH_PROFILE=<dir> writes the export process's CPU profile there.
 *
 *   npm run bench -- export [--minutes 60] [--width 1920] [--fps 30] [--preset ultrafast]
 *
 * Targets (the issue): at least 60× real time, peak RSS under 500 MB. Writes
 * bench/results/export.json as {seconds, x_realtime, frames, bytes, peak_rss_mb} (and the rest).
 */
import { execFile, spawn } from "node:child_process";
import { mkdir, mkdtemp, open, readdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import pino from "pino";
import { buildPage, parsePages } from "../protocol/ogg.ts";
import type { DeckEvent } from "../protocol/types.ts";
import { DeckService } from "../server/decks/service.ts";
import { aacArgs, DEFAULT_PRESET, ffmpegArgs, muxArgs } from "../server/export/ffmpeg-args.ts";
import { makePdf } from "../test/support/decks-pdf.ts";
import { rng } from "../test/support/rng.ts";
import { arg } from "./support/args.ts";
import { printTable, round, writeResults } from "./support/table.ts";

const run = promisify(execFile);
const DECK_PAGES = 20;
const LINE_MS = 1000;

/** `minutes` of a 440 Hz tone under a little noise, as Ogg Opus (20 ms frames, ~1 s pages). */
async function opusAudio(dir: string, minutes: number): Promise<Uint8Array> {
  const out = path.join(dir, "tone.opus");
  const src = `sine=f=440:d=${minutes * 60}:sample_rate=48000`;
  await run("ffmpeg", ["-v", "error", "-y", "-f", "lavfi", "-i", src, "-ac", "1", "-c:a", "libopus", "-b:a", "16k", "-application", "voip", "-frame_duration", "20", "-page_duration", "1000000", out], { maxBuffer: 1 << 20 });
  return new Uint8Array(await readFile(out));
}

/** The synthetic session's events, by time. */
function plan(minutes: number, deck: { id: string; pages: number; title: string }): DeckEvent[] {
  const rand = rng(15);
  const duration = minutes * 60_000;
  const out: DeckEvent[] = [
    { type: "session-start", t: 0, title: "Export bench", presenter: "alice" },
    { type: "deck-open", t: 0, deck },
  ];
  const turns = Math.round(60 * (minutes / 60));
  let page = 1;
  const pageAt = (t: number) => 1 + Math.min(turns, Math.floor((t / duration) * (turns + 1))) % deck.pages;
  for (let i = 1; i <= turns; i++) {
    page = 1 + (i % deck.pages);
    out.push({ type: "page", t: Math.round((i / (turns + 1)) * duration), page });
  }
  const strokes = Math.round(2000 * (minutes / 60));
  for (let s = 0; s < strokes; s++) {
    const t0 = Math.round((s / strokes) * (duration - 2000)) + 500;
    const p = pageAt(t0 + 1000);
    const points: number[] = [];
    let x = 1000 + Math.floor(rand() * 7000);
    let y = 1000 + Math.floor(rand() * 7000);
    for (let k = 0; k < 10; k++) {
      const add: number[] = [];
      for (let j = 0; j < 5; j++) {
        x = Math.max(0, Math.min(10_000, x + Math.floor(rand() * 200) - 60));
        y = Math.max(0, Math.min(10_000, y + Math.floor(rand() * 120) - 60));
        add.push(x, y);
      }
      points.push(...add);
      out.push({ type: "ink-progress", t: t0 + k * 100, page: p, stroke: `s${s}`, tool: s % 5 === 0 ? "highlighter" : "pen", color: s % 5 === 0 ? "#ffd43b" : "#e03131", width: s % 5 === 0 ? 200 : 30, points: add });
    }
    out.push({ type: "ink-stroke", t: t0 + 1000, page: p, stroke: `s${s}`, tool: s % 5 === 0 ? "highlighter" : "pen", color: s % 5 === 0 ? "#ffd43b" : "#e03131", width: s % 5 === 0 ? 200 : 30, points });
    if (s % 25 === 24) out.push({ type: "ink-clear", t: t0 + 1010, page: p });
  }
  const laserMs = 5 * 60_000 * (minutes / 60);
  const bursts = 10;
  for (let b = 0; b < bursts; b++) {
    const start = Math.round(((b + 0.5) / bursts) * duration);
    for (let t = 0; t < laserMs / bursts; t += 50) {
      out.push({ type: "pointer", t: start + t, page: pageAt(start + t), x: 5000 + Math.round(3000 * Math.sin(t / 700)), y: 5000 + Math.round(2000 * Math.cos(t / 900)) });
    }
    out.push({ type: "pointer", t: start + laserMs / bursts, page: pageAt(start + laserMs / bursts) });
  }
  out.push({ type: "session-stop", t: duration });
  // The reducer's page rule: events of a page only while it is shown (the bench keeps them consistent by time).
  return out.sort((a, b) => a.t - b.t);
}

/** Writes an ended session's folder: events.jsonl (one line a second with that second's audio), audio.opus, chat.jsonl. */
async function writeSession(dir: string, o: { minutes: number; deck: { id: string; pages: number; title: string }; audio: Uint8Array; createdAt: number }): Promise<{ lines: number; events: number }> {
  await mkdir(dir, { recursive: true });
  const parsed = parsePages(o.audio);
  if (!parsed.ok) throw new Error(parsed.error.message);
  const pages = parsed.value;
  const events = plan(o.minutes, o.deck);
  const duration = o.minutes * 60_000;
  const evFile = await open(path.join(dir, "events.jsonl"), "w");
  const auFile = await open(path.join(dir, "audio.opus"), "w");
  let offset = 0;
  let e = 0;
  let p = 0;
  let seq = 0;
  let buf: string[] = [];
  const lineCount = Math.ceil(duration / LINE_MS) + 1;
  for (let i = 0; i < lineCount; i++) {
    const t = i * LINE_MS;
    const evs: DeckEvent[] = [];
    while (e < events.length && events[e]!.t < t + LINE_MS) evs.push(events[e++]!);
    // The audio pages that start in this second (the header pages ride with the first).
    const parts: Uint8Array[] = [];
    while (p < pages.length && (pages[p]!.granule <= 0 || (pages[p]!.granule / 48) - 1000 < t + LINE_MS)) parts.push(buildPage(pages[p++]!));
    const data = Buffer.concat(parts);
    seq++;
    const line: Record<string, unknown> = { seq, ts: o.createdAt + t, from: "alice", id: `b${seq}`, t, events: evs };
    if (data.length > 0) {
      await auFile.write(data);
      line.audio = { t, offset, length: data.length };
      offset += data.length;
    }
    if (i === 0) line.rights = { owner: "alice@localhost" };
    buf.push(JSON.stringify(line) + "\n");
    if (buf.length >= 500) {
      await evFile.write(buf.join(""));
      buf = [];
    }
  }
  await evFile.write(buf.join(""));
  const chat = Array.from({ length: 200 }, (_, i) => JSON.stringify({ seq: i + 1, ts: o.createdAt + Math.floor(((i + 0.5) / 200) * duration), nick: "fern", text: `Question ${i + 1}: could you go back one slide?` }) + "\n");
  await writeFile(path.join(dir, "chat.jsonl"), chat.join(""));
  await Promise.all([evFile.close(), auFile.close()]);
  return { lines: seq, events: events.length };
}

/** A process's peak resident memory (VmHWM, kB) and CPU seconds (utime + stime); null once it is gone. */
async function procUse(pid: number): Promise<{ hwmKb: number; cpuS: number } | null> {
  const [status, stat] = await Promise.all([readFile(`/proc/${pid}/status`, "utf8").catch(() => ""), readFile(`/proc/${pid}/stat`, "utf8").catch(() => "")]);
  const hwm = /^VmHWM:\s+(\d+) kB/m.exec(status);
  // Fields after the command's closing parenthesis: utime and stime are the 12th and 13th.
  const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  if (!hwm || f.length < 13) return null;
  return { hwmKb: Number(hwm[1]), cpuS: (Number(f[11]) + Number(f[12])) / CLOCK_TICKS };
}
const CLOCK_TICKS = 100;

/**
 * The ffmpeg children of `parent`, from the kernel's list of each of its threads' children.
 * (Scanning every process in /proc ten times a second took a third of a core from the export
 * it measured.)
 */
async function ffmpegChildren(parent: number): Promise<number[]> {
  const out: number[] = [];
  for (const task of await readdir(`/proc/${parent}/task`).catch(() => [] as string[])) {
    const children = await readFile(`/proc/${parent}/task/${task}/children`, "utf8").catch(() => "");
    for (const pid of children.split(" ").filter((x) => /^\d+$/.test(x))) {
      if ((await readFile(`/proc/${pid}/comm`, "utf8").catch(() => "")).trim() === "ffmpeg") out.push(Number(pid));
    }
  }
  return out;
}

/**
 * Seconds ffmpeg takes to encode `frames` frames of one still page, with the export's own
 * arguments (its input swapped for the page, scaled and converted to I420 once and looped),
 * and the session's audio, arranged as `deckcast export` arranges them (export-session.ts):
 * the AAC in an ffmpeg of its own at the same time, then both copied into one file. The
 * encoder's share of an export, with nothing rendered.
 */
async function encoderFloor(o: { decks: DeckService; deck: string; frames: number; width: number; height: number; audio: string; durationMs: number; preset: string; out: string }): Promise<number> {
  const image = await o.decks.pageImage(o.deck, 1, o.width);
  if (!image.ok) throw new Error("the floor's page image was not rendered");
  const fps = Math.max(1, o.frames / (o.durationMs / 1000));
  const video = `${o.out}.video.mp4`;
  const aac = `${o.out}.aac.mp4`;
  const args = ffmpegArgs({ format: "mp4", durationMs: o.durationMs, audio: null, metadata: null, subtitles: null, out: video, intermediate: true, preset: o.preset });
  const at = args.indexOf("pipe:0");
  if (at < 3 || args[at - 2] !== "matroska") throw new Error("ffmpegArgs no longer starts with the Matroska pipe input");
  // The still picture in place of the frames on stdin; -frames:v stops it after as many frames.
  const still = `movie=${image.value.replace(/[\\:',;\[\]]/g, "\\$&")},scale=${o.width}:${o.height},format=yuv420p,loop=loop=-1:size=1,setpts=N/(${fps.toFixed(4)}*TB)`;
  const floorArgs = [...args.slice(0, at - 3), "-f", "lavfi", "-i", still, ...args.slice(at + 1, -1), "-frames:v", String(o.frames), args.at(-1)!];
  const t0 = performance.now();
  await Promise.all([run("ffmpeg", floorArgs, { maxBuffer: 1 << 20 }), run("ffmpeg", aacArgs({ audio: o.audio, durationMs: o.durationMs, out: aac }), { maxBuffer: 1 << 20 })]);
  await run("ffmpeg", muxArgs({ video, audio: aac, durationMs: o.durationMs, out: o.out }), { maxBuffer: 1 << 20 });
  const seconds = (performance.now() - t0) / 1000;
  await Promise.all([video, aac].map((f) => rm(f, { force: true })));
  return seconds;
}

export default async function runBench(args: string[]): Promise<void> {
  const minutes = Number(arg(args, "minutes", "60"));
  const width = Number(arg(args, "width", "1920"));
  const fps = Number(arg(args, "fps", "30"));
  const preset = arg(args, "preset", DEFAULT_PRESET);
  const dataDir = await mkdtemp(path.join(os.tmpdir(), "deckcast-bench-export-"));
  const log = pino({ level: process.env.DECKCAST_BENCH_LOG ?? "warn" });
  const decks = new DeckService({ dataDir, workers: 1, lazyOffice: true, log });
  try {
    const pdf = path.join(dataDir, "bench.pdf");
    await writeFile(pdf, makePdf(Array.from({ length: DECK_PAGES }, (_, i) => `Slide ${i + 1}`), { title: "Bench deck" }));
    const ingested = await decks.ingest(pdf, { name: "bench.pdf" });
    if (!ingested.ok) throw new Error(`the bench deck was not ingested: ${ingested.error.message}`);
    const deck = { id: ingested.value.id, pages: ingested.value.pages, title: "Bench deck" };
    process.stdout.write(`encoding ${minutes} min of Opus audio and writing the session…\n`);
    const audio = await opusAudio(dataDir, minutes);
    const createdAt = Date.now() - minutes * 60_000 - 1000;
    const session = `${new Date(createdAt).toISOString().replace(/[-:]/g, "").replace("T", "-").slice(0, 15)}-benchx`;
    const dir = path.join(dataDir, "archives", session);
    const made = await writeSession(dir, { minutes, deck, audio, createdAt });
    const out = path.join(dataDir, "talk.mp4");
    // The export runs in a process of its own (bench/support/export-child.ts), as `deckcast export` does.
    const job = { dataDir, dir, session, minutes, out, width, fps, preset };
    const t0 = performance.now();
    const child = spawn(process.execPath, [...(process.env.DECKCAST_BENCH_PROFILE ? ["--cpu-prof", `--cpu-prof-dir=${process.env.DECKCAST_BENCH_PROFILE}`] : []), "--import", "tsx", path.join(import.meta.dirname, "support/export-child.ts")], {
      env: { ...process.env, DECKCAST_BENCH_EXPORT: JSON.stringify(job) },
      stdio: ["ignore", "pipe", "inherit"],
    });
    let stdout = "";
    child.stdout!.setEncoding("utf8").on("data", (d: string) => (stdout += d));
    const ffmpeg = new Map<number, { hwmKb: number; cpuS: number }>();
    const sample = async () => {
      for (const pid of await ffmpegChildren(child.pid!)) {
        const u = await procUse(pid);
        if (u) ffmpeg.set(pid, u);
      }
    };
    const sampler = setInterval(() => void sample(), 100);
    const code = await new Promise<number | null>((resolve) => child.once("exit", resolve));
    clearInterval(sampler);
    const seconds = (performance.now() - t0) / 1000;
    if (code !== 0) throw new Error(`the export exited with ${code}`);
    const r = JSON.parse(stdout.trim().split("\n").at(-1)!) as { frames: number; width: number; height: number; cpu_user_s: number; cpu_sys_s: number; max_rss_kb: number };
    const nodeMb = r.max_rss_kb / 1024;
    const ffmpegMb = Math.max(0, ...[...ffmpeg.values()].map((u) => u.hwmKb)) / 1024;
    const ffmpegCpu = [...ffmpeg.values()].reduce((s, u) => s + u.cpuS, 0);
    const result = {
      seconds: round(seconds),
      x_realtime: round((minutes * 60) / seconds),
      frames: r.frames,
      bytes: (await stat(out)).size,
      peak_rss_mb: round(nodeMb + ffmpegMb),
      node_rss_mb: round(nodeMb),
      ffmpeg_rss_mb: round(ffmpegMb),
      node_cpu_s: round(r.cpu_user_s + r.cpu_sys_s),
      ffmpeg_cpu_s: round(ffmpegCpu),
      fps_max: fps,
      preset,
      width: r.width,
      height: r.height,
      session_minutes: minutes,
      journal_lines: made.lines,
      events: made.events,
    };
    process.stdout.write(`the floor: x264 and AAC alone on ${r.frames} still frames and the same audio…\n`);
    const floorSeconds = await encoderFloor({ decks, deck: deck.id, frames: r.frames, width: r.width, height: r.height, audio: path.join(dir, "audio.opus"), durationMs: minutes * 60_000, preset, out: path.join(dataDir, "floor.mp4") });
    const withFloor = { ...result, floor_seconds: round(floorSeconds), floor_x_realtime: round((minutes * 60) / floorSeconds), ratio_to_floor: round(seconds / floorSeconds) };
    printTable([withFloor]);
    process.stdout.write(`wrote ${await writeResults("export", withFloor)}\n`);
  } finally {
    await decks.stop();
    await rm(dataDir, { recursive: true, force: true });
  }
}
