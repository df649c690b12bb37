/**
 * Starts a private Prosody for deckcast (development, tests, and the single-box deployment):
 * loopback only, free ports, files under `<dataDir>/prosody/`, and supervised: if Prosody
 * exits unexpectedly it is started again on the same config and ports, bounded
 * (prosody/supervisor.ts), and `health()` / `onHealth()` say where it stands.
 *
 * @example
 * const prosody = await startProsody({ dataDir: "./data", log });
 * await prosody.register("alice", "secret");
 * prosody.onHealth((h) => log.warn(h, "prosody"));
 * // ... connect to prosody.websocketUrl, or the component to prosody.ports.component ...
 * await prosody.stop();
 */
import { open, stat, writeFile } from "node:fs/promises";
import { pino, type Logger } from "pino";
import { CHAT_LIMITS, checkChatLimits, prosodyDomains, type ChatLimits, type ProsodyDomains, type ProsodyLogLevel, type ProsodyPorts } from "./config.ts";
import { pickFreePort, waitForPorts } from "./ports.ts";
import { prepareProsodyDir } from "./setup.ts";
import { spawnProsody, type ProsodyProcess } from "./process.ts";
import { registerUser } from "./accounts.ts";
import { prosodyPaths, type ProsodyPaths } from "./paths.ts";
import { clearStaleProsody } from "./stale.ts";
import { ProsodySupervisor, SUPERVISION, checkSupervision, type ProsodyHealth, type SupervisionOptions } from "./supervisor.ts";

export { registerUser, listUsers, userExists } from "./accounts.ts";
export type { ProsodyDomains, ProsodyPorts, ProsodyLogLevel, ChatLimits } from "./config.ts";
export { CHAT_LIMITS } from "./config.ts";
export type { ProsodyHealth, ProsodyState, SupervisionOptions } from "./supervisor.ts";
export { SUPERVISION } from "./supervisor.ts";

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
  /** Chat limits per room occupant (mod_deckcast_guard); any left out are CHAT_LIMITS'. */
  chat?: Partial<ChatLimits>;
  /** Failed logins one address may make (mod_auth_deckcast_token); default LOGIN_FAILURES. Tests that fail logins on purpose raise it. */
  loginFailures?: { burst: number; windowSeconds: number };
  /** How restarts are bounded and spaced; any left out are SUPERVISION's. */
  supervision?: Partial<SupervisionOptions>;
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
  /** Where the supervised Prosody stands: state, restarts attempted, pid. */
  health(): ProsodyHealth;
  /** Calls `listener` on every change of health; returns the unsubscribe. */
  onHealth(listener: (h: ProsodyHealth) => void): () => void;
  /**
   * Ends supervision first (no restart after this), then SIGTERM, SIGKILL after 5 s;
   * resolves when the process (and its group) is gone. Idempotent.
   */
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
  chat: ChatLimits;
  loginFailures: { burst: number; windowSeconds: number } | undefined;
  supervision: SupervisionOptions;
}

function resolveOptions(opts: ProsodyOptions): Resolved {
  const host = opts.host ?? "localhost";
  prosodyDomains(host); // validate early, before touching the disk
  const chat = { ...CHAT_LIMITS, ...opts.chat };
  checkChatLimits(chat);
  const supervision = { ...SUPERVISION, ...opts.supervision };
  checkSupervision(supervision);
  return {
    dataDir: opts.dataDir,
    host,
    fixedPorts: opts.ports ?? {},
    componentSecret: opts.componentSecret,
    logLevel: opts.logLevel ?? "info",
    log: opts.log?.child({ module: "prosody" }) ?? pino({ name: "prosody", level: "warn" }),
    chat,
    loginFailures: opts.loginFailures,
    supervision,
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

/** One Prosody process, started and ready. */
interface Started {
  proc: ProsodyProcess;
  paths: ProsodyPaths;
  componentSecret: string;
}

/**
 * Writes the config for `ports`, spawns Prosody and waits until its ports accept. On any
 * failure (or `signal` aborting) the process is stopped before the error is thrown.
 */
async function startOnce(o: Resolved, ports: ProsodyPorts, signal?: AbortSignal): Promise<Started> {
  const { paths, componentSecret } = await prepareProsodyDir(o.dataDir, {
    host: o.host,
    ports,
    componentSecret: o.componentSecret,
    logLevel: o.logLevel,
    chat: o.chat,
    loginFailures: o.loginFailures,
  });
  const logOffset = await fileSize(paths.log);
  const proc = await spawnProsody(paths.config, o.log);
  const log = o.log.child({ prosodyPid: proc.pid });
  log.debug({ ports, config: paths.config }, "prosody spawned; waiting for its ports");

  const failIfBroken = async (): Promise<void> => {
    if (signal?.aborted) throw new Error("prosody start cancelled (stopping)");
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
    // Who started it: a later start tells a Prosody left by a dead launcher from a live one's (stale.ts).
    await writeFile(paths.owner, `${process.pid}\n`, { mode: 0o600 });
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
  log.info({ ports, dataDir: paths.dir }, "prosody ready");
  return { proc, paths, componentSecret };
}

/**
 * Writes the config into `<dataDir>/prosody/`, starts `prosody --config <file> -F` in its
 * own process group and resolves once its c2s, http and component ports all accept
 * connections (15 s at most). Rejects with the tail of Prosody's log if it exits or times
 * out. If a picked port was taken in the meantime, it retries once with fresh ports.
 *
 * Before starting, a Prosody left running on this data dir by a deckcast that died is
 * stopped (stale.ts); one whose launcher still runs makes the start fail. Once started,
 * Prosody is supervised: restarted on the same ports when it exits unexpectedly, at most
 * `supervision.maxRestarts` times in `supervision.windowMs` (then "failed").
 */
export async function startProsody(opts: ProsodyOptions): Promise<RunningProsody> {
  const o = resolveOptions(opts);
  await clearStaleProsody(prosodyPaths(o.dataDir), o.log);
  let first: Started;
  let ports = await resolvePorts(o.fixedPorts);
  try {
    first = await startOnce(o, ports);
  } catch (err) {
    // Only a port we picked ourselves can be lost to a race; a busy fixed port stays busy.
    if (!(err instanceof PortInUseError) || Object.values(o.fixedPorts).includes(err.port)) throw err;
    o.log.warn({ err: err.message }, "a picked port was taken before prosody bound it; retrying with fresh ports");
    ports = await resolvePorts(o.fixedPorts);
    first = await startOnce(o, ports);
  }

  // Restarts keep everything the component and the proxy were given: ports and secret.
  const again = { ...o, componentSecret: first.componentSecret };
  const startAgain = async (signal: AbortSignal) => (await startOnce(again, ports, signal)).proc;
  const supervisor = new ProsodySupervisor(first.proc, startAgain, o.supervision, o.log);
  const domains = prosodyDomains(o.host);
  o.log.info({ ports, domains, prosodyPid: first.proc.pid }, "prosody running (supervised)");
  return {
    domains,
    ports,
    componentSecret: first.componentSecret,
    configPath: first.paths.config,
    websocketUrl: `ws://127.0.0.1:${ports.http}/xmpp-websocket`,
    register: (user, password) => registerUser(o.dataDir, user, password, o.host),
    health: () => supervisor.health(),
    onHealth: (listener) => supervisor.onHealth(listener),
    stop: async () => {
      await supervisor.stop();
      o.log.info("prosody stopped");
    },
  };
}
