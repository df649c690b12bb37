/**
 * The network-namespace harness every LAN test and `bench lan` uses: private networks made of
 * Linux network namespaces, so LAN mode, mDNS and the edge run on real sockets without ever
 * touching this machine's own interfaces.
 *
 * `makeLan({ hosts, bridge, subnet })` makes one namespace per host (lo up, one veth "eth0"
 * into the bridge), the bridge itself in its own namespace, addresses on a private subnet
 * (10.77.<n>.0/24: host i gets .(10+i)), and no default route anywhere (offline). With
 * `wan: { host: "cloud", rateMbit, delayMs }` it adds a "router" namespace on the bridge
 * (LAN address .254) and a point-to-point veth router–cloud (10.78.<n>.1 / .2) shaped with
 * `tc tbf` to rateMbit both ways; the LAN reaches the cloud only through `lan.relay(port)`, a
 * user-space TCP relay in the router (test/support/netns-relay.mjs) that holds each chunk
 * delayMs/2 each way and counts the bytes each way.
 *
 * Every name starts with `dc<pid>-` so `cleanupStale()` can find a crashed run's leftovers.
 * `cleanup()` kills every process `spawnIn`/`chromiumIn` started (and anything else still
 * inside the namespaces) and deletes every namespace; call it in afterAll, so it runs also
 * when a test fails. `netnsSkipReason()` says why the harness cannot run here (not root, no
 * `ip`); under CI=true that is an error instead of a skip (`requireNetns()`).
 *
 * Nothing here binds or sends on a real interface: the veths live only between namespaces
 * this module made.
 */
import { execFile, execFileSync, spawn, type ChildProcess, type SpawnOptions } from "node:child_process";
import { chmod, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import readline from "node:readline";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { CHROMIUM, launchBrowser, type TestBrowser } from "./browser.ts";

const run = promisify(execFile);
const RELAY_SCRIPT = fileURLToPath(new URL("./netns-relay.mjs", import.meta.url));
const PREFIX = `dc${process.pid}-`;
/** A stale namespace's name: dc<pid>-… */
const STALE = /^dc(\d+)-/;

export interface LanOptions {
  /** Host names; each becomes a namespace with one address on the LAN. */
  hosts: string[];
  /** The bridge's name (kept short: an interface name has at most 15 characters). */
  bridge?: string;
  /** "10.77.<n>.0/24" (only /24 subnets); default 10.77.<k>.0/24, k counting LANs made. */
  subnet?: string;
  /** A far "cloud" host behind a shaped link and a delaying relay. */
  wan?: { host: string; rateMbit: number; delayMs: number };
}

export interface LanHost {
  name: string;
  /** The namespace's name (for `ip netns exec`). */
  ns: string;
  /** Its IPv4 address: on the LAN, or on the router–cloud link for the wan host. */
  address: string;
  /** Its interface inside the namespace. */
  iface: string;
}

export interface RelayCounts {
  /** Bytes from the LAN towards the cloud. */
  up: number;
  /** Bytes from the cloud towards the LAN. */
  down: number;
  connections: number;
}

export interface Relay {
  /** Where LAN hosts connect: the router's LAN address and the relay's port. */
  host: string;
  port: number;
  /** http://host:port */
  url: string;
  counts(): Promise<RelayCounts>;
  stop(): Promise<void>;
}

export interface Lan {
  hosts: Record<string, LanHost>;
  /** The router namespace (only with `wan`). */
  router: LanHost | null;
  subnet: string;
  host(name: string): LanHost;
  /**
   * With `wan`: a relay in the router listening on its LAN address (`listenPort`, default
   * the same as `targetPort`; 0 picks one) forwarding to the cloud's `targetPort`.
   */
  relay(targetPort: number, listenPort?: number): Promise<Relay>;
  spawnIn(host: string, cmd: string, args?: string[], opts?: SpawnOptions): ChildProcess;
  chromiumIn(host: string, opts?: { extraArgs?: string[]; bypassCsp?: boolean }): Promise<TestBrowser>;
}

/** The environment without any DECKCAST_* setting of the machine running the test: a server spawned in a namespace gets only what the test gives it. */
export function withoutDeckcastSettings(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(env).filter(([k]) => !k.startsWith("DECKCAST_")));
}

