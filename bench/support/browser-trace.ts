/**
 * Where a browser's CPU goes, from a Chromium trace of the whole browser (every process and
 * thread, not only a page's JavaScript as cpu-profile.ts): start it, do the work, stop, and
 * get each labelled page's threads' CPU time (the thread time of their top-level tasks) and,
 * on its main thread, the CPU time of the rendering steps (style, layout, paint, script...).
 * A page is labelled by a performance.mark it makes before the trace stops (its renderer's
 * pid); the browser and GPU processes by their names. The glass benchmark's `--trace` uses
 * it on a follower and on the floor's follower, to see what a deckcast turn costs beyond the
 * floor's (with the work that is no page's: compositing in the browser process, raster).
 */
import type { Browser, Page } from "playwright-core";

interface TraceEvent {
  name: string;
  cat: string;
  ph: string;
  pid: number;
  tid: number;
  /** Thread (CPU) time, µs. */
  tdur?: number;
  args?: { name?: string };
}

export interface ThreadUse {
  process: string;
  thread: string;
  cpuMs: number;
}

export interface TraceSummary {
  threads: ThreadUse[];
  /** Per labelled page: CPU ms of its main thread's rendering steps (nested steps are counted in their parents too). */
  steps: { process: string; step: string; cpuMs: number }[];
}

const CATEGORIES = ["toplevel", "devtools.timeline", "disabled-by-default-devtools.timeline", "blink.user_timing", "__metadata"];
const MARK = "deckcast-trace:";
const STEPS = new Set(["FunctionCall", "EventDispatch", "TimerFire", "FireAnimationFrame", "RunMicrotasks", "UpdateLayoutTree", "Layout", "PrePaint", "Paint", "Layerize", "UpdateLayer", "CompositeLayers", "Commit", "HitTest", "ParseHTML", "Decode Image", "ImageDecodeTask", "GCEvent", "MinorGC", "MajorGC", "V8.GC_SCAVENGER", "BlinkGC.AtomicPhase"]);

export async function traceBrowser(browser: Browser): Promise<(pages: { name: string; page: Page }[]) => Promise<TraceSummary>> {
  await browser.startTracing(undefined, { categories: CATEGORIES });
  return async (pages) => {
    for (const p of pages) await p.page.evaluate((m) => performance.mark(m), `${MARK}${p.name}`);
    const events = (JSON.parse((await browser.stopTracing()).toString("utf8")) as { traceEvents: TraceEvent[] }).traceEvents;
    const processes = new Map<number, string>();
    const threads = new Map<string, string>();
    for (const e of events) {
      if (e.ph === "M" && e.name === "process_name" && e.args?.name) processes.set(e.pid, processes.get(e.pid) ?? e.args.name);
      if (e.ph === "M" && e.name === "thread_name" && e.args?.name) threads.set(`${e.pid}/${e.tid}`, e.args.name);
    }
    for (const e of events) if (e.name.startsWith(MARK)) processes.set(e.pid, e.name.slice(MARK.length));
    const labelled = new Set(pages.map((p) => p.name));
    const use = new Map<string, ThreadUse>();
    const steps = new Map<string, { process: string; step: string; cpuMs: number }>();
    for (const e of events) {
      if (e.ph !== "X" || e.tdur === undefined) continue;
      const process = processes.get(e.pid) ?? `pid ${e.pid}`;
      const thread = (threads.get(`${e.pid}/${e.tid}`) ?? `tid ${e.tid}`).replace(/\d+$/, "");
      if (e.cat.includes("toplevel") && (e.name === "ThreadControllerImpl::RunTask" || e.name === "ThreadPool_RunTask")) {
        const key = `${process}/${thread}`;
        const u = use.get(key) ?? { process, thread, cpuMs: 0 };
        u.cpuMs += e.tdur / 1000;
        use.set(key, u);
      }
      if (labelled.has(process) && thread === "CrRendererMain" && STEPS.has(e.name)) {
        const key = `${process}/${e.name}`;
        const s = steps.get(key) ?? { process, step: e.name, cpuMs: 0 };
        s.cpuMs += e.tdur / 1000;
        steps.set(key, s);
      }
    }
    return {
      threads: [...use.values()].sort((a, b) => b.cpuMs - a.cpuMs),
      steps: [...steps.values()].sort((a, b) => b.cpuMs - a.cpuMs),
    };
  };
}
