/**
 * Runs one `prosody --config <file> -F` child in its own process group, forwards its console
 * output to pino, and makes sure it never outlives us: `stop()` kills the whole group, a
 * process 'exit' hook kills every group still alive, a default-action signal (Ctrl-C with no
 * handler of the app's own) does the same before re-raising, and where util-linux `setpriv`
 * exists the kernel sends Prosody SIGTERM if our process dies even by SIGKILL.
 */
import { spawn } from "node:child_process";
import { accessSync, constants } from "node:fs";
import { delimiter, join } from "node:path";
import type { Logger } from "pino";
import { BANNER_EDGE, isHarmlessBanner, LineTail } from "./output.ts";

/** How the child ended. */
export interface ProsodyExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** A supervised Prosody child process. */
export interface ProsodyProcess {
  readonly pid: number;
  /** Settles when the process has exited (never rejects). */
  readonly exited: Promise<ProsodyExit>;
  /** Set once the process has exited. */
  exit(): ProsodyExit | undefined;
  /** The last lines Prosody printed (the harmless lua-unbound banner removed). */
  outputTail(): string;
  /** Ports Prosody reported it could not open ("in use by another application"). */
  portsInUse(): number[];
  /** SIGTERM to the process group, SIGKILL after `graceMs`; resolves when nothing of the group is left. */
  stop(graceMs?: number): Promise<void>;
}

// ---- orphan protection shared by every instance ----------------------------------------

/** Process-group ids of children still running. */
const liveGroups = new Set<number>();
const FORWARDED_SIGNALS = ["SIGINT", "SIGTERM", "SIGHUP"] as const;

function killGroup(pgid: number, signal: NodeJS.Signals): boolean {
  try {
    process.kill(-pgid, signal);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ESRCH") return false; // the group is already gone
    throw err;
  }
}

function killAllNow(): void {
  for (const pgid of liveGroups) killGroup(pgid, "SIGKILL");
  liveGroups.clear();
}

function onSignal(signal: NodeJS.Signals): void {
  // If the application handles this signal too, it owns shutdown (it stops Prosody, or
  // exits and the 'exit' hook fires). Otherwise the signal would kill us with its default
  // action and leave Prosody running in its own group: kill it, then re-raise.
  if (process.listenerCount(signal) > 1) return;
  killAllNow();
  uninstallHooks();
  process.kill(process.pid, signal);
}

const signalHandlers = new Map<NodeJS.Signals, () => void>(FORWARDED_SIGNALS.map((s) => [s, () => onSignal(s)]));
let hooksInstalled = false;

function installHooks(): void {
  if (hooksInstalled) return;
  hooksInstalled = true;
  process.on("exit", killAllNow);
  for (const [signal, handler] of signalHandlers) process.on(signal, handler);
}

function uninstallHooks(): void {
  if (!hooksInstalled) return;
  hooksInstalled = false;
  process.off("exit", killAllNow);
  for (const [signal, handler] of signalHandlers) process.off(signal, handler);
}

function track(pgid: number): void {
  liveGroups.add(pgid);
  installHooks();
}

function untrack(pgid: number): void {
  liveGroups.delete(pgid);
  // With nothing left to protect, leave the host process's signal behaviour untouched.
  if (liveGroups.size === 0) uninstallHooks();
}

// ---- spawning --------------------------------------------------------------------------

function findOnPath(cmd: string): string | undefined {
  for (const dir of (process.env.PATH ?? "").split(delimiter)) {
    if (dir === "") continue;
    const file = join(dir, cmd);
    try {
      accessSync(file, constants.X_OK);
      return file;
    } catch {
      // not in this PATH entry; try the next one
    }
  }
  return undefined;
}

const CONSOLE_LINE = /^(\S+)\s+(debug|info|warn|error)\t(.*)$/;
const PORT_IN_USE = /Failed to open server port (\d+)/;

type Level = "debug" | "info" | "warn" | "error";

/** A console line being collected, with any continuation lines (stack traces) after it. */
interface PendingRecord {
  level: Level;
  source: string | undefined;
  lines: string[];
}

/**
 * Forwards Prosody's console lines to pino at Prosody's own level, folding stack-trace
 * continuation lines into the record they belong to, logging asterisk-framed banners
 * (fatal start-up problems, missing dependencies) as one error each except the harmless
 * lua-unbound one, and noting ports Prosody failed to open.
 * `line` returns the lines worth keeping for error messages; call `flush` when the stream ends.
 */
