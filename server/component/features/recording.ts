/**
 * Recording status in the room (docs/protocol.md §`<recording>`, prior art CN112702559B):
 * the component tells everyone, over the room's own channel, that the session's audio is
 * being recorded, how much is safely on disk, and when recording fails.
 *
 * - `recording` when audio is first archived (and again after a failure, once audio is
 *   archived again), then every `everyMs` (default 10 s) while audio keeps arriving, with
 *   the bytes and the duration of audio.opus so far;
 * - `failed`, with a reason ("disk full", "write error (EIO)", …), when an archive write
 *   fails. The report is a bundle like any other, so it is archived before it is relayed:
 *   if even that small write fails, it is tried again every `everyMs` until it succeeds.
 */
import type { Logger } from "pino";
import type { RecordingEvent, RecordingState } from "../../../protocol/types.ts";
import type { Lifecycle } from "../lifecycle.ts";
import { CommitRefused, type Meeting, type Meetings } from "../meetings.ts";

export const RECORDING_REPORT_MS = 10_000;
const ID_PREFIX = "srv-recording-";

/** Words for a failed archive write, by errno code. */
const REASONS: Record<string, string> = {
  ENOSPC: "disk full",
  EDQUOT: "disk quota exceeded",
  EIO: "write error (EIO)",
  EROFS: "the archive's disk is read-only",
  ENOENT: "the archive's folder is gone",
  EACCES: "permission to write the archive was lost",
  EPERM: "permission to write the archive was lost",
};

export function failureReason(err: Error): string {
  const code = (err as NodeJS.ErrnoException).code;
  return (code && REASONS[code]) ?? `write error (${code ?? err.message.slice(0, 100)})`;
}

export function setupRecording({ meetings, lifecycle, log, everyMs = RECORDING_REPORT_MS }: { meetings: Meetings; lifecycle: Lifecycle; log: Logger; everyMs?: number }) {
  /** Meetings whose audio was archived since their last report. */
  const flowing = new Set<Meeting>();
  /** Failures not yet reported (the report could not be archived yet). */
  const unreported = new Map<Meeting, string>();
  /** Meetings with a report on its way: one at a time each. */
  const busy = new Set<Meeting>();

  /** Commits a report; false when it cannot be sent now (one is on its way, or the meeting ended). */
  function report(m: Meeting, state: RecordingState, reason?: string): boolean {
    if (busy.has(m) || meetings.get(m.code) !== m) return false;
    busy.add(m);
    const t = lifecycle.clock(m);
    const event: RecordingEvent = { type: "recording", t, state, bytes: m.archive.journal.audioBytes, duration: m.audio.ok ? m.audio.value.position : 0, ...(reason ? { reason } : {}) };
    meetings
      .commit(m, { id: ID_PREFIX, t, events: [event] }, m.nick, { serverId: ID_PREFIX.slice(0, -1) })
      .then(
        () => state === "failed" && unreported.delete(m),
        (err: Error) => {
          // A meeting that ended meanwhile has nothing more to report: not a failure.
          if (err instanceof CommitRefused && err.refusal.code === "session-ended") return;
          log.error({ room: m.code, state, err: err.message }, "recording report not archived; will retry");
        },
      )
      .finally(() => busy.delete(m));
    return true;
  }

  const onCommitted = (m: Meeting, b: { audio?: unknown }) => {
    if (!b.audio) return;
    // Audio archived: say "recording" now if the room does not know yet, else in the next periodic report.
    if (m.state.recording?.state === "recording" || unreported.has(m) || !report(m, "recording")) flowing.add(m);
  };
  const onFailed = (m: Meeting, b: { id: string }, err: Error) => {
    if (b.id.startsWith(ID_PREFIX)) return; // a report that failed: the timer tries again
    flowing.delete(m); // what flowed before the failure must not read as "recording again"
    const reason = failureReason(err);
    if (unreported.has(m) || (m.state.recording?.state === "failed" && m.state.recording.reason === reason)) return;
    unreported.set(m, reason);
    report(m, "failed", reason);
  };
  const onEnded = (m: Meeting) => {
    flowing.delete(m);
    unreported.delete(m);
  };
  meetings.on("committed", onCommitted);
  meetings.on("commit-failed", onFailed);
  meetings.on("ended", onEnded);

  const timer = setInterval(() => {
    for (const [m, reason] of unreported) report(m, "failed", reason);
    for (const m of flowing) if (!unreported.has(m) && report(m, "recording")) flowing.delete(m);
  }, everyMs);
  timer.unref();

  return {
    stop() {
      clearInterval(timer);
      meetings.off("committed", onCommitted);
      meetings.off("commit-failed", onFailed);
      meetings.off("ended", onEnded);
    },
  };
}
