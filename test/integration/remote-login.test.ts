/**
 * No passwords in clear from another device: an account login (password or login token,
 * PLAIN or SCRAM) that reaches deckcast over plain ws:// from another host is refused with
 * SASL `encryption-required` and a sentence saying why, while the same login from this
 * computer works and a guest from the other host joins as before. Also: /api/config lists
 * the address the other host reached the server on.
 *
 * "Another host" is a real one, not a loopback alias: every 127.x address is this computer
 * (Linux routes all of 127/8 to lo), so the server must — and does — treat 127.0.0.2 as
 * loopback. Instead the server runs in a network namespace of its own and the clients in a
 * second one, joined by a veth pair created inside the namespaces, with addresses from
 * 10.213.0.0/16 that exist only there: nothing touches the machine's real interfaces or a
 * LAN. Needs root (`ip netns`); skipped otherwise. Namespaces and processes are removed after.
 */
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");
const CHILD = "test/integration/remote-login.child.ts";
const tag = `${process.pid % 100000}`;
const SERVER_NS = `dcsrv${tag}`;
const CLIENT_NS = `dccli${tag}`;
const subnet = `10.213.${process.pid % 250}`;
const SERVER_IP = `${subnet}.1`;
const CLIENT_IP = `${subnet}.2`;
const REFUSAL = "Logging in with a password from another device needs https; ask the person running deckcast";

function canUseNetns(): boolean {
  if (process.getuid?.() !== 0) return false;
  try {
    execFileSync("ip", ["netns", "list"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

const ip = (...a: string[]) => execFileSync("ip", a, { stdio: ["ignore", "ignore", "pipe"] });

let server: ChildProcess | null = null;
let dataDir = "";
let info: { port: number; domains: { accounts: string; guests: string }; password: string };

/** Runs the child script in namespace `ns`; resolves with its JSON line. */
function inNamespace<T>(ns: string, args: string[], ms = 45_000, env: NodeJS.ProcessEnv = {}): Promise<T> {
  return new Promise((resolve, reject) => {
    const child = spawn("ip", ["netns", "exec", ns, process.execPath, "--import", "tsx", CHILD, ...args], { cwd: repo, stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, ...env } });
    let out = "";
    let err = "";
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`child timed out: ${err}`));
    }, ms);
    child.stdout.on("data", (d: Buffer) => (out += d.toString()));
    child.stderr.on("data", (d: Buffer) => (err += d.toString()));
    child.on("exit", () => {
      clearTimeout(timer);
      const line = out.trim().split("\n").at(-1) ?? "";
      try {
        resolve(JSON.parse(line) as T);
      } catch {
        reject(new Error(`no answer from the child: ${out} ${err}`));
      }
    });
  });
}

interface Login {
  result: string;
  text?: string;
  token?: string;
}

const remoteUrl = () => `ws://${SERVER_IP}:${info.port}/xmpp-websocket`;
const localUrl = () => `ws://127.0.0.1:${info.port}/xmpp-websocket`;
const login = (ns: string, url: string, user: string, secret: string, mechanism: string, token = false) =>
  inNamespace<Login>(ns, ["login", url, user === "-" ? info.domains.guests : info.domains.accounts, user, secret, mechanism, ...(token ? ["token"] : [])]);

