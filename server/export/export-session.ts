/**
 * One session archive to one video file: reads the journal (timeline.ts), renders each
 * picture that changes (frames.ts) into ffmpeg (ffmpeg-args.ts, frames over stdin as
 * mkv-frames.ts), with the session's audio, chapters and chat (side-files.ts).
 *
 * The file is written under a temp name beside `out` (`<out>.<pid>-<n>.part`, with its
 * side files) and renamed to `out` only when ffmpeg finished it; every failure — a damaged
 * archive, a deck no longer in the store, a full disk, the encoder, a cancel (the signal:
 * ffmpeg is killed) — removes the temp files and throws an ExportError with its code, so
 * nothing half-written is ever under the final name.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { readFile, rename, rm, stat, statfs, writeFile } from "node:fs/promises";
import path from "node:path";
import type { Logger } from "pino";
import { ExportError, type ExportFormat } from "../../protocol/export.ts";
import { apply, initialState } from "../../protocol/reducer.ts";
import type { RoomState } from "../../protocol/types.ts";
import { CHAT_FILE } from "../archive/chat-log.ts";
import { AUDIO_FILE, type JournalLine } from "../archive/journal.ts";
import type { Manifest } from "../archive/manifest.ts";
import { aacArgs, ffmpegArgs, muxArgs } from "./ffmpeg-args.ts";
import { FrameBuffers } from "./frame-buffers.ts";
import { FrameRenderer, frameSize, pageRatio, type ExportDecks } from "./frames.ts";
import { mkvFrame, mkvHeader } from "./mkv-frames.ts";
import { chatVtt, ffmetadata, parseChatLines } from "./side-files.ts";
import { timeline, type Timeline } from "./timeline.ts";

/** What an export reads of an archive (server/archive/replay-source.ts's ReplaySource). */
export interface ExportSource {
  dir: string;
  readonly manifest: Readonly<Pick<Manifest, "title" | "duration" | "session">>;
  journal: { readAll(): Promise<JournalLine[]> };
}

export interface ExportOptions {
  source: ExportSource;
  decks: ExportDecks;
  out: string;
  format: ExportFormat;
  width?: number;
  /** Frames a second at most while a stroke is drawn or the pointer moves. */
  fps?: number;
  signal?: AbortSignal;
  /** 0..1 of the session's time rendered (called at most ~10 times a second of work). */
  onProgress?: (fraction: number) => void;
  log?: Logger;
  /** ffmpeg's threads (default: its own choice). */
  threads?: number;
  /** x264's preset for MP4 (default ultrafast: ffmpeg-args.ts). */
  preset?: string;
  /** MP4: encode the audio in the video's own ffmpeg, not one beside it (a server job keeps to one core). */
  oneProcess?: boolean;
}

export interface ExportResult {
  out: string;
  bytes: number;
  frames: number;
  durationMs: number;
  width: number;
  height: number;
  chapters: number;
}

let tempCount = 0;

/** What an export writes beside its temp file `<out>.<pid>-<n>.part`, by suffix: chapters, chat, and MP4's video and AAC before they are joined. */
const SIDE_FILES = [".ffmeta", ".vtt", ".video.mp4", ".aac.mp4"] as const;

/** Whether `name` is a temp or side file an export to `outName` (in the same folder) left behind, cut short by a crash or restart. */
export function isExportLeftover(name: string, outName: string): boolean {
  const m = /^\.\d+-\d+\.part(.*)$/.exec(name.startsWith(outName) ? name.slice(outName.length) : "");
  return !!m && (m[1] === "" || (SIDE_FILES as readonly string[]).includes(m[1]!));
}

/** Frame size of the export: the first deck's first page at `width` (16:9 when no deck is shown). */
export function exportFrameSize(tl: Timeline, decks: ExportDecks, width: number): { width: number; height: number } {
  const first = tl.chapters[0];
  return frameSize(width, first ? pageRatio(decks, first.deck, 1) : 16 / 9);
}

/** The room at each of the timeline's frames, in order (events applied incrementally). */
export function* statesAt(tl: Timeline, title: string): Generator<{ t: number; state: RoomState }> {
  let state = initialState(title);
  let next = 0;
  for (const t of tl.frames) {
    while (next < tl.events.length && tl.events[next]!.at <= t) state = apply(state, tl.events[next++]!.event);
    yield { t, state };
  }
}

/** The room at session time t, from the timeline (what the replay player shows at t). */
export function stateAt(tl: Timeline, title: string, t: number): RoomState {
  let state = initialState(title);
  for (const e of tl.events) {
    if (e.at > t) break;
    state = apply(state, e.event);
  }
  return state;
}

export async function loadTimeline(source: ExportSource, fps = 30): Promise<{ tl: Timeline; lines: JournalLine[] }> {
  let lines: JournalLine[];
  try {
    lines = await source.journal.readAll();
  } catch (err) {
    throw new ExportError("bad-archive", `The journal cannot be read: ${(err as Error).message}`);
  }
  return { tl: timeline(lines, { fps, duration: source.manifest.duration }), lines };
}

