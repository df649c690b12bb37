/**
 * The network-namespace harness itself (test/support/netns.ts): two hosts talk over the
 * bridge, nothing reaches past it (no default route), the wan relay carries and counts bytes
 * each way through the shaped link's token bucket, and cleanup leaves no namespace and
 * no process behind.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { once } from "node:events";
import { cleanup, cleanupStale, makeLan, ownNamespaces, requireNetns, type Lan } from "../support/netns.ts";

const skip = requireNetns();

/** A Node one-liner run inside a namespace; resolves with its stdout. */
async function nodeIn(lan: Lan, host: string, code: string, args: string[] = []): Promise<string> {
  const child = lan.spawnIn(host, process.execPath, ["-e", code, ...args]);
  let out = "";
  let err = "";
  child.stdout!.on("data", (d: Buffer) => (out += d));
  child.stderr!.on("data", (d: Buffer) => (err += d));
  const [codeOut] = (await once(child, "exit")) as [number | null];
  if (codeOut !== 0) throw new Error(`node in ${host} exited ${codeOut}: ${err}`);
  return out;
}

/** A TCP server inside `host` that answers each connection with `bytes` bytes, then closes. */
const SERVE = `
const net = require("node:net");
const [host, port, bytes] = process.argv.slice(1);
net.createServer((s) => { s.on("error", () => {}); let got = 0; s.on("data", (d) => { got += d.length; });
  s.end(Buffer.alloc(Number(bytes), 7)); }).listen(Number(port), host, () => console.log("ready"));`;

/** Connects, sends `send` bytes, reads until the server closes; prints the byte count received. */
const FETCH = `
const net = require("node:net");
const [host, port, send] = process.argv.slice(1);
const s = net.connect(Number(port), host, () => s.write(Buffer.alloc(Number(send), 1)));
let got = 0; s.on("data", (d) => { got += d.length; }); s.on("close", () => console.log(got));
s.on("error", (e) => { console.error(e.code); process.exit(3); });`;

describe.skipIf(skip !== null)("network-namespace harness", () => {
  let lan: Lan;
  beforeAll(async () => {
    await cleanupStale();
    lan = await makeLan({ hosts: ["a", "b"], bridge: "lan", wan: { host: "cloud", rateMbit: 5, delayMs: 80 } });
  });
  afterAll(async () => {
    await cleanup();
  });

  async function serve(host: string, bind: string, port: number, bytes: number) {
    const child = lan.spawnIn(host, process.execPath, ["-e", SERVE, bind, String(port), String(bytes)]);
    await new Promise<void>((resolve, reject) => {
      child.stdout!.once("data", () => resolve());
      child.once("exit", (c) => reject(new Error(`server in ${host} exited ${c}`)));
    });
    return child;
  }

  it("two hosts talk over the bridge; nothing has a route past it", async () => {
    await serve("b", lan.host("b").address, 7000, 100_000);
    expect(await nodeIn(lan, "a", FETCH, [lan.host("b").address, "7000", "10"])).toBe("100000\n");
    // No default route: an address off the LAN (the cloud's, too) is unreachable from a host.
    const routes = await nodeIn(lan, "a", `console.log(require("node:child_process").execFileSync("ip", ["route"]).toString())`);
    expect(routes).not.toMatch(/default/);
    await expect(nodeIn(lan, "a", FETCH, [lan.host("cloud").address, "7000", "1"])).rejects.toThrow(/ENETUNREACH|EHOSTUNREACH/);
  });

  it("the wan relay carries the cloud's bytes to the LAN and counts them each way", async () => {
    const size = 1_250_000; // 10 Mbit: at least 2 s through the 5 Mbit link
    await serve("cloud", lan.host("cloud").address, 8000, size);
    const relay = await lan.relay(8000, 0);
    expect(await nodeIn(lan, "a", FETCH, [relay.host, String(relay.port), "5000"])).toBe(`${size}\n`);
    const counts = await relay.counts();
    expect(counts).toEqual({ up: 5000, down: size, connections: 1 });
    // The cloud's bytes went through the token bucket on its side of the shaped link.
    const stats = await nodeIn(lan, "cloud", `console.log(require("node:child_process").execFileSync("tc", ["-s", "qdisc", "show", "dev", "eth0"]).toString())`);
    expect(stats).toMatch(/qdisc tbf .* rate 5Mbit/);
    expect(Number(/Sent (\d+) bytes/.exec(stats)?.[1])).toBeGreaterThan(size);
  });

  it("cleanup removes every namespace and process it made", async () => {
    expect((await ownNamespaces()).length).toBeGreaterThan(0);
    const child = lan.spawnIn("a", "sleep", ["600"]);
    await cleanup();
    expect(await ownNamespaces()).toEqual([]);
    expect(child.exitCode !== null || child.signalCode !== null).toBe(true);
  });
});
