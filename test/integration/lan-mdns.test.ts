/**
 * mDNS (server/lan/mdns.ts), only inside namespaces the test makes (test/support/netns.ts):
 * a server announced on one host's LAN address is found by `discover()` on another host with
 * its URL and role, the announcing socket is bound to the mDNS group on that one interface
 * (never 0.0.0.0), and after stop() a new look finds nothing.
 */
import { once } from "node:events";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cleanup, cleanupStale, makeLan, requireNetns, type Lan } from "../support/netns.ts";

const skip = requireNetns();
const REPO = path.resolve(".");
const TSX = path.join(REPO, "node_modules/.bin/tsx");
const MDNS = path.join(REPO, "server/lan/mdns.ts");

/** Announces until stdin closes (then stops and says "stopped"). */
const ANNOUNCER = `
const { announce } = await import(${JSON.stringify(MDNS)});
const a = announce({ name: "deckcast on test", port: 8080, role: "edge", interfaceAddress: process.argv[1] });
console.log("announced");
process.stdin.resume();
process.stdin.on("end", async () => { await a.stop(); console.log("stopped"); process.exit(0); });`;

const DISCOVER = `
const { discover } = await import(${JSON.stringify(MDNS)});
console.log(JSON.stringify(await discover({ interfaceAddress: process.argv[1], timeoutMs: 2000 })));`;

describe.skipIf(skip !== null)("mDNS on one interface", () => {
  let lan: Lan;
  beforeAll(async () => {
    await cleanupStale();
    lan = await makeLan({ hosts: ["server", "looker"] });
  });
  afterAll(async () => {
    await cleanup();
  });

  async function look(): Promise<unknown> {
    const child = lan.spawnIn("looker", TSX, ["--input-type=module", "-e", DISCOVER, lan.host("looker").address], { cwd: REPO });
    let out = "";
    child.stdout!.on("data", (d: Buffer) => (out += d));
    const [code] = (await once(child, "exit")) as [number | null];
    expect(code).toBe(0);
    return JSON.parse(out);
  }

  it("is found from another host; binds the mDNS group on that interface only; gone after stop()", async () => {
    const address = lan.host("server").address;
    const announcer = lan.spawnIn("server", TSX, ["--input-type=module", "-e", ANNOUNCER, address], { cwd: REPO, stdio: ["pipe", "pipe", "pipe"] });
    let out = "";
    announcer.stdout!.on("data", (d: Buffer) => (out += d));
    while (!out.includes("announced")) await once(announcer.stdout!, "data");

    expect(await look()).toEqual([{ name: "deckcast on test", role: "edge", url: `http://${address}:8080/` }]);

    const sockets = lan.spawnIn("server", "ss", ["-Hulpn"]);
    let ss = "";
    sockets.stdout!.on("data", (d: Buffer) => (ss += d));
    await once(sockets, "exit");
    const mdns = ss.split("\n").filter((l) => l.includes(":5353"));
    expect(mdns.map((l) => l.trim().split(/\s+/)[3])).toEqual(["224.0.0.251:5353"]);

    announcer.stdin!.end();
    while (!out.includes("stopped")) await once(announcer.stdout!, "data");
    expect(await look()).toEqual([]);
  });
});
