/**
 * `deckcast archive list | export SESSION [--out FILE.zip] | delete SESSION`: the operator's
 * view of the session archives in the data dir (DECKCAST_DATA_DIR, default ./data), with
 * the files alone (the server need not run). `list` prints one session a line, tab-separated:
 * session, state (live / ended time), duration, bytes, owner, title. `export` writes the
 * download zip (docs/archive.md §Download; page images rendered from the deck store when
 * missing). A session that has not ended may be in a running server's hands: `export` and
 * `delete` refuse it (end the meeting first).
 */
import { createWriteStream } from "node:fs";
import { rename, unlink } from "node:fs/promises";
import { resolve } from "node:path";
import { pipeline } from "node:stream/promises";
import { parseArgs, type ParseArgsConfig } from "node:util";
import pino from "pino";
import { isSessionId } from "../../protocol/archive.ts";
import { sessionZip } from "../archive/download.ts";
import { createReplaySources } from "../archive/replay-source.ts";
import { archivesDir } from "../archive/session-archive.ts";
import { readConfig } from "../config.ts";
import { DeckService } from "../decks/service.ts";
import { WEB_CLIENT_DIST } from "../http/web-client.ts";
import { UsageError, type CliIO } from "./command.ts";
import path from "node:path";

export const summary = "list, export or delete recorded sessions";
export const usage = ["archive list", "archive export SESSION [--out FILE.zip]   (default: SESSION.zip here)", "archive delete SESSION"];

function parse(args: string[], options: ParseArgsConfig["options"] = {}) {
  try {
    return parseArgs({ args, options, allowPositionals: true, strict: true });
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
}

function oneSession(positionals: string[]): string {
  const [session, ...extra] = positionals;
  if (session === undefined) throw new UsageError("missing SESSION (see: deckcast archive list)");
  if (extra.length > 0) throw new UsageError(`unexpected argument '${extra[0]}'`);
  if (!isSessionId(session)) throw new UsageError(`'${session}' is not a session id (YYYYMMDD-HHMMSS-code)`);
  return session;
}

const duration = (ms: number) => {
  const s = Math.round(ms / 1000);
  return `${Math.floor(s / 3600)}:${String(Math.floor(s / 60) % 60).padStart(2, "0")}:${String(s % 60).padStart(2, "0")}`;
};

export async function run(args: string[], io: CliIO): Promise<number> {
  const [sub, ...rest] = args;
  const config = readConfig(io.env);
  const log = pino({ level: io.env.DECKCAST_LOG_LEVEL ?? "warn" }, pino.destination(2));
  const sources = createReplaySources({ archivesDir: archivesDir(config.dataDir), liveArchive: () => undefined, log });
  try {
    if (sub === "list") {
      const { positionals } = parse(rest);
      if (positionals.length > 0) throw new UsageError(`unexpected argument '${positionals[0]}'`);
      const all = (await sources.list()).sort((a, b) => a.manifest.session.localeCompare(b.manifest.session));
      if (all.length === 0) io.stderr.write(`(no sessions in ${archivesDir(config.dataDir)})\n`);
      for (const { manifest: m } of all) {
        const item = await sources.summary(m, false);
        const state = m.endedAt === null ? "live" : m.endedAt;
        io.stdout.write([m.session, state, duration(m.duration), String(item.bytes), m.owner, m.title.replace(/[\t\n]/g, " ")].join("\t") + "\n");
      }
      return 0;
    }
    if (sub === "export") {
      const { values, positionals } = parse(rest, { out: { type: "string" } });
      const session = oneSession(positionals);
      const m = await sources.manifest(session);
      if (!m) return fail(io, `no session ${session} in ${archivesDir(config.dataDir)}`);
      if (m.endedAt === null) return fail(io, `${session} has not ended (a running server may be recording it): end the meeting first`);
      const source = await sources.open(session);
      if (!source) return fail(io, `${session} cannot be read (see the log above)`);
      const out = resolve(typeof values.out === "string" ? values.out : `${session}.zip`);
      const tmp = `${out}.${process.pid}.part`;
      const decks = new DeckService({ dataDir: config.dataDir, workers: 1, lazyOffice: true, log });
      try {
        const zip = sessionZip({ source, decks, playerDir: path.join(WEB_CLIENT_DIST, "replay-offline"), log });
        await pipeline(zip.outputStream, createWriteStream(tmp));
        await rename(tmp, out);
      } catch (err) {
        await unlink(tmp).catch(() => undefined);
        throw err;
      } finally {
        await decks.stop();
      }
      io.stdout.write(`${out}\n`);
      return 0;
    }
    if (sub === "delete") {
      const { positionals } = parse(rest);
      const session = oneSession(positionals);
      const m = await sources.manifest(session);
      if (!m) return fail(io, `no session ${session} in ${archivesDir(config.dataDir)}`);
      if (m.endedAt === null) return fail(io, `${session} has not ended (a running server may be recording it): end the meeting first`);
      await sources.remove(session);
      io.stdout.write(`deleted ${session}\n`);
      return 0;
    }
    throw new UsageError(sub === undefined ? "missing a subcommand" : `unknown subcommand '${sub}'`);
  } finally {
    await sources.close();
  }
}

function fail(io: CliIO, message: string): number {
  io.stderr.write(`deckcast archive: ${message}\n`);
  return 1;
}
