/**
 * Starts a private Prosody for deckcast (development, tests, and the single-box deployment):
 * loopback only, free ports, files under `<dataDir>/prosody/`.
 *
 * @example
 * const prosody = await startProsody({ dataDir: "./data", log });
 * await prosody.register("alice", "secret");
 * // ... connect to prosody.websocketUrl, or the component to prosody.ports.component ...
 * await prosody.stop();
 */
import { open, readFile, stat } from "node:fs/promises";
import { pino, type Logger } from "pino";
import { prosodyDomains, type ProsodyDomains, type ProsodyLogLevel, type ProsodyPorts } from "./config.ts";
import { pickFreePort, waitForPorts } from "./ports.ts";
import { prepareProsodyDir } from "./setup.ts";
import { spawnProsody, type ProsodyProcess } from "./process.ts";
import { registerUser } from "./accounts.ts";
import { prosodyPaths, type ProsodyPaths } from "./paths.ts";

export { registerUser, listUsers, userExists } from "./accounts.ts";
export type { ProsodyDomains, ProsodyPorts, ProsodyLogLevel } from "./config.ts";

/** Options for {@link startProsody}. Only `dataDir` is required. */
export interface ProsodyOptions {
  /** Deckcast data directory; Prosody's own files live in `<dataDir>/prosody/` (config, data, certs (empty), log, pid). */
  dataDir: string;
  /** Account host; default "localhost". Guests, rooms and the component get `guest.`, `rooms.` and `deckcast.` subdomains. */
  host?: string;
  /** Fixed ports; any left out are free loopback ports picked at start. */
  ports?: Partial<ProsodyPorts>;
  /** XEP-0114 secret; default: generated once (crypto random) and kept in `<dataDir>/prosody/component.secret`. */
  componentSecret?: string;
  /** Level of Prosody's log file; default "info". */
  logLevel?: ProsodyLogLevel;
  /** Where launcher events and Prosody's console output go; default: pino at "warn". */
  log?: Logger;
}

/** A Prosody started by {@link startProsody}. */
export interface RunningProsody {
  /** accounts: `localhost`, guests: `guest.localhost`, muc: `rooms.localhost`, component: `deckcast.localhost`. */
  domains: ProsodyDomains;
  ports: ProsodyPorts;
  componentSecret: string;
  /** Absolute path of the generated `prosody.cfg.lua`. */
  configPath: string;
  /** `ws://127.0.0.1:<http>/xmpp-websocket`. */
  websocketUrl: string;
  /** Creates the account `user@<accounts domain>` (or resets its password) through prosodyctl. */
  register(user: string, password: string): Promise<void>;
  /** SIGTERM, then SIGKILL after 5 s; resolves when the process (and its group) is gone. Idempotent. */
  stop(): Promise<void>;
}

const READY_TIMEOUT_MS = 15_000;
const STOP_GRACE_MS = 5_000;
const LOG_TAIL_LINES = 25;

/** Thrown when another process took one of the picked ports before Prosody bound it. */
class PortInUseError extends Error {
  constructor(readonly port: number) {
    super(`port ${port} is in use by another process`);
  }
}

/** Options with every default applied (read once, here). */
interface Resolved {
  dataDir: string;
  host: string;
  fixedPorts: Partial<ProsodyPorts>;
  componentSecret: string | undefined;
  logLevel: ProsodyLogLevel;
  log: Logger;
}

function resolveOptions(opts: ProsodyOptions): Resolved {
  const host = opts.host ?? "localhost";
  prosodyDomains(host); // validate early, before touching the disk
  return {
    dataDir: opts.dataDir,
    host,
    fixedPorts: opts.ports ?? {},
    componentSecret: opts.componentSecret,
    logLevel: opts.logLevel ?? "info",
    log: opts.log?.child({ module: "prosody" }) ?? pino({ name: "prosody", level: "warn" }),
  };
}

async function resolvePorts(fixed: Partial<ProsodyPorts>): Promise<ProsodyPorts> {
  const taken = new Set(Object.values(fixed));
  const pick = async (given: number | undefined): Promise<number> => {
    if (given !== undefined) return given;
    let p = await pickFreePort();
    while (taken.has(p)) p = await pickFreePort();
    taken.add(p);
    return p;
  };
  return { c2s: await pick(fixed.c2s), http: await pick(fixed.http), component: await pick(fixed.component) };
}

async function fileSize(path: string): Promise<number> {
  try {
    return (await stat(path)).size;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return 0;
    throw err;
  }
}

/** Reads what Prosody logged since byte `from` (this run only). */
async function readLogSince(path: string, from: number): Promise<string> {
  const fh = await open(path, "r").catch((err: NodeJS.ErrnoException) => {
    if (err.code === "ENOENT") return undefined;
    throw err;
  });
  if (!fh) return "";
  try {
    const { size } = await fh.stat();
    const buf = Buffer.alloc(Math.max(0, size - from));
    await fh.read(buf, 0, buf.length, from);
    return buf.toString("utf8");
  } finally {
    await fh.close();
  }
}

