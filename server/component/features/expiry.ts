/**
 * Idle meetings end by themselves. A meeting nobody uses any more would otherwise stay live
 * for ever (one account once made 500 that never expired), holding its room, its place in
 * the account's quota, and a growing stretch of silence its audio would have to fill if a
 * bundle ever came. A meeting in which nothing was committed (no bundle from the presenter,
 * no report from the server) for `idleMs` is ended as if its presenter had ended it, with a
 * reason the room is told. A restart counts as activity: restored meetings get a full period.
 */
import type { Logger } from "pino";
import type { Lifecycle } from "../lifecycle.ts";
import type { Meeting, Meetings } from "../meetings.ts";

export function setupExpiry({ meetings, lifecycle, idleMs, everyMs = Math.min(60_000, idleMs), now = Date.now, log }: { meetings: Meetings; lifecycle: Lifecycle; idleMs: number; everyMs?: number; now?: () => number; log: Logger }) {
  const lastActive = new WeakMap<Meeting, number>();
  const onCommitted = (m: Meeting) => lastActive.set(m, now());
  meetings.on("committed", onCommitted);

  const hours = idleMs / 3_600_000;
  const reason = `The meeting ended after ${hours >= 1 ? `${+hours.toFixed(1)} hours` : `${Math.round(idleMs / 60_000)} minutes`} without activity.`;
  const timer = setInterval(() => {
    const t = now();
    for (const m of meetings.all()) {
      const since = lastActive.get(m);
      if (since === undefined) lastActive.set(m, t);
      else if (t - since >= idleMs && !m.ending) {
        log.info({ room: m.code, idleMs: t - since }, "ending an idle meeting");
        lifecycle.end(m, reason).catch((err: Error) => log.error({ room: m.code, err: err.message }, "could not end an idle meeting; will try again"));
      }
    }
  }, everyMs);
  timer.unref();
  return {
    stop() {
      clearInterval(timer);
      meetings.off("committed", onCommitted);
    },
  };
}
