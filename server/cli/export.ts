/**
 * `deckcast export SESSION -o FILE [--width 1920] [--format mp4|webm]`: one recorded session
 * to a video file, rendered on this machine from the archive in the data dir
 * (DECKCAST_DATA_DIR, default ./data) and the deck store (server/export/), with the server
 * running or not. Progress goes to stderr; the file's path to stdout once it is whole. A
 * session that has not ended may still be recorded by a running server: refused.
 */
import { resolve } from "node:path";
import { parseArgs } from "node:util";
import pino from "pino";
import { EXPORT_WIDTH, ExportError, isExportFormat, validExportWidth, type ExportFormat } from "../../protocol/export.ts";
import { isSessionId } from "../../protocol/archive.ts";
import { createReplaySources } from "../archive/replay-source.ts";
import { archivesDir } from "../archive/session-archive.ts";
import { readConfig } from "../config.ts";
import { DeckService } from "../decks/service.ts";
import { exportSession } from "../export/export-session.ts";
import { UsageError, type CliIO } from "./command.ts";

export const summary = "render a recorded session to a video file (MP4 or WebM)";
export const usage = ["export SESSION -o FILE [--width 1920] [--format mp4|webm]   (format: from FILE's extension, else mp4)"];

export async function run(args: string[], io: CliIO): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({ args, allowPositionals: true, strict: true, options: { out: { type: "string", short: "o" }, width: { type: "string" }, format: { type: "string" } } });
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const { values, positionals } = parsed;
  const [session, ...extra] = positionals;
  if (session === undefined) throw new UsageError("missing SESSION (see: deckcast archive list)");
  if (extra.length > 0) throw new UsageError(`unexpected argument '${extra[0]}'`);
  if (!isSessionId(session)) throw new UsageError(`'${session}' is not a session id (YYYYMMDD-HHMMSS-code)`);
  if (typeof values.out !== "string" || values.out === "") throw new UsageError("missing -o FILE");
  const ext = values.out.toLowerCase().endsWith(".webm") ? "webm" : "mp4";
  const format: ExportFormat | string = values.format ?? ext;
  if (!isExportFormat(format)) throw new UsageError(`--format is mp4 or webm, not '${format}'`);
  const width = values.width === undefined ? EXPORT_WIDTH.default : Number(values.width);
  if (!validExportWidth(width)) throw new UsageError(`--width is an even number of pixels from ${EXPORT_WIDTH.min} to ${EXPORT_WIDTH.max}`);

  const config = readConfig(io.env);
  const log = pino({ level: io.env.DECKCAST_LOG_LEVEL ?? "warn" }, pino.destination(2));
  const sources = createReplaySources({ archivesDir: archivesDir(config.dataDir), liveArchive: () => undefined, log });
  const decks = new DeckService({ dataDir: config.dataDir, workers: 1, lazyOffice: true, lazyPdf: true, log });
  const abort = new AbortController();
  const onSignal = () => abort.abort();
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);
  try {
    const m = await sources.manifest(session);
    if (!m) return fail(io, `no session ${session} in ${archivesDir(config.dataDir)}`);
    if (m.endedAt === null) return fail(io, `${session} has not ended (a running server may be recording it): end the meeting first`);
    const source = await sources.open(session);
    if (!source) return fail(io, `${session} cannot be read (see the log above)`);
    const out = resolve(values.out);
    const started = Date.now();
    let shown = -1;
    const result = await exportSession({
      source,
      decks,
      out,
      format,
      width,
      signal: abort.signal,
      log,
      onProgress: (f) => {
        const pct = Math.floor(f * 100);
        if (pct === shown) return;
        shown = pct;
        io.stderr.write(`\rexporting ${session}: ${String(pct).padStart(3)}%`);
      },
    });
    const secs = (Date.now() - started) / 1000;
    io.stderr.write(`\rexported ${session}: ${result.frames} frames, ${result.bytes} bytes, ${secs.toFixed(1)} s (${(result.durationMs / 1000 / Math.max(secs, 0.001)).toFixed(1)}× real time)\n`);
    io.stdout.write(`${out}\n`);
    return 0;
  } catch (err) {
    if (err instanceof ExportError) return fail(io, `${err.message} [${err.code}]`);
    throw err;
  } finally {
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
    await decks.stop();
    await sources.close();
  }
}

function fail(io: CliIO, message: string): number {
  io.stderr.write(`\ndeckcast export: ${message}\n`);
  return 1;
}
