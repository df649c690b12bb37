/**
 * Real and synthetic Ogg Opus recordings for tests: beeps at known times encoded by ffmpeg
 * (libopus) or opusenc, cut into the chunks a presenter would send; synthetic recordings of
 * any size (valid framing, meaningless audio); decoding to PCM and finding the beeps again.
 */
import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import type { AudioChunk } from "../../protocol/types.ts";
import { buildPage, packPages, parsePages } from "../../protocol/ogg.ts";
import { buildOpusHead, buildOpusTags } from "../../server/archive/opus.ts";

const run = promisify(execFile);
const RATE = 48000;

/** A recording of `durationMs` (mono unless told) with 100 ms, 1 kHz beeps starting at `beepsMs`, encoded with 20 ms frames and ~200 ms pages. */
export async function beepRecording({ durationMs, beepsMs, encoder, channels = 1 }: { durationMs: number; beepsMs: number[]; encoder: "ffmpeg" | "opusenc"; channels?: number }): Promise<Uint8Array> {
  const dir = await mkdtemp(path.join(os.tmpdir(), "deckcast-opus-"));
  try {
    const on = beepsMs.map((ms) => `between(t,${ms / 1000},${(ms + 100) / 1000})`).join("+");
    const wave = `0.5*sin(2*PI*1000*t)*gt(${on || "0"},0)`;
    const src = `aevalsrc='${Array(channels).fill(wave).join("|")}':s=${RATE}:d=${durationMs / 1000}`;
    const out = path.join(dir, "rec.opus");
    if (encoder === "ffmpeg") {
      await run("ffmpeg", ["-v", "error", "-f", "lavfi", "-i", src, "-c:a", "libopus", "-b:a", "32k", "-frame_duration", "20", "-page_duration", "200000", "-application", "voip", out]);
    } else {
      const wav = path.join(dir, "rec.wav");
      await run("ffmpeg", ["-v", "error", "-f", "lavfi", "-i", src, wav]);
      await run("opusenc", ["--quiet", "--bitrate", "32", "--framesize", "20", "--max-delay", "200", wav, out]);
    }
    return new Uint8Array(await readFile(out));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** The file's pages, each as its own bytes. */
export function pagesOf(file: Uint8Array): Uint8Array[] {
  const r = parsePages(file);
  if (!r.ok) throw new Error(r.error.message);
  return r.value.map(buildPage);
}

/**
 * What a presenter sends for a recording that starts at session time `t0`: the header pages
 * with the first audio page, then one page a chunk, each at t0 + (samples before it) / 48.
 */
export function chunksOf(file: Uint8Array, t0: number): AudioChunk[] {
  const r = parsePages(file);
  if (!r.ok) throw new Error(r.error.message);
  const chunks: AudioChunk[] = [];
  let before = 0;
  let pending: Uint8Array[] = [];
  for (const page of r.value) {
    pending.push(buildPage(page));
    if (page.granule <= 0) continue; // header pages ride with the first audio page
    chunks.push({ t: t0 + Math.round(before / 48), data: concat(pending) });
    pending = [];
    before = page.granule;
  }
  return chunks;
}

/**
 * A synthetic mono recording: `pages` pages of `framesPerPage` 20 ms CELT packets of
 * `packetBytes` each (valid Ogg Opus framing; the audio itself is noise to a decoder).
 */
export function syntheticRecording({ serial, pages, framesPerPage = 10, packetBytes = 80 }: { serial: number; pages: number; framesPerPage?: number; packetBytes?: number }): Uint8Array[] {
  const out = [...packPages([{ data: buildOpusHead({ channels: 1, preSkip: 312 }), granule: 0 }], { serial, sequence: 0, bos: true })];
  out.push(...packPages([{ data: buildOpusTags("test", []), granule: 0 }], { serial, sequence: 1 }));
  let granule = 0;
  for (let p = 0; p < pages; p++) {
    const packets = Array.from({ length: framesPerPage }, (_, i) => {
      const data = new Uint8Array(packetBytes).map((_, k) => (k * 31 + i) & 255);
      data[0] = 0xf8; // TOC: CELT fullband 20 ms, mono, one frame
      return { data, granule: (granule += 960) };
    });
    out.push(...packPages(packets, { serial, sequence: 2 + p }));
  }
  return out;
}

/** Decodes with ffmpeg to 48 kHz mono 16-bit PCM. */
export async function decodePcm(file: string): Promise<Int16Array> {
  const { stdout } = await run("ffmpeg", ["-v", "error", "-i", file, "-f", "s16le", "-ac", "1", "-ar", String(RATE), "-"], { encoding: "buffer", maxBuffer: 256 * 1024 * 1024 });
  return new Int16Array(stdout.buffer, stdout.byteOffset, stdout.length / 2);
}

/** Start times (ms) of the beeps: where the 1 ms peak level reaches `threshold` after at least 50 ms below it. */
export function findBeeps(pcm: Int16Array, threshold = 4000): number[] {
  const starts: number[] = [];
  let quietFor = Infinity;
  for (let ms = 0; ms * 48 < pcm.length; ms++) {
    let peak = 0;
    for (let i = ms * 48; i < Math.min(pcm.length, ms * 48 + 48); i++) peak = Math.max(peak, Math.abs(pcm[i]!));
    if (peak >= threshold && quietFor >= 50) starts.push(ms);
    quietFor = peak < threshold ? quietFor + 1 : 0;
  }
  return starts;
}

export function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  parts.reduce((at, p) => (out.set(p, at), at + p.length), 0);
  return out;
}

/** Runs a command; resolves with its stdout and stderr (rejects on a non-zero exit). */
export async function tool(cmd: string, args: string[]): Promise<{ stdout: string; stderr: string }> {
  return run(cmd, args, { encoding: "utf8" });
}
