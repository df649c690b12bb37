/**
 * A bundle's audio as the archive and the room get it (docs/protocol.md §Audio): the
 * presenter's Ogg Opus pages are replaced by the session stream's re-stamped pages (with
 * the stream's header pages in front of the first audio, and silence for the time nobody
 * was recorded), and the session-stop bundle closes the stream. Archive and followers
 * therefore get the same bytes, and the `<audio>` of all bundles in seq order is audio.opus.
 */
import { fail, ok } from "../../protocol/result.ts";
import type { AudioChunk, Bundle, ProtocolError, Result } from "../../protocol/types.ts";
import type { AudioPlan, OpusSessionStream } from "../archive/opus-stream.ts";

/** The most silence one bundle may add to the stream: a day (meetings idle that long end), plus slack. */
export const MAX_SILENCE_MS = 25 * 3_600_000;

export interface BundleAudio {
  /** What to write: plan.parts[0..-2] go in bundles of their own, the last part in this bundle. */
  plan: AudioPlan;
  /** The bundle with `part` as its audio (or none, when the stream got nothing from it). */
  withAudio(part: AudioChunk | undefined): Bundle;
}

/**
 * Plans the stream's pages for a bundle: null when the bundle neither carries audio nor ends
 * the session. Audio the stream cannot take is a `bad-bundle` refusal naming the problem.
 */
export function planAudio(audioStream: Result<OpusSessionStream, string>, bundle: Bundle): Result<BundleAudio | null, ProtocolError> {
  const { audio, ...rest } = bundle;
  const withAudio = (part: AudioChunk | undefined): Bundle => (part ? { ...rest, audio: part } : rest);
  // audio.opus could not be continued after a restart (logged then): the session goes on
  // without audio rather than refusing the presenter's events with it.
  if (!audioStream.ok) return audio ? ok({ plan: { parts: [], commit: () => undefined }, withAudio }) : ok(null);
  const stream = audioStream.value;
  if (audio && stream.state.headers && audio.t - stream.position > MAX_SILENCE_MS) {
    // t is already bounded by the session clock (relay.ts); this bounds the work one bundle can
    // cause even in a meeting that has run for days: silence is made in one go, in memory.
    return fail("bad-time", `this audio would follow ${Math.round((audio.t - stream.position) / 60_000)} minutes of silence; one bundle may add at most ${MAX_SILENCE_MS / 3_600_000} hours`, "bundle/audio[1]@t");
  }
  if (audio) {
    const plan = stream.append(audio);
    if (!plan.ok) return fail("bad-bundle", plan.error, "bundle/audio[1]/text()");
    return ok({ plan: plan.value, withAudio });
  }
  const stop = bundle.events.find((e) => e.type === "session-stop");
  if (stop && stream.state.headers && !stream.state.ended) return ok({ plan: stream.finish(stop.t), withAudio });
  return ok(null);
}
