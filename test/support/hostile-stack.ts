/**
 * A deckcast for the hostile-input suite: the XMPP server through its adapter (the private
 * Prosody on free loopback ports, in this process's care) and the component in a child process of its own
 * (hostile-component-process.ts), so that a stanza which crashes the component shows as the
 * process exiting, and so that tests can `kill -9` it and start it again on the same data.
 * Accounts: alice and bob (password PASSWORD).
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import pino from "pino";
import type { RunningProsody } from "../../prosody/launcher.ts";
import { startProsodyServer, type ProsodyXmppServer } from "../../prosody/xmpp-server.ts";
import type { XmppDomains } from "../../server/xmpp-server.ts";
import { waitFor } from "./deckcast.ts";

export const PASSWORD = "test-password";
const PROCESS_SCRIPT = path.join(import.meta.dirname, "hostile-component-process.ts");

/** The component's child process. */
export interface ComponentProcess {
  readonly pid: number;
  /** The XMPP link is up (as the process last reported it). */
  readonly online: boolean;
  /** Set once the process has exited. */
  readonly exit: { code: number | null; signal: NodeJS.Signals | null } | null;
  /** Settles when the process has exited. */
  readonly exited: Promise<void>;
  /** The last lines the process wrote to stderr (its logs, a crash's stack). */
  stderrTail(): string;
  /** Peak resident memory of the process so far (VmHWM), in bytes. */
  peakRss(): Promise<number>;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves once it has exited. */
  stop(graceMs?: number): Promise<void>;
  /** kill -9, and wait until it is gone. */
  kill9(): Promise<void>;
}

/** Starts the component in a child process and resolves once its XMPP link is online. */
export async function startComponentProcess(env: { service: string; secret: string; domains: XmppDomains; dataDir: string; recordingReportMs?: number }, { onlineWithinMs = 30_000 } = {}): Promise<ComponentProcess> {
  const child: ChildProcess = spawn(process.execPath, ["--import", "tsx", PROCESS_SCRIPT], {
    env: { ...process.env, DECKCAST_HOSTILE: JSON.stringify(env) },
    stdio: ["pipe", "pipe", "pipe"], // stdin stays open while we live (see hostile-component-process.ts)
  });
  let online = false;
  let exit: ComponentProcess["exit"] = null;
  let stderr = "";
  const exited = new Promise<void>((resolve) =>
    child.once("exit", (code, signal) => {
      exit = { code, signal };
      online = false;
      resolve();
    }),
  );
  child.stdout!.setEncoding("utf8").on("data", (d: string) => {
    for (const line of d.split("\n")) {
      if (line === "online") online = true;
      else if (line === "offline") online = false;
    }
  });
  child.stderr!.setEncoding("utf8").on("data", (d: string) => {
    stderr = (stderr + d).slice(-16_384);
    if (process.env.DECKCAST_TEST_LOG) process.stderr.write(d);
  });
  const proc: ComponentProcess = {
    pid: child.pid!,
    get online() {
      return online;
    },
    get exit() {
      return exit;
    },
    exited,
    stderrTail: () => stderr.split("\n").slice(-30).join("\n"),
    async peakRss() {
      const status = await readFile(`/proc/${child.pid}/status`, "utf8");
      const kb = /VmHWM:\s+(\d+) kB/.exec(status)?.[1];
      if (!kb) throw new Error("no VmHWM in /proc/<pid>/status");
      return Number(kb) * 1024;
    },
    async stop(graceMs = 10_000) {
      if (exit) return;
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), graceMs);
      await exited;
      clearTimeout(timer);
    },
    async kill9() {
      if (exit) return;
      child.kill("SIGKILL");
      await exited;
    },
  };
  try {
    await waitFor(() => online || exit !== null, onlineWithinMs, "the component process to come online");
    if (exit) throw new Error(`the component process exited at start (${JSON.stringify(exit)}):\n${proc.stderrTail()}`);
  } catch (err) {
    await proc.kill9();
    throw err;
  }
  return proc;
}

export interface HostileStack {
  prosody: RunningProsody;
  /** Prosody's data (and, unless told otherwise, the component's). */
  dataDir: string;
  /** Where the component keeps its archives' data dir. */
  componentDataDir: string;
  readonly component: ComponentProcess;
  /** Starts a new component process on the same data (after stopping or killing the old one). */
  startComponent(): Promise<ComponentProcess>;
  /** Pid of the running Prosody (as the XMPP server adapter reports it). */
  prosodyPid(): Promise<number>;
  stop(): Promise<void>;
}

/**
 * `componentDataDir`: where the component keeps archives (default: the Prosody data dir);
 * `recordingReportMs`: how often the component reports the recording (default its own).
 */
export async function startHostileStack({ componentDataDir, recordingReportMs }: { componentDataDir?: string; recordingReportMs?: number } = {}): Promise<HostileStack> {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), "deckcast-hostile-"));
  const log = pino({ level: process.env.DECKCAST_TEST_LOG ?? "silent" });
  let xmpp: ProsodyXmppServer | null = null;
  let component: ComponentProcess | null = null;
  const stop = async () => {
    await component?.stop().catch(() => undefined);
    await xmpp?.stop().catch(() => undefined);
    if (!process.env.DECKCAST_TEST_KEEP) await rm(dataDir, { recursive: true, force: true });
  };
  try {
    const x = await startProsodyServer({ dataDir, log });
    xmpp = x;
    await x.register("alice", PASSWORD);
    await x.register("bob", PASSWORD);
    const env = {
      service: x.componentService,
      secret: x.componentSecret,
      domains: x.domains,
      dataDir: componentDataDir ?? dataDir,
      ...(recordingReportMs !== undefined ? { recordingReportMs } : {}),
    };
    component = await startComponentProcess(env);
    return {
      prosody: x.prosody,
      dataDir,
      componentDataDir: env.dataDir,
      get component() {
        return component!;
      },
      async startComponent() {
        if (component && !component.exit) throw new Error("the component process is still running: stop or kill it first");
        component = await startComponentProcess(env);
        return component;
      },
      async prosodyPid() {
        const pid = x.health().pid;
        if (pid === null || !Number.isInteger(pid) || pid <= 0) throw new Error("the XMPP server has no running process");
        return pid;
      },
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}