/** Why the harness cannot run on this machine, or null when it can. */
export function netnsSkipReason(): string | null {
  if (process.platform !== "linux") return "network namespaces need Linux";
  if (process.getuid?.() !== 0) return "network-namespace tests need root (ip netns)";
  try {
    execFileSync("ip", ["-V"], { stdio: "ignore" });
  } catch {
    return "network-namespace tests need the `ip` command (iproute2)";
  }
  const probe = `${PREFIX}probe`;
  try {
    execFileSync("ip", ["netns", "add", probe], { stdio: "ignore" });
    execFileSync("ip", ["netns", "del", probe], { stdio: "ignore" });
  } catch {
    return "this machine refuses `ip netns add` (no CAP_SYS_ADMIN?)";
  }
  return null;
}

/**
 * The skip reason for `describe.skipIf(...)`, or null. Under CI=true a machine that cannot run
 * the harness is an error: the LAN tests must not silently skip there.
 */
export function requireNetns(): string | null {
  const reason = netnsSkipReason();
  if (reason && process.env.CI === "true") throw new Error(`CI=true but ${reason}`);
  if (reason) process.stderr.write(`skipping network-namespace tests: ${reason}\n`);
  return reason;
}

const made = { namespaces: [] as string[], children: new Set<ChildProcess>(), browsers: new Set<TestBrowser>(), dirs: [] as string[], relays: new Set<Relay>() };
let lanCount = 0;

/** A test run that ends without cleanup() (a crash, a forced exit) still leaves nothing. */
process.once("exit", () => {
  for (const child of made.children) {
    try {
      process.kill(-child.pid!, "SIGKILL");
    } catch {
      // gone
    }
  }
  for (const ns of made.namespaces.splice(0).reverse()) {
    try {
      const pids = execFileSync("ip", ["netns", "pids", ns]).toString().split(/\s+/).filter(Boolean);
      for (const pid of pids) process.kill(Number(pid), "SIGKILL");
      execFileSync("ip", ["netns", "del", ns], { stdio: "ignore" });
    } catch {
      // best effort: cleanupStale() removes what is left on the next run
    }
  }
});

async function ip(...args: string[]): Promise<void> {
  try {
    await run("ip", args);
  } catch (err) {
    throw new Error(`ip ${args.join(" ")} failed: ${(err as { stderr?: string }).stderr?.trim() || (err as Error).message}`);
  }
}

async function tc(ns: string, ...args: string[]): Promise<void> {
  try {
    await run("ip", ["netns", "exec", ns, "tc", ...args]);
  } catch (err) {
    throw new Error(`tc ${args.join(" ")} in ${ns} failed: ${(err as { stderr?: string }).stderr?.trim() || (err as Error).message}`);
  }
}

async function addNamespace(name: string): Promise<string> {
  const ns = `${PREFIX}${name}`;
  await ip("netns", "add", ns);
  made.namespaces.push(ns);
  await ip("-n", ns, "link", "set", "lo", "up");
  return ns;
}

/** A child process inside namespace `ns` (its own process group; killed at cleanup). */
export function spawnIn(ns: string, cmd: string, args: string[] = [], opts: SpawnOptions = {}): ChildProcess {
  const child = spawn("ip", ["netns", "exec", ns, cmd, ...args], { stdio: ["ignore", "pipe", "pipe"], ...opts, detached: true });
  made.children.add(child);
  child.once("exit", () => made.children.delete(child));
  return child;
}

/**
 * A Chromium (playwright-core) whose network is namespace `ns`: launched through a wrapper
 * script `exec ip netns exec <ns> /usr/bin/chromium "$@"` with browser.ts's flags.
 */
