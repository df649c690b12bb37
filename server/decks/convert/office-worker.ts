/**
 * One warm LibreOffice: a python3-uno driver (uno_convert.py) that starts its own soffice
 * listener on a private pipe with a private profile, then converts one job at a time from
 * stdin. Both run in one process group of their own, so `kill()` takes down soffice.bin
 * too (killing only the `soffice` wrapper orphans soffice.bin).
 */
import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { readdir, readFile, rm } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { createInterface } from "node:readline";
import type { Logger } from "pino";
import { fontsEnv } from "./fonts-conf.ts";

/** Debian's python3 has the `uno` module; a python3 earlier on PATH (pyenv) may not. */
export const PYTHON = process.env.DECKCAST_UNO_PYTHON ?? "/usr/bin/python3";
const DRIVER = fileURLToPath(new URL("./uno_convert.py", import.meta.url));
/** soffice takes ~2 s to accept connections; allow for a loaded machine. */
const START_TIMEOUT_MS = 60_000;

export interface OfficeJob {
  src: string;
  out: string;
  importFilter: string;
  exportFilter: string;
  /** Encrypts the output (only used to generate test documents). */
  password?: string;
}

export type OfficeOutcome =
  | { ok: true; ms: number }
  | { ok: false; code: "password-protected" | "conversion-failed" | "conversion-timeout"; message: string };

interface Reply { id?: number; ok?: boolean; ready?: boolean; code?: string; message?: string; ms?: number; samplePdf?: string | null }

export class OfficeWorker {
  /** Jobs run since start; the pool recycles a worker after enough of them. */
  jobs = 0;
  /** A one-slide PDF this worker converted while warming up (in its profile; gone with it). */
  samplePdf: string | null = null;
  private proc: ChildProcess | null = null;
  private pending: { id: number; resolve: (r: Reply) => void } | null = null;
  private nextId = 1;
  private exited: Promise<void> = Promise.resolve();
  private killed = false;

  constructor(readonly name: string, readonly profileDir: string, private readonly log: Logger) {}

  /** Starts the driver and soffice; resolves once soffice accepts conversions. */
  async start(): Promise<void> {
    const pipe = `deckcast-${process.pid}-${this.name}-${randomBytes(4).toString("hex")}`;
    // Fonts: the system's without colour fonts, which LibreOffice 7.4 exports invisible (fonts-conf.ts).
    const env = await fontsEnv(this.profileDir);
    const proc = spawn(PYTHON, [DRIVER, "--profile", this.profileDir, "--pipe", pipe], {
      env,
      detached: true, // own process group: see kill()
      stdio: ["pipe", "pipe", "pipe"],
    });
    this.proc = proc;
    // soffice leaves its UNO pipe's socket file behind in /tmp (a fixed place: LibreOffice does
    // not read TMPDIR for it) when it is killed; take it away once the worker is gone.
    const pipeFile = path.join("/tmp", `OSL_PIPE_${process.getuid?.() ?? 0}_${pipe}`);
    this.exited = new Promise((resolve) => proc.once("close", () => void rm(pipeFile, { force: true }).catch(() => undefined).finally(resolve)));
    proc.stderr!.on("data", (d: Buffer) => this.log.warn({ worker: this.name, stderr: d.toString().trim() }, "office driver stderr"));
    const ready = new Promise<Reply>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`LibreOffice did not start within ${START_TIMEOUT_MS} ms`)), START_TIMEOUT_MS);
      proc.once("error", (err) => { clearTimeout(timer); reject(err); });
      proc.once("close", (code, signal) => {
        clearTimeout(timer);
        reject(new Error(`LibreOffice driver exited during start (${signal ?? code})`));
        this.pending?.resolve({ ok: false, code: "conversion-failed", message: `LibreOffice stopped during the conversion (${signal ?? code})` });
        this.pending = null;
      });
      createInterface({ input: proc.stdout! }).on("line", (line) => {
        let msg: Reply;
        try {
          msg = JSON.parse(line) as Reply;
        } catch {
          this.log.warn({ worker: this.name, line }, "office driver printed a non-JSON line");
          return;
        }
        if (msg.ready !== undefined) {
          clearTimeout(timer);
          if (msg.ready) resolve(msg);
          else reject(new Error(msg.message ?? "LibreOffice failed to start"));
        } else if (this.pending && msg.id === this.pending.id) {
          const p = this.pending;
          this.pending = null;
          p.resolve(msg);
        }
      });
    });
    try {
      this.samplePdf = (await ready).samplePdf ?? null;
    } catch (err) {
      this.kill();
      throw err;
    }
  }

  /** Converts one file. Resolves (never rejects) with the outcome; on timeout the worker is killed. */
  run(job: OfficeJob, timeoutMs: number): Promise<OfficeOutcome> {
    const proc = this.proc;
    if (!proc || !this.alive) {
      return Promise.resolve({ ok: false, code: "conversion-failed", message: "LibreOffice is not running" });
    }
    this.jobs++;
    const id = this.nextId++;
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.pending = null;
        this.kill();
        resolve({ ok: false, code: "conversion-timeout", message: `Converting the file took longer than ${Math.round(timeoutMs / 1000)} s and was stopped.` });
      }, timeoutMs);
      this.pending = {
        id,
        resolve: (r) => {
          clearTimeout(timer);
          if (r.ok) resolve({ ok: true, ms: r.ms ?? 0 });
          else resolve({ ok: false, code: r.code === "password-protected" ? r.code : "conversion-failed", message: r.message ?? "conversion failed" });
        },
      };
      proc.stdin!.write(JSON.stringify({ id, ...job }) + "\n");
    });
  }

  /** Process id of the driver, which is also the process group id of the worker. */
  get pid(): number | undefined {
    return this.proc?.pid;
  }

  /** False once killed or exited (a SIGKILLed process reports its exit only later). */
  get alive(): boolean {
    return !!this.proc && !this.killed && this.proc.exitCode === null && this.proc.signalCode === null;
  }

  /** Resident memory of the whole process group (soffice.bin dominates), from /proc. */
  async rssBytes(): Promise<number> {
    const pgid = this.proc?.pid;
    if (!pgid) return 0;
    let total = 0;
    for (const pid of await readdir("/proc")) {
      if (!/^\d+$/.test(pid)) continue;
      const stat = await readFile(`/proc/${pid}/stat`, "utf8").catch(() => "");
      // Fields after the ")" that ends the command name: state ppid pgrp ... rss is field 24.
      const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      if (Number(f[2]) === pgid) total += Number(f[21]) * 4096;
    }
    return total;
  }

  /** SIGKILLs the whole process group (python driver, soffice wrapper and soffice.bin). */
  kill(): void {
    const pid = this.proc?.pid;
    if (!pid || !this.alive) return;
    this.killed = true;
    try {
      process.kill(-pid, "SIGKILL");
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "ESRCH") throw err;
    }
  }

  /** Asks soffice to quit (stdin EOF), killing the group if it has not exited within `graceMs`. */
  async stop(graceMs = 5000): Promise<void> {
    if (!this.proc) return;
    if (this.alive) this.proc.stdin!.end();
    const timer = setTimeout(() => this.kill(), graceMs);
    await this.exited;
    clearTimeout(timer);
    // The driver may be gone while soffice lingers in the group: make sure.
    const pid = this.proc.pid;
    if (pid) {
      try {
        process.kill(-pid, "SIGKILL");
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== "ESRCH") throw err;
      }
    }
  }
}
