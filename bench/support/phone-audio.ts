/**
 * The phone benchmark's voice: a real Ogg Opus recording at 24 kb/s (ffmpeg's libopus, 20 ms
 * frames, 200 ms pages: a tone that moves, so the encoder has something to encode) cut into
 * the chunks a presenter sends, one 200 ms page a chunk (the header pages ride with the first),
 * by test/support/opus.ts.
 */
import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import type { AudioChunk } from "../../protocol/types.ts";
import { chunksOf } from "../../test/support/opus.ts";

const run = promisify(execFile);

export async function voiceChunks(seconds: number): Promise<AudioChunk[]> {
  const dir = await mkdtemp(path.join(os.tmpdir(), "deckcast-bench-voice-"));
  try {
    const out = path.join(dir, "voice.opus");
    const src = `aevalsrc='0.3*sin(2*PI*(300+200*sin(2*PI*0.5*t))*t)':s=48000:d=${seconds}`;
    await run("ffmpeg", ["-v", "error", "-f", "lavfi", "-i", src, "-c:a", "libopus", "-b:a", "24k", "-frame_duration", "20", "-page_duration", "200000", "-application", "voip", out]);
    return chunksOf(new Uint8Array(await readFile(out)), 0);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