export async function chromiumIn(ns: string, opts: { extraArgs?: string[]; bypassCsp?: boolean } = {}): Promise<TestBrowser> {
  const dir = await mkdtemp(path.join(tmpdir(), "dc-chromium-"));
  made.dirs.push(dir);
  const wrapper = path.join(dir, "chromium");
  await writeFile(wrapper, `#!/bin/sh\nexec ip netns exec ${ns} ${CHROMIUM} "$@"\n`);
  await chmod(wrapper, 0o755);
  const browser = await launchBrowser({ ...opts, executablePath: wrapper });
  made.browsers.add(browser);
  const close = browser.close.bind(browser);
  browser.close = async () => {
    made.browsers.delete(browser);
    await close();
  };
  return browser;
}

/** Makes the namespaces, veths, bridge, addresses and (optionally) the shaped wan. */
export async function makeLan(opts: LanOptions): Promise<Lan> {
  const k = lanCount++;
  const subnet = opts.subnet ?? `10.77.${k % 250}.0/24`;
  const m = /^(\d+\.\d+\.\d+)\.0\/24$/.exec(subnet);
  if (!m) throw new Error(`makeLan: subnet must be a /24 like 10.77.3.0/24, got ${subnet}`);
  const net24 = m[1]!;
  const wanNet = `10.78.${net24.split(".")[2]}`;
  const bridge = opts.bridge ?? "lan";
  if (bridge.length > 15) throw new Error(`makeLan: bridge name "${bridge}" is longer than 15 characters`);
  const tag = `${k}`;
  const brNs = await addNamespace(`${tag}-${bridge}`);
  await ip("-n", brNs, "link", "add", bridge, "type", "bridge");
  await ip("-n", brNs, "link", "set", bridge, "up");

  const hosts: Record<string, LanHost> = {};
  const attach = async (name: string, i: number, address: string): Promise<LanHost> => {
    const ns = await addNamespace(`${tag}-${name}`);
    const port = `p${i}`;
    await ip("-n", brNs, "link", "add", port, "type", "veth", "peer", "name", "eth0", "netns", ns);
    await ip("-n", brNs, "link", "set", port, "master", bridge);
    await ip("-n", brNs, "link", "set", port, "up");
    await ip("-n", ns, "addr", "add", `${address}/24`, "dev", "eth0");
    await ip("-n", ns, "link", "set", "eth0", "up");
    return { name, ns, address, iface: "eth0" };
  };
  const seen = new Set<string>();
  for (const [i, name] of opts.hosts.entries()) {
    if (seen.has(name) || name === "router" || name === opts.wan?.host) throw new Error(`makeLan: host name "${name}" repeated or reserved`);
    seen.add(name);
    hosts[name] = await attach(name, i, `${net24}.${10 + i}`);
  }

  let router: LanHost | null = null;
  if (opts.wan) {
    const { host, rateMbit } = opts.wan;
    router = await attach("router", 250, `${net24}.254`);
    const cloudNs = await addNamespace(`${tag}-${host}`);
    await ip("-n", router.ns, "link", "add", "wan0", "type", "veth", "peer", "name", "eth0", "netns", cloudNs);
    await ip("-n", router.ns, "addr", "add", `${wanNet}.1/30`, "dev", "wan0");
    await ip("-n", router.ns, "link", "set", "wan0", "up");
    await ip("-n", cloudNs, "addr", "add", `${wanNet}.2/30`, "dev", "eth0");
    await ip("-n", cloudNs, "link", "set", "eth0", "up");
    // rateMbit each way: a token bucket on both ends' egress of the router–cloud veth.
    const shape = ["tbf", "rate", `${rateMbit}mbit`, "burst", "32kbit", "latency", "400ms"];
    await tc(router.ns, "qdisc", "add", "dev", "wan0", "root", ...shape);
    await tc(cloudNs, "qdisc", "add", "dev", "eth0", "root", ...shape);
    hosts[host] = { name: host, ns: cloudNs, address: `${wanNet}.2`, iface: "eth0" };
  }

  const lan: Lan = {
    hosts,
    router,
    subnet,
    host(name) {
      const h = hosts[name] ?? (name === "router" ? router : undefined);
      if (!h) throw new Error(`makeLan: no host "${name}"`);
      return h;
    },
    async relay(targetPort, listenPort = targetPort) {
      if (!opts.wan || !router) throw new Error("makeLan: relay() needs the wan option");
      const cloud = hosts[opts.wan.host]!;
      const child = spawnIn(router.ns, process.execPath, [RELAY_SCRIPT, router.address, String(listenPort), cloud.address, String(targetPort), String(opts.wan.delayMs / 2)], { stdio: ["pipe", "pipe", "pipe"] });
      const lines = readline.createInterface({ input: child.stdout! });
      const waiting: ((line: string) => void)[] = [];
      let stderr = "";
      child.stderr!.on("data", (d: Buffer) => (stderr += d.toString()).length > 4000 && (stderr = stderr.slice(-4000)));
      lines.on("line", (line) => waiting.shift()?.(line));
      const next = () =>
        new Promise<string>((resolve, reject) => {
          const onExit = () => reject(new Error(`relay exited: ${stderr.trim()}`));
          child.once("exit", onExit);
          waiting.push((line) => {
            child.off("exit", onExit);
            resolve(line);
          });
        });
      const port = (JSON.parse(await next()) as { listening: number }).listening;
      const relay: Relay = {
        host: router.address,
        port,
        url: `http://${router.address}:${port}`,
        async counts() {
          const answer = next();
          child.stdin!.write("count\n");
          return JSON.parse(await answer) as RelayCounts;
        },
        async stop() {
          made.relays.delete(relay);
          await stopChild(child);
        },
      };
      made.relays.add(relay);
      return relay;
    },
    spawnIn: (name, cmd, args, o) => spawnIn(lan.host(name).ns, cmd, args, o),
    chromiumIn: (name, o) => chromiumIn(lan.host(name).ns, o),
  };
  return lan;
}

