/**
 * How many session downloads stream at once (protocol/archive.ts DOWNLOADS_AT_ONCE): each
 * reads the whole session and may render every page image, so a token holder asking for many
 * at once must not take the server's disk and CPU from the live meetings. `enter` gives the
 * function that lets the place go again, or null when the session or the server is full.
 */
export interface DownloadGate {
  enter(session: string): (() => void) | null;
  readonly active: number;
}

export function createDownloadGate(limits: { perSession: number; total: number }): DownloadGate {
  const bySession = new Map<string, number>();
  let active = 0;
  return {
    get active() {
      return active;
    },
    enter(session) {
      const mine = bySession.get(session) ?? 0;
      if (mine >= limits.perSession || active >= limits.total) return null;
      bySession.set(session, mine + 1);
      active++;
      let left = false;
      return () => {
        if (left) return;
        left = true;
        active--;
        const n = (bySession.get(session) ?? 1) - 1;
        if (n > 0) bySession.set(session, n);
        else bySession.delete(session);
      };
    },
  };
}
