/**
 * Clears the way for a start: finds the Prosody named in `<dataDir>/prosody/prosody.pid`
 * and, when it is a Prosody left behind by a deckcast that died without stopping it
 * (`kill -9` where the kernel's parent-death signal did not reach it), stops it so the new
 * start does not fail on its ports. A Prosody whose launcher is still alive is never
 * touched: that start is refused (a second server on one data dir).
 *
 * A pid counts as our stale Prosody only when all of these hold (read from /proc):
 * it is alive and not a zombie; its command line runs `prosody` with `--config` naming this
 * data dir's `prosody.cfg.lua`; and its parent is not the launcher recorded in
 * `launcher.pid` (a launcher that died leaves its child to init or a subreaper). A pid
 * reused by anything else is left alone and the old pid file ignored (Prosody rewrites it).
 */
import { readFile } from "node:fs/promises";
import type { Logger } from "pino";
import type { ProsodyPaths } from "./paths.ts";

const TERM_GRACE_MS = 5_000;
const KILL_GRACE_MS = 2_000;

/** Reads a positive integer pid from `file`; undefined when absent or not a pid. */
export async function readPidFile(file: string): Promise<number | undefined> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw err;
  }
  const pid = Number.parseInt(text.trim(), 10);
  return Number.isInteger(pid) && pid > 0 ? pid : undefined;
}

/** "alive", "gone", or "foreign" (alive but not ours to signal: EPERM). */
function probe(pid: number): "alive" | "gone" | "foreign" {
  try {
    process.kill(pid, 0);
    return "alive";
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === "ESRCH") return "gone";
    if (code === "EPERM") return "foreign";
    throw err;
  }
}

interface ProcInfo {
  argv: string[];
  state: string;
  ppid: number;
  pgid: number;
}

/** What /proc says about `pid`; undefined when /proc can't tell (not Linux, or it just exited). */
async function procInfo(pid: number): Promise<ProcInfo | undefined> {
  try {
    const [cmdline, stat] = await Promise.all([readFile(`/proc/${pid}/cmdline`, "utf8"), readFile(`/proc/${pid}/stat`, "utf8")]);
    // stat is "pid (comm) state ppid pgrp ..."; comm may hold spaces and parentheses.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return { argv: cmdline.split("\0").filter((a) => a !== ""), state: fields[0] ?? "", ppid: Number(fields[1]), pgid: Number(fields[2]) };
  } catch {
    return undefined;
  }
}

/** True for `prosody --config <configPath> ...`, possibly behind an interpreter (lua5.4 /usr/bin/prosody). */
export function runsProsodyWith(argv: readonly string[], configPath: string): boolean {
  const isProsody = argv.slice(0, 3).some((a) => /(^|\/)prosody$/.test(a));
  const i = argv.indexOf("--config");
  return isProsody && i >= 0 && argv[i + 1] === configPath;
}

async function waitGone(pid: number, ms: number): Promise<boolean> {
  const until = Date.now() + ms;
  for (;;) {
    if (probe(pid) === "gone") return true;
    const info = await procInfo(pid);
    if (info?.state === "Z") return true; // exited; only its parent's wait() is missing
    if (Date.now() >= until) return false;
    await new Promise((r) => setTimeout(r, 50));
  }
}

function signal(pid: number, pgid: number, sig: NodeJS.Signals): void {
  try {
    // Started detached, Prosody leads its own process group: signal all of it.
    process.kill(pgid === pid ? -pid : pid, sig);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "ESRCH") throw err;
  }
}

/**
 * Stops a stale Prosody of this data dir if there is one (see the header); throws if the
 * Prosody there still belongs to a live launcher, or if a stale one would not stop.
 */
export async function clearStaleProsody(paths: ProsodyPaths, log: Logger): Promise<void> {
  const pid = await readPidFile(paths.pid);
  if (pid === undefined || pid === process.pid) return;
  const alive = probe(pid);
  if (alive === "gone") return; // a stale pid file; Prosody replaces it
  const info = await procInfo(pid);
  if (!info) {
    // No /proc: we can't tell what the pid is, so don't kill it, and don't start beside it.
    throw new Error(`a Prosody for this data dir may be running (pid ${pid}, pidfile ${paths.pid}); stop it or delete the pidfile`);
  }
  if (info.state === "Z" || !runsProsodyWith(info.argv, paths.config)) return; // not our Prosody: the pid was reused
  const owner = await readPidFile(paths.owner);
  if (alive === "foreign" || (owner !== undefined && info.ppid === owner)) {
    throw new Error(`a Prosody for this data dir is already running (pid ${pid}, pidfile ${paths.pid}${owner !== undefined ? `, started by pid ${owner}` : ""})`);
  }
  log.warn({ prosodyPid: pid, parentPid: info.ppid, launcherPid: owner ?? null }, "stopping a Prosody left running by an earlier deckcast on this data dir");
  signal(pid, info.pgid, "SIGTERM");
  if (await waitGone(pid, TERM_GRACE_MS)) return;
  log.warn({ prosodyPid: pid, graceMs: TERM_GRACE_MS }, "the stale Prosody ignored SIGTERM; sending SIGKILL");
  signal(pid, info.pgid, "SIGKILL");
  if (!(await waitGone(pid, KILL_GRACE_MS))) throw new Error(`could not stop the stale Prosody (pid ${pid}) left on this data dir`);
}
