/**
 * Podman for the deploy test: every call with the flags these machines need
 * (../shared/design/FACTS.md, "Containers here": runc with cgroupfs, lowered ulimits, builds on
 * the host network; test/deploy/containers.conf), returning stdout and throwing with the tail of stderr.
 */
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";

/** The same settings as a containers.conf: the only way to give a pod's infra container the ulimits. */
export const CONTAINERS_CONF = fileURLToPath(new URL("./containers.conf", import.meta.url));

/** Global flags: crun refuses the hybrid cgroups here; runc with cgroupfs works. */
export const PODMAN_GLOBAL = ["--runtime", "runc", "--cgroup-manager=cgroupfs"] as const;
/** Raising the limits is not permitted in these machines' containers. */
export const ULIMITS = ["--ulimit", "nofile=4096:4096", "--ulimit", "nproc=4096:4096"] as const;

export interface RunResult {
  stdout: string;
  stderr: string;
}

/** Runs a command; rejects (with the last lines of its output) unless it exits 0. */
export function run(cmd: string, args: readonly string[], { timeoutMs = 600_000, quiet = true, env }: { timeoutMs?: number; quiet?: boolean; env?: NodeJS.ProcessEnv } = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ["ignore", "pipe", "pipe"], env: env ?? process.env });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => {
      stdout += d;
      if (!quiet) process.stdout.write(d);
    });
    child.stderr.on("data", (d: Buffer) => {
      stderr += d;
      if (!quiet) process.stderr.write(d);
    });
    const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
    child.on("error", (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      if (code === 0) return resolve({ stdout, stderr });
      const tail = `${stdout}\n${stderr}`.trim().split("\n").slice(-15).join("\n");
      reject(new Error(`${cmd} ${args.slice(0, 6).join(" ")} … exited ${code ?? signal}:\n${tail}`));
    });
  });
}

/** `podman <args>` with the global flags. */
export function podman(args: readonly string[], opts?: { timeoutMs?: number; quiet?: boolean }): Promise<RunResult> {
  return run("podman", [...PODMAN_GLOBAL, ...args], { ...opts, env: { ...process.env, CONTAINERS_CONF } });
}

/** Like {@link podman} but never throws: for clean-up. */
export async function podmanQuiet(args: readonly string[]): Promise<void> {
  await podman(args, { timeoutMs: 120_000 }).catch(() => undefined);
}

/** Builds `file` (context: the repository root) into `tag`; returns seconds taken and how many steps came from the cache. */
export async function build(o: { root: string; file: string; ignorefile: string; tag: string; buildArgs: Record<string, string> }): Promise<{ seconds: number; cached: number; steps: number }> {
  const started = Date.now();
  const args = ["build", "--format", "docker", "--network", "host", ...ULIMITS, "--ignorefile", o.ignorefile, "-f", o.file, "-t", o.tag];
  for (const [k, v] of Object.entries(o.buildArgs)) args.push("--build-arg", `${k}=${v}`);
  const { stdout, stderr } = await podman([...args, o.root], { timeoutMs: 20 * 60_000 });
  const out = `${stdout}\n${stderr}`;
  return {
    seconds: (Date.now() - started) / 1000,
    cached: (out.match(/^--> Using cache/gm) ?? []).length,
    steps: (out.match(/STEP \d+\/\d+:/g) ?? []).length,
  };
}

/** The image's size in MB (10^6 bytes, as `podman images` shows). */
export async function imageMb(tag: string): Promise<number> {
  const { stdout } = await podman(["image", "inspect", "--format", "{{.Size}}", tag]);
  return Math.round(Number(stdout.trim()) / 1e6);
}
