/**
 * The phone bridge in a process of its own, for the phone benchmark (bench/phone.ts): what
 * `deckcast bridge --upstream URL` runs (server/cli/bridge.ts, startBridge), with the limits
 * a benchmark needs raised (every bench phone comes from 127.0.0.1, so the per-address socket
 * limit is lifted). DECKCAST_BENCH_BRIDGE = JSON {upstream, limits?}. Prints
 * "ready <port> <pid>" once listening; each "gc" line on stdin runs a full garbage collection
 * (with node --expose-gc) and answers "gc", so RSS read then is what the bridge holds; stops
 * on SIGTERM.
 */
import pino from "pino";
import { startBridge } from "../../server/cli/bridge.ts";

const opts = JSON.parse(process.env.DECKCAST_BENCH_BRIDGE ?? "{}") as { upstream: string; limits?: Record<string, number> };
const bridge = await startBridge({
  upstream: opts.upstream,
  port: 0,
  host: "127.0.0.1",
  log: pino({ level: process.env.DECKCAST_BENCH_LOG ?? "warn" }, pino.destination(2)),
  limits: { maxSocketsPerAddress: 1_000_000, ...opts.limits },
});
process.stdout.write(`ready ${bridge.port} ${process.pid}\n`);
process.stdin.setEncoding("utf8");
process.stdin.on("data", (d: string) => {
  for (const line of d.split("\n")) {
    if (line.trim() !== "gc") continue;
    (globalThis as { gc?: () => void }).gc?.();
    process.stdout.write("gc\n");
  }
});
process.on("SIGTERM", () => {
  void bridge.stop().finally(() => process.exit(0));
});
