/**
 * Retention (DECKCAST_RETENTION_DAYS, server/config.ts): ended sessions whose `endedAt` is
 * more than `days` ago are removed — folder, share links and all — once at start and then
 * every hour, each removal logged. Live meetings (and sessions that never ended, which the
 * component resumes) are never touched. Off when `days` is null.
 */
import type { Logger } from "pino";
import type { Archives } from "./archives.ts";

export const RETENTION_EVERY_MS = 60 * 60 * 1000;
const DAY_MS = 24 * 60 * 60 * 1000;

export function setupRetention({ archives, days, log, everyMs = RETENTION_EVERY_MS, now = Date.now }: { archives: Archives; days: number | null; log: Logger; everyMs?: number; now?: () => number }) {
  let running: Promise<number> | null = null;

  /** One pass; resolves with how many sessions were removed. */
  async function sweep(): Promise<number> {
    if (days === null) return 0;
    const before = now() - days * DAY_MS;
    let removed = 0;
    for (const { manifest, live } of await archives.sources.list()) {
      if (live || manifest.endedAt === null) continue;
      const ended = Date.parse(manifest.endedAt);
      if (!(ended < before)) continue;
      try {
        await archives.remove(manifest.session, "retention");
        removed++;
        log.info({ session: manifest.session, endedAt: manifest.endedAt, days }, "session removed: older than the retention period");
      } catch (err) {
        log.error({ session: manifest.session, err: (err as Error).message }, "retention: the session could not be removed");
      }
    }
    return removed;
  }

  const run = (): Promise<number> => {
    running ??= sweep()
      .catch((err: Error) => {
        log.error({ err: err.message }, "retention sweep failed");
        return 0;
      })
      .finally(() => (running = null));
    return running;
  };

  const timer = days === null ? null : setInterval(() => void run(), everyMs);
  timer?.unref();
  return {
    /** A sweep now (start runs one). */
    sweep: run,
    stop() {
      if (timer) clearInterval(timer);
    },
  };
}
