/**
 * The export benchmark's export, in a process of its own (as `deckcast export` runs): so its
 * peak memory is the export's, not the benchmark's, which has just built an hour of audio and
 * a journal in memory. Reads its job from DECKCAST_BENCH_EXPORT (JSON), runs exportSession
 * over the archive and the deck store in that data dir, and prints one JSON line: frames,
 * size, and this process's CPU seconds and peak RSS.
 */
import pino from "pino";
import { openJournal } from "../../server/archive/journal.ts";
import { wholeOggPages } from "../../server/archive/opus-recover.ts";
import { DeckService } from "../../server/decks/service.ts";
import { exportSession } from "../../server/export/export-session.ts";

interface Job {
  dataDir: string;
  dir: string;
  session: string;
  minutes: number;
  out: string;
  width: number;
  fps: number;
  preset: string;
}

// DECKCAST_BENCH_TRACE=1: this process's memory each second on stderr (where a peak comes from).
if (process.env.DECKCAST_BENCH_TRACE) {
  setInterval(() => {
    const m = process.memoryUsage();
    const mb = (n: number) => Math.round(n / 1e6);
    process.stderr.write(`rss ${mb(m.rss)} MB, heap ${mb(m.heapUsed)} MB, external ${mb(m.external)} MB\n`);
  }, 1000).unref();
}
const job = JSON.parse(process.env.DECKCAST_BENCH_EXPORT ?? "{}") as Job;
const log = pino({ level: process.env.DECKCAST_BENCH_LOG ?? "warn" });
const decks = new DeckService({ dataDir: job.dataDir, workers: 1, lazyOffice: true, lazyPdf: true, log });
const journal = await openJournal(job.dir, { log, wholeAudio: wholeOggPages });
try {
  const r = await exportSession({
    source: { dir: job.dir, manifest: { session: job.session, title: "Export bench", duration: job.minutes * 60_000 }, journal },
    decks,
    out: job.out,
    format: "mp4",
    width: job.width,
    fps: job.fps,
    preset: job.preset,
    log,
  });
  const cpu = process.cpuUsage();
  process.stdout.write(
    JSON.stringify({ frames: r.frames, width: r.width, height: r.height, cpu_user_s: cpu.user / 1e6, cpu_sys_s: cpu.system / 1e6, max_rss_kb: process.resourceUsage().maxRSS }) + "\n",
  );
} finally {
  await journal.close();
  await decks.stop();
}