/** SIGTERM to the child's process group, SIGKILL after `graceMs`. */
export async function stopChild(child: ChildProcess, graceMs = 5000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
  const exited = new Promise<void>((r) => child.once("exit", () => r()));
  const signal = (s: NodeJS.Signals) => {
    try {
      process.kill(-child.pid!, s);
    } catch {
      // already gone
    }
  };
  signal("SIGTERM");
  const timer = setTimeout(() => signal("SIGKILL"), graceMs);
  await exited;
  clearTimeout(timer);
}

/** Kills whatever still runs inside namespace `ns`, then deletes it. */
async function removeNamespace(ns: string): Promise<void> {
  try {
    const { stdout } = await run("ip", ["netns", "pids", ns]);
    for (const pid of stdout.split(/\s+/).filter(Boolean)) {
      try {
        process.kill(Number(pid), "SIGKILL");
      } catch {
        // gone
      }
    }
  } catch {
    // no such namespace
  }
  await run("ip", ["netns", "del", ns]).catch(() => undefined);
}

/** Removes every browser, process, relay and namespace this process made. Never throws. */
export async function cleanup(): Promise<void> {
  for (const b of [...made.browsers]) await b.close().catch(() => undefined);
  for (const r of [...made.relays]) await r.stop().catch(() => undefined);
  await Promise.all([...made.children].map((c) => stopChild(c).catch(() => undefined)));
  for (const ns of made.namespaces.splice(0).reverse()) await removeNamespace(ns);
  for (const dir of made.dirs.splice(0)) await rm(dir, { recursive: true, force: true }).catch(() => undefined);
}

/** The namespaces named dc<pid>- whose process is gone (a crashed run's leftovers), removed. */
export async function cleanupStale(): Promise<string[]> {
  const { stdout } = await run("ip", ["netns", "list"]).catch(() => ({ stdout: "" }));
  const removed: string[] = [];
  for (const line of stdout.split("\n")) {
    const ns = line.split(" ")[0] ?? "";
    const m = STALE.exec(ns);
    if (!m || Number(m[1]) === process.pid || alive(Number(m[1]))) continue;
    await removeNamespace(ns);
    removed.push(ns);
  }
  return removed;
}

/** The namespaces this process currently holds (for the harness's own test). */
export async function ownNamespaces(): Promise<string[]> {
  const { stdout } = await run("ip", ["netns", "list"]);
  return stdout.split("\n").map((l) => l.split(" ")[0] ?? "").filter((n) => n.startsWith(PREFIX));
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}