function makeForwarder(log: Logger, stream: "stdout" | "stderr", portsInUse: Set<number>) {
  let pending: PendingRecord | undefined;
  let banner: string[] | undefined;
  let timer: NodeJS.Timeout | undefined;

  const flush = (): void => {
    clearTimeout(timer);
    if (!pending) return;
    const { level, source, lines } = pending;
    pending = undefined;
    log[level](source ? { source } : { stream }, lines.join("\n"));
  };

  const line = (text: string): string[] => {
    if (BANNER_EDGE.test(text)) {
      flush();
      if (!banner) {
        banner = [];
        return [];
      }
      const body = banner.filter((l) => l.trim() !== "").join("\n");
      banner = undefined;
      if (body === "" || isHarmlessBanner(body)) return [];
      log.error({ stream }, body);
      return [body];
    }
    if (banner) {
      banner.push(text);
      return [];
    }
    if (text.trim() === "") return [];
    const inUse = PORT_IN_USE.exec(text);
    if (inUse?.[1]) portsInUse.add(Number(inUse[1]));
    if (pending && /^(\t|\s*stack traceback:)/.test(text)) {
      pending.lines.push(text);
    } else {
      flush();
      const m = CONSOLE_LINE.exec(text);
      pending = m
        ? { level: m[2] as Level, source: m[1], lines: [m[3] ?? ""] }
        : { level: "warn", source: undefined, lines: [text] };
    }
    clearTimeout(timer);
    timer = setTimeout(flush, 50);
    timer.unref();
    return [text];
  };

  return { line, flush };
}

/** Splits a stream of text chunks into lines, calling `onLine` for each complete one. */
function lineSplitter(onLine: (line: string) => void): (chunk: string) => void {
  let partial = "";
  return (chunk) => {
    const parts = (partial + chunk).split("\n");
    partial = parts.pop() ?? "";
    for (const line of parts) onLine(line);
  };
}

/**
 * Starts `prosody --config <configPath> -F` in its own process group. Resolves once the
 * process exists (not when it is ready: poll its ports for that); rejects if it can't spawn.
 */
export async function spawnProsody(configPath: string, log: Logger): Promise<ProsodyProcess> {
  const setpriv = findOnPath("setpriv");
  // setpriv execs prosody in place (same pid) after asking the kernel for SIGTERM when our
  // thread dies: the only guard that also works when we are SIGKILLed.
  const [cmd, args] = setpriv
    ? [setpriv, ["--pdeathsig", "TERM", "--", "prosody", "--config", configPath, "-F"]]
    : ["prosody", ["--config", configPath, "-F"]];
  const child = spawn(cmd, args, { detached: true, stdio: ["ignore", "pipe", "pipe"] });
  await new Promise<void>((resolve, reject) => {
    child.once("spawn", resolve);
    child.once("error", (err) => reject(new Error(`could not start prosody (${cmd}): ${err.message}`, { cause: err })));
  });
  const pid = child.pid;
  if (pid === undefined) throw new Error("prosody started without a pid");
  track(pid);

  const tail = new LineTail(60);
  const portsInUse = new Set<number>();
  for (const stream of ["stdout", "stderr"] as const) {
    const forward = makeForwarder(log, stream, portsInUse);
    child[stream].setEncoding("utf8");
    child[stream].on(
      "data",
      lineSplitter((line) => {
        for (const kept of forward.line(line)) tail.push(`${kept}\n`);
      }),
    );
    child[stream].on("end", forward.flush);
  }

  let exitInfo: ProsodyExit | undefined;
  // 'close' (not 'exit'): by then all its output has been read, so error messages are complete.
  const exited = new Promise<ProsodyExit>((resolve) => {
    child.once("close", (code, signal) => {
      exitInfo = { code, signal };
      log.debug({ prosodyPid: pid, code, signal }, "prosody exited");
      resolve(exitInfo);
    });
  });

  let stopping: Promise<void> | undefined;
  const stop = (graceMs = 5000): Promise<void> => {
    stopping ??= (async () => {
      if (!exitInfo) {
        killGroup(pid, "SIGTERM");
        let timer: NodeJS.Timeout | undefined;
        const timedOut = await Promise.race([
          exited.then(() => false),
          new Promise<boolean>((r) => (timer = setTimeout(() => r(true), graceMs))),
        ]);
        clearTimeout(timer);
        if (timedOut) {
          log.warn({ prosodyPid: pid, graceMs }, "prosody ignored SIGTERM; sending SIGKILL");
          killGroup(pid, "SIGKILL");
          await exited;
        }
      }
      // Anything else left in the group (prosody itself spawns nothing, but be sure).
      killGroup(pid, "SIGKILL");
      untrack(pid);
    })();
    return stopping;
  };

  // A process that dies on its own is no longer ours to kill later.
  void exited.then(() => {
    if (!stopping) untrack(pid);
  });

  return {
    pid,
    exited,
    exit: () => exitInfo,
    outputTail: () => tail.text().trim(),
    portsInUse: () => [...portsInUse],
    stop,
  };
}
