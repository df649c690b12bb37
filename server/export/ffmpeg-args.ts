/**
 * The ffmpeg command of an export. Input 0 is the frames (Matroska on stdin, mkv-frames.ts:
 * I420, already converted; variable frame rate, a timestamp per changed frame); then the session's audio.opus, the
 * chapters (ffmetadata) and the chat (WebVTT) when there are any. MP4: H.264 (x264
 * `-tune stillimage`: slides are still pictures; a constant quantizer, X264_QP), AAC (64 kb/s, the fast coder; or none, when
 * aacArgs encodes it beside and muxArgs joins them), mov_text; WebM: VP9, the Opus audio
 * as it is (no re-encode), WebVTT. `-fps_mode passthrough` keeps each frame's own time
 * (ffmpeg 5.1's name for `-vsync passthrough`: no frame is duplicated to make a constant
 * rate); `-t` ends the file at the session's length.
 */
import type { ExportFormat } from "../../protocol/export.ts";

export interface FfmpegInputs {
  format: ExportFormat;
  durationMs: number;
  audio: string | null;
  metadata: string | null;
  subtitles: string | null;
  out: string;
  threads?: number;
  /** MP4 only: the file is an intermediate (no audio, remuxed by muxArgs): skip +faststart's second pass. */
  intermediate?: boolean;
  /**
   * x264's preset. Default ultrafast: a slide video is mostly still frames, and x264 spends a
   * fixed few milliseconds on each 1080p frame however little changed; veryfast took 1.65× as
   * long for a 1.3× smaller file (bench/results/export.json).
   */
  preset?: string;
}

export const DEFAULT_PRESET = "ultrafast";

/**
 * x264's constant quantizer: 17 for P frames, so 14 for I frames (x264's ip ratio), what CRF 20
 * gave a page's keyframe (mean QP 13.3, 59.4 dB against 58.8 over the 30 pages of the bench
 * deck). CRF costs a lower-resolution look at every frame to rate it: 19 % of x264's
 * instructions on the bench session's frames (callgrind), for P frames of a few changed
 * blocks that it then coded at QP 7.6, finer than the page under them.
 */
export const X264_QP = 17;

/**
 * MP4's audio: AAC with the fast coder, a quarter less CPU than the default (twoloop) for a
 * voice track, which 64 kb/s mono carries whole (the recording itself is 16–24 kb/s Opus).
 */
const AAC = ["-c:a", "aac", "-aac_coder", "fast", "-b:a", "64k"];

/** How every export ffmpeg starts: quiet but for errors (they are the export's message), never asking, overwriting its temp output. */
const QUIET = ["-hide_banner", "-nostdin", "-loglevel", "error", "-y"];

/**
 * The session's audio alone to AAC in an MP4 (`out`), for an export that encodes it in a
 * process of its own beside the video's (export-session.ts): ffmpeg 5.1 encodes every stream
 * in one main thread, so with the audio in the video's ffmpeg, AAC waited behind the frames.
 */
export function aacArgs(i: { audio: string; durationMs: number; out: string }): string[] {
  return [...QUIET, "-i", i.audio, "-map", "0:a:0", "-vn", ...AAC, "-t", seconds(i.durationMs), "-f", "mp4", i.out];
}

/**
 * The MP4 export's last step: the video file (with its chapters, metadata and subtitles) and
 * the AAC file, copied (no re-encode) into `out`, with the index up front (+faststart) so a
 * download plays before it is whole.
 */
export function muxArgs(i: { video: string; audio: string; durationMs: number; out: string }): string[] {
  return [...QUIET, "-i", i.video, "-i", i.audio, "-map", "0", "-map", "1:a:0", "-map_metadata", "0", "-map_chapters", "0", "-c", "copy", "-movflags", "+faststart", "-t", seconds(i.durationMs), "-f", "mp4", i.out];
}

const seconds = (ms: number) => (ms / 1000).toFixed(3);

export function ffmpegArgs(i: FfmpegInputs): string[] {
  const args = [...QUIET, "-f", "matroska", "-i", "pipe:0"];
  let n = 1;
  const audio = i.audio ? n++ : -1;
  if (i.audio) args.push("-i", i.audio);
  const meta = i.metadata ? n++ : -1;
  if (i.metadata) args.push("-f", "ffmetadata", "-i", i.metadata);
  const subs = i.subtitles ? n++ : -1;
  if (i.subtitles) args.push("-f", "webvtt", "-i", i.subtitles);
  args.push("-map", "0:v:0");
  if (audio > 0) args.push("-map", `${audio}:a:0`);
  if (subs > 0) args.push("-map", `${subs}:s:0`);
  if (meta > 0) args.push("-map_metadata", String(meta), "-map_chapters", String(meta));
  else args.push("-map_chapters", "-1");
  // The frames come as I420 in BT.601 limited range (i420.ts): say so, or players guess BT.709 for HD.
  // Each frame at its own millisecond: with no -enc_time_base, ffmpeg 5.1 gives the encoder a
  // time base from the first frames' guessed rate (1/30 s, or 1 s), and frames between its ticks
  // moved onto them (a turn at 1015 ms shown at 1.000 s). MP4's track counts milliseconds too.
  args.push("-enc_time_base:v", "1:1000");
  args.push("-fps_mode", "passthrough", "-pix_fmt", "yuv420p", "-colorspace", "smpte170m", "-color_primaries", "smpte170m", "-color_trc", "smpte170m", "-color_range", "tv");
  if (i.threads) args.push("-threads", String(i.threads));
  if (i.format === "mp4") {
    args.push("-c:v", "libx264", "-preset", i.preset ?? DEFAULT_PRESET, "-tune", "stillimage", "-qp", String(X264_QP));
    if (audio > 0) args.push(...AAC);
    if (subs > 0) args.push("-c:s", "mov_text");
    args.push("-video_track_timescale", "1000");
    if (!i.intermediate) args.push("-movflags", "+faststart");
    args.push("-f", "mp4");
  } else {
    args.push("-c:v", "libvpx-vp9", "-deadline", "realtime", "-cpu-used", "8", "-row-mt", "1", "-crf", "32", "-b:v", "0");
    if (audio > 0) args.push("-c:a", "copy");
    if (subs > 0) args.push("-c:s", "webvtt");
    args.push("-f", "webm");
  }
  // The last frame lasts until the file's end: ffmpeg 5.1 gives each packet the guessed rate's
  // duration (33 ms), so a file whose picture last changed minutes before its end stopped
  // there. Every packet's duration is set to run to the end; the muxers take each sample's
  // length from the next one's time, so only the last one's is kept.
  args.push("-bsf:v", `setts=duration=${Math.round(i.durationMs)}-PTS`);
  args.push("-t", seconds(i.durationMs), i.out);
  return args;
}
