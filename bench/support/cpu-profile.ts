/**
 * What a page's main thread spends its time on, from Chromium's sampling CPU profiler (the
 * DevTools protocol's Profiler domain): start it on a page, do the work, stop, and get the
 * self time by function (name, script, line) and by script, largest first. The glass
 * benchmark's `--profile` uses it on a follower during page turns, to see what a turn costs
 * beyond transport and a draw.
 */
import path from "node:path";
import type { Page } from "playwright-core";

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

export interface ProfileSummary {
  /** Wall time the profile covered, ms. */
  totalMs: number;
  /** Time in the page's JavaScript and the engine's work attributed to it (not idle), ms. */
  busyMs: number;
  functions: { name: string; where: string; selfMs: number }[];
  scripts: { script: string; selfMs: number }[];
}

/** Starts the sampling profiler on `page`; the returned function stops it and summarises. */
export async function profilePage(page: Page, intervalUs = 200): Promise<() => Promise<ProfileSummary>> {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send("Profiler.enable");
  await cdp.send("Profiler.setSamplingInterval", { interval: intervalUs });
  await cdp.send("Profiler.start");
  return async () => {
    const { profile } = (await cdp.send("Profiler.stop")) as unknown as { profile: Profile };
    await cdp.detach().catch(() => undefined);
    return summarise(profile);
  };
}

const IDLE = new Set(["(idle)", "(program)"]);

function summarise(p: Profile): ProfileSummary {
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const self = new Map<number, number>();
  p.samples.forEach((id, i) => self.set(id, (self.get(id) ?? 0) + (p.timeDeltas[i] ?? 0)));
  const fn = new Map<string, { name: string; where: string; selfMs: number }>();
  const script = new Map<string, number>();
  let busy = 0;
  for (const [id, us] of self) {
    const n = byId.get(id)!;
    const name = n.callFrame.functionName || "(anonymous)";
    if (IDLE.has(name)) continue;
    const ms = us / 1000;
    busy += ms;
    const file = n.callFrame.url ? path.basename(n.callFrame.url.split("?")[0]!) : name.startsWith("(") ? name : "(native)";
    const where = n.callFrame.url ? `${file}:${n.callFrame.lineNumber + 1}` : file;
    const key = `${name}@${where}`;
    const f = fn.get(key) ?? { name, where, selfMs: 0 };
    f.selfMs += ms;
    fn.set(key, f);
    script.set(file, (script.get(file) ?? 0) + ms);
  }
  const r = (x: number) => Math.round(x * 10) / 10;
  return {
    totalMs: r((p.endTime - p.startTime) / 1000),
    busyMs: r(busy),
    functions: [...fn.values()].sort((a, b) => b.selfMs - a.selfMs).map((f) => ({ ...f, selfMs: r(f.selfMs) })),
    scripts: [...script].map(([s, ms]) => ({ script: s, selfMs: r(ms) })).sort((a, b) => b.selfMs - a.selfMs),
  };
}
