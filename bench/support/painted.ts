/**
 * When a follower's page painted a deck page: each page keeps a log of its dc-page-painted
 * events (`recordPaints`, before it loads), and `paintedAt` polls it for the first paint of a
 * page after a time (the presenter's keydown). The glass and LAN benchmarks time turns so.
 */
import type { Person } from "../../test/support/browser.ts";

/** Starts the paint log in `p`'s page (an init script: call it before the page loads). */
export async function recordPaints(p: Person): Promise<void> {
  await p.page.addInitScript(() => {
    const w = window as unknown as { paints: { page: number; at: number }[] };
    w.paints = [];
    document.addEventListener("dc-page-painted", (e) => w.paints.push((e as CustomEvent<{ page: number; at: number }>).detail));
  });
}

/** When `p` painted `page` at or after `since` (performance.timeOrigin-based ms); throws after `ms`. */
export async function paintedAt(p: Person, page: number, since: number, ms = 15_000): Promise<number> {
  const until = Date.now() + ms;
  for (;;) {
    const at = await p.page.evaluate(
      ({ page, since }) => (window as unknown as { paints: { page: number; at: number }[] }).paints.find((x) => x.page === page && x.at >= since)?.at ?? null,
      { page, since },
    );
    if (at !== null) return at;
    if (Date.now() > until) throw new Error(`${p.name} never painted page ${page}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