describe.skipIf(!canUseNetns())("account logins from another host over plain ws", () => {
  beforeAll(async () => {
    ip("netns", "add", SERVER_NS);
    ip("netns", "add", CLIENT_NS);
    // The pair is born inside the server's namespace and one end moved at once: never in the host's.
    ip("-n", SERVER_NS, "link", "add", "dcv0", "type", "veth", "peer", "name", "dcv1", "netns", CLIENT_NS);
    ip("-n", SERVER_NS, "addr", "add", `${SERVER_IP}/24`, "dev", "dcv0");
    ip("-n", CLIENT_NS, "addr", "add", `${CLIENT_IP}/24`, "dev", "dcv1");
    for (const [ns, dev] of [[SERVER_NS, "dcv0"], [CLIENT_NS, "dcv1"]] as const) {
      ip("-n", ns, "link", "set", "lo", "up");
      ip("-n", ns, "link", "set", dev, "up");
    }
    dataDir = mkdtempSync(path.join(os.tmpdir(), "deckcast-remote-"));
    // The client host is also a trusted reverse proxy: its own plain logins are still refused (below).
    server = spawn("ip", ["netns", "exec", SERVER_NS, process.execPath, "--import", "tsx", CHILD, "server", dataDir, CLIENT_IP], { cwd: repo, stdio: ["ignore", "pipe", "pipe"] });
    info = await new Promise((resolve, reject) => {
      let out = "";
      let err = "";
      server!.stderr!.on("data", (d: Buffer) => (err += d.toString()));
      server!.stdout!.on("data", (d: Buffer) => {
        out += d.toString();
        const nl = out.indexOf("\n");
        if (nl >= 0) resolve(JSON.parse(out.slice(0, nl)));
      });
      server!.on("exit", (code) => reject(new Error(`server exited (${code}): ${err}`)));
    });
  });

  afterAll(async () => {
    if (server && server.exitCode === null) {
      const gone = new Promise((r) => server!.once("exit", r));
      server.kill("SIGTERM");
      await Promise.race([gone, new Promise((r) => setTimeout(r, 10_000))]);
      if (server.exitCode === null) server.kill("SIGKILL");
    }
    for (const ns of [CLIENT_NS, SERVER_NS]) {
      try {
        ip("netns", "del", ns); // removes the veth pair with it
      } catch {
        // never created
      }
    }
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  it("works from this computer (loopback), and issues a token there", async () => {
    const local = await login(SERVER_NS, localUrl(), "alice", info.password, "PLAIN", true);
    expect(local.result).toBe("ok");
    expect(local.token).toMatch(/^dct1-/);
  });

  it("refuses a password over plain ws from another host, saying why (PLAIN and SCRAM)", async () => {
    const plain = await login(CLIENT_NS, remoteUrl(), "alice", info.password, "PLAIN");
    expect(plain).toEqual({ result: "encryption-required", text: REFUSAL });
    const scram = await login(CLIENT_NS, remoteUrl(), "alice", info.password, "SCRAM-SHA-1");
    expect(scram).toEqual({ result: "encryption-required", text: REFUSAL });
    // A wrong password gets the same answer: nothing is checked, so nothing is learnt.
    expect((await login(CLIENT_NS, remoteUrl(), "alice", "wrong", "PLAIN")).result).toBe("encryption-required");
  });

  it("refuses a login token over plain ws from another host", async () => {
    const { token } = await login(SERVER_NS, localUrl(), "alice", info.password, "PLAIN", true);
    expect(token).toMatch(/^dct1-/);
    expect((await login(CLIENT_NS, remoteUrl(), "alice", token!, "PLAIN")).result).toBe("encryption-required");
    expect((await login(SERVER_NS, localUrl(), "alice", token!, "PLAIN")).result).toBe("ok");
  });

  it("takes a password through a trusted https reverse proxy, and not the same headers from anyone else", async () => {
    const viaProxy = { DECKCAST_TEST_PROXY_SAYS: "203.0.113.7" };
    const args = (url: string) => ["login", url, info.domains.accounts, "alice", info.password, "PLAIN"];
    // CLIENT_IP is the trusted proxy: it says the browser used https, so the password is taken.
    expect((await inNamespace<Login>(CLIENT_NS, args(remoteUrl()), 45_000, viaProxy)).result).toBe("ok");
    // The server's own LAN address is no proxy: the same headers from it change nothing.
    expect((await inNamespace<Login>(SERVER_NS, args(remoteUrl()), 45_000, viaProxy)).result).toBe("encryption-required");
  });

  it("lets a guest join from another host as before", async () => {
    expect((await login(CLIENT_NS, remoteUrl(), "-", "", "ANONYMOUS")).result).toBe("ok");
  });

  it("lists the address the other host reaches it on in /api/config", async () => {
    const config = await inNamespace<{ reachable: string[] }>(CLIENT_NS, ["fetch", `http://${SERVER_IP}:${info.port}/api/config`]);
    expect(config.reachable).toEqual([`http://${SERVER_IP}:${info.port}`]);
  });
});