export async function exportSession(o: ExportOptions): Promise<ExportResult> {
  const { source, decks, out, format, signal, log } = o;
  if (signal?.aborted) throw new ExportError("canceled");
  const { tl, lines } = await loadTimeline(source, o.fps ?? 30);
  for (const c of tl.chapters) {
    if (!decks.get(c.deck)) throw new ExportError("missing-deck", `Deck ${c.deck.slice(0, 12)}… (shown at ${Math.round(c.start / 1000)} s) is not in the deck store.`);
  }
  const duration = Math.max(1, tl.duration);
  const size = exportFrameSize(tl, decks, o.width ?? 1920);
  const tmp = `${out}.${process.pid}-${++tempCount}.part`;
  const [metaFile, subsFile, videoFile, aacFile] = SIDE_FILES.map((side) => tmp + side) as [string, string, string, string];
  const cleanup = () => Promise.all([tmp, metaFile, subsFile, videoFile, aacFile].map((f) => rm(f, { force: true }))).then(() => undefined);
  // Stops the side ffmpeg (the AAC one) when the export ends early, whatever ended it.
  const sideStop = new AbortController();
  const sideSignal = signal ? AbortSignal.any([signal, sideStop.signal]) : sideStop.signal;

  try {
    const audio = path.join(source.dir, AUDIO_FILE);
    const hasAudio = await stat(audio).then((s) => s.size > 0, () => false);
    const first = lines[0];
    const origin = first ? first.ts - first.t : 0;
    const chat = parseChatLines(await readFile(path.join(source.dir, CHAT_FILE), "utf8").catch(() => ""));
    const vtt = chatVtt(chat, origin, duration);
    const titles = new Map<string, string>();
    for (const { event: e } of tl.events) if (e.type === "deck-open" && !titles.has(e.deck.id)) titles.set(e.deck.id, e.deck.title);
    const deckTitle = (id: string) => titles.get(id) ?? "";
    await writeFile(metaFile, ffmetadata(source.manifest.title, tl.chapters, duration, deckTitle));
    if (vtt) await writeFile(subsFile, vtt);
    // MP4 with a voice: AAC is encoded by an ffmpeg of its own while the frames are, and the
    // two files are then copied into one (bench/results/export.json: the audio no longer waits
    // in the video ffmpeg's one main thread). WebM carries the Opus as it is.
    const sideAac = format === "mp4" && hasAudio && !o.oneProcess;
    const aac = sideAac ? runFfmpeg(aacArgs({ audio, durationMs: duration, out: aacFile }), sideSignal) : null;
    // Awaited below; a failed AAC stops the frames at once, and its own error is the export's.
    const videoStop = new AbortController();
    aac?.catch(() => videoStop.abort());
    const args = ffmpegArgs({
      format,
      durationMs: duration,
      audio: hasAudio && !sideAac ? audio : null,
      metadata: metaFile,
      subtitles: vtt ? subsFile : null,
      out: sideAac ? videoFile : tmp,
      intermediate: sideAac,
      threads: o.threads,
      preset: o.preset,
    });
    const renderer = new FrameRenderer(size.width, size.height, decks);
    let frames: number;
    try {
      frames = await encode(args, tl, source.manifest.title, renderer, duration, aac ? { ...o, signal: signal ? AbortSignal.any([signal, videoStop.signal]) : videoStop.signal } : o);
    } catch (err) {
      if (aac && videoStop.signal.aborted && !signal?.aborted) await aac;
      throw err;
    }
    if (aac) {
      await aac;
      await runFfmpeg(muxArgs({ video: videoFile, audio: aacFile, durationMs: duration, out: tmp }), signal);
    }
    await rename(tmp, out);
    const bytes = (await stat(out)).size;
    await cleanup();
    log?.info({ session: source.manifest.session, out, frames, bytes }, "session exported");
    return { out, bytes, frames, durationMs: duration, width: size.width, height: size.height, chapters: tl.chapters.length };
  } catch (err) {
    sideStop.abort();
    await cleanup().catch(() => undefined);
    if (err instanceof ExportError) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    if (code === "ENOSPC" || code === "EDQUOT") throw new ExportError("disk-full");
    throw new ExportError("encoder-failed", `The export failed: ${(err as Error).message}`);
  }
}

/** Less than this free beside the output after ffmpeg failed: the failure is a full disk. */
const FULL_DISK_BYTES = 16 * 1024 * 1024;

async function diskFull(dir: string): Promise<boolean> {
  try {
    const s = await statfs(dir);
    return s.bavail * s.bsize < FULL_DISK_BYTES;
  } catch {
    return false;
  }
}

interface Ffmpeg {
  child: ChildProcess;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; error?: Error }>;
  /** Its last 4000 characters of stderr. */
  stderr(): string;
}