/**
 * Throws if the pidfile names a live Prosody: a second instance on the same data dir would
 * only find out inside Prosody (0.12.3 then hangs half-started instead of quitting), and
 * we must not rewrite the config of a running server.
 */
async function assertNotRunning(paths: ProsodyPaths): Promise<void> {
  let pid: number;
  try {
    pid = Number.parseInt(await readFile(paths.pid, "utf8"), 10);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return;
    throw err;
  }
  if (!Number.isInteger(pid) || pid <= 0) return;
  try {
    process.kill(pid, 0);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === "ESRCH") return; // stale pidfile; Prosody replaces it
    if (code !== "EPERM") throw err;
  }
  // Without /proc (not Linux) we can't tell, so assume the live pid is Prosody.
  const cmdline = await readFile(`/proc/${pid}/cmdline`, "utf8").catch(() => "prosody");
  if (!cmdline.includes("prosody")) return; // the pid was reused by something else
  throw new Error(`a Prosody for this data dir is already running (pid ${pid}, pidfile ${paths.pid})`);
}

function lastLines(text: string, n: number): string {
  return text.trimEnd().split("\n").slice(-n).join("\n");
}

/** Builds the error for a failed start: what happened plus the tail of Prosody's log and console. */
async function startError(what: string, paths: ProsodyPaths, logOffset: number, proc: ProsodyProcess): Promise<Error> {
  const logTail = lastLines(await readLogSince(paths.log, logOffset), LOG_TAIL_LINES);
  const consoleTail = proc.outputTail();
  return new Error(
    [
      `prosody ${what} (config ${paths.config})`,
      `--- last lines of ${paths.log} ---`,
      logTail || "(empty)",
      ...(consoleTail ? ["--- prosody console ---", lastLines(consoleTail, LOG_TAIL_LINES)] : []),
    ].join("\n"),
  );
}

async function startOnce(o: Resolved): Promise<RunningProsody> {
  await assertNotRunning(prosodyPaths(o.dataDir));
  const ports = await resolvePorts(o.fixedPorts);
  const { paths, componentSecret } = await prepareProsodyDir(o.dataDir, {
    host: o.host,
    ports,
    componentSecret: o.componentSecret,
    logLevel: o.logLevel,
  });
  const logOffset = await fileSize(paths.log);
  const proc = await spawnProsody(paths.config, o.log);
  const log = o.log.child({ prosodyPid: proc.pid });
  log.debug({ ports, config: paths.config }, "prosody spawned; waiting for its ports");

  const failIfBroken = async (): Promise<void> => {
    const exit = proc.exit();
    if (exit) {
      throw await startError(`exited during start (code ${exit.code}, signal ${exit.signal})`, paths, logOffset, proc);
    }
    // Prosody logs a port it cannot bind and keeps running; our poll could then reach the
    // other process on that port. Check the console and the log file.
    const logged = /Failed to open server port (\d+)/.exec(await readLogSince(paths.log, logOffset));
    const busy = proc.portsInUse()[0] ?? (logged?.[1] ? Number(logged[1]) : undefined);
    if (busy !== undefined) throw new PortInUseError(busy);
  };

  try {
    await waitForPorts([ports.c2s, ports.http, ports.component], {
      timeoutMs: READY_TIMEOUT_MS,
      check: failIfBroken,
    }).catch(async (err: unknown) => {
      if (err instanceof Error && err.message.startsWith("timed out")) {
        throw await startError(`was not ready: ${err.message}`, paths, logOffset, proc);
      }
      throw err;
    });
    await failIfBroken();
  } catch (err) {
    await proc.stop(STOP_GRACE_MS);
    throw err;
  }

  const domains = prosodyDomains(o.host);
  log.info({ ports, domains, dataDir: paths.dir }, "prosody ready");
  return {
    domains,
    ports,
    componentSecret,
    configPath: paths.config,
    websocketUrl: `ws://127.0.0.1:${ports.http}/xmpp-websocket`,
    register: (user, password) => registerUser(o.dataDir, user, password, o.host),
    stop: async () => {
      await proc.stop(STOP_GRACE_MS);
      log.info("prosody stopped");
    },
  };
}

/**
 * Writes the config into `<dataDir>/prosody/`, starts `prosody --config <file> -F` in its
 * own process group and resolves once its c2s, http and component ports all accept
 * connections (15 s at most). Rejects with the tail of Prosody's log if it exits or times
 * out. If a picked port was taken in the meantime, it retries once with fresh ports.
 */
export async function startProsody(opts: ProsodyOptions): Promise<RunningProsody> {
  const o = resolveOptions(opts);
  try {
    return await startOnce(o);
  } catch (err) {
    // Only a port we picked ourselves can be lost to a race; a busy fixed port stays busy.
    if (!(err instanceof PortInUseError) || Object.values(o.fixedPorts).includes(err.port)) throw err;
    o.log.warn({ err: err.message }, "a picked port was taken before prosody bound it; retrying with fresh ports");
    return startOnce(o);
  }
}
