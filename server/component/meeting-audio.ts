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
  if (audio) {
    const plan = stream.append(audio);
    if (!plan.ok) return fail("bad-bundle", plan.error, "bundle/audio[1]/text()");
    return ok({ plan: plan.value, withAudio });
  }
  const stop = bundle.events.find((e) => e.type === "session-stop");
  if (stop && stream.state.headers && !stream.state.ended) return ok({ plan: stream.finish(stop.t), withAudio });
  return ok(null);
}