/** Starts ffmpeg with `args` (stdin a pipe when `stdin`); the signal kills it. */
function startFfmpeg(args: string[], signal: AbortSignal | undefined, stdin: boolean): Ffmpeg {
  const child = spawn("ffmpeg", args, { stdio: [stdin ? "pipe" : "ignore", "ignore", "pipe"] });
  let stderr = "";
  child.stderr!.setEncoding("utf8").on("data", (d: string) => {
    stderr = (stderr + d).slice(-4000);
  });
  const onAbort = () => child.kill("SIGKILL");
  signal?.addEventListener("abort", onAbort, { once: true });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; error?: Error }>((resolve) => {
    child.once("error", (error) => resolve({ code: null, signal: null, error }));
    child.once("close", (code, signal) => resolve({ code, signal }));
  }).finally(() => signal?.removeEventListener("abort", onAbort));
  return { child, exited, stderr: () => stderr };
}

/** Throws the ExportError an ended ffmpeg's exit and words mean; `out` is the file it wrote. */
async function checkExit(r: Awaited<Ffmpeg["exited"]>, stderr: string, out: string): Promise<void> {
  if (r.error) throw new ExportError("encoder-failed", `ffmpeg cannot be started: ${r.error.message}`);
  // ffmpeg 5.1 exits 0 when writing the file failed (a full disk at the trailer: "Error writing
  // trailer …", "Error closing file …"), so its own error lines count as a failure too.
  const writeFailed = /Error (writing|closing)|No space left on device/.test(stderr);
  if (r.code !== 0 || writeFailed) {
    // ffmpeg says ENOSPC only in words (strerror); the free space beside the file is the check of our own.
    if (stderr.includes("No space left on device") || (await diskFull(path.dirname(out)))) throw new ExportError("disk-full");
    throw new ExportError("encoder-failed", `ffmpeg failed (${r.code ?? r.signal}): ${stderr.trim().split("\n").slice(-3).join(" / ")}`);
  }
}

/** Runs an ffmpeg that reads files only (the AAC and the mux steps) to its end. */
async function runFfmpeg(args: string[], signal: AbortSignal | undefined): Promise<void> {
  if (signal?.aborted) throw new ExportError("canceled");
  const f = startFfmpeg(args, signal, false);
  const r = await f.exited;
  if (signal?.aborted) throw new ExportError("canceled");
  await checkExit(r, f.stderr(), args[args.length - 1]!);
}

/** Runs ffmpeg and feeds it the frames; resolves with the frames written. */
async function encode(args: string[], tl: Timeline, title: string, renderer: FrameRenderer, duration: number, o: ExportOptions): Promise<number> {
  const { child, exited, stderr } = startFfmpeg(args, o.signal, true);
  let dead = false;
  void exited.then(() => (dead = true));
  child.stdin!.on("error", () => undefined); // EPIPE when ffmpeg stops first: its exit says why

  let frames = 0;
  let feedError: unknown = null;
  try {
    await write(child, mkvHeader(renderer.width, renderer.height, "I420"));
    // The last changed frame waits for the next (the last one is written with its duration);
    // frames on their way to ffmpeg keep their own buffer, from a few reused ones (frame-buffers.ts).
    const buffers = new FrameBuffers(renderer.frame, FRAMES_IN_FLIGHT, exited);
    let held: { t: number; pixels: Buffer } | null = null;
    let lastReport = 0;
    const send = async (f: { t: number; pixels: Buffer }, duration?: number) => {
      const [head, pixels, ...tail] = mkvFrame(f.t, f.pixels, duration);
      await write(child, head!);
      child.stdin!.write(pixels!, () => buffers.give(f.pixels));
      for (const b of tail) await write(child, b);
      frames++;
    };
    for (const { t, state } of statesAt(tl, title)) {
      if (o.signal?.aborted || dead) break;
      const { regions } = await renderer.next(state);
      if (regions.length === 0) continue;
      buffers.changed(regions);
      if (held) await send(held);
      const pixels = await buffers.take();
      if (pixels === null) break; // ffmpeg is gone: its exit says why
      held = { t, pixels };
      if (o.onProgress && (frames - lastReport >= 30 || frames === 0)) {
        lastReport = frames;
        o.onProgress(Math.min(0.99, t / duration));
      }
    }
    if (held && !o.signal?.aborted && !dead) await send(held, Math.max(1, duration - Math.round(held.t)));
  } catch (err) {
    feedError = err;
    if (err instanceof ExportError) child.kill("SIGKILL");
  } finally {
    child.stdin!.end();
  }
  const r = await exited;
  if (o.signal?.aborted) throw new ExportError("canceled");
  if (feedError instanceof ExportError) throw feedError;
  await checkExit(r, stderr(), args[args.length - 1]!);
  if (feedError) throw feedError;
  o.onProgress?.(1);
  return frames;
}

function write(child: ChildProcess, chunk: Buffer): Promise<void> {
  const stdin = child.stdin!;
  if (stdin.destroyed || !stdin.writable) return Promise.resolve();
  if (stdin.write(chunk)) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      stdin.off("drain", done);
      stdin.off("close", done);
      child.off("close", done);
      resolve();
    };
    stdin.once("drain", done);
    stdin.once("close", done);
    child.once("close", done);
  });
}

/** Frames written to ffmpeg and not yet taken by it, at most (each is width × height × 1.5 bytes). */
const FRAMES_IN_FLIGHT = 3;
