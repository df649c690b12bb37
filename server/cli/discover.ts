/**
 * `deckcast discover [--timeout S] [--interface ADDRESS] [--json]`: lists the deckcast servers
 * and edges that answer over mDNS (`_deckcast._tcp`, server/lan/mdns.ts) on one LAN
 * interface: the given address, else this machine's first LAN address (the one LAN mode
 * would announce on, server/http/addresses.ts).
 */
import { isIPv4 } from "node:net";
import { networkInterfaces } from "node:os";
import { parseArgs } from "node:util";
import { reachableAddresses } from "../http/addresses.ts";
import { discover } from "../lan/mdns.ts";
import { UsageError, type CliIO } from "./command.ts";

export const summary = "list the deckcast servers and edges on this network (mDNS)";
export const usage = ["discover [--timeout S] [--interface ADDRESS] [--json]   (default 3 s, this machine's first LAN address)"];

export async function run(args: string[], io: CliIO): Promise<number> {
  let values: { timeout?: string; interface?: string; json?: boolean };
  try {
    ({ values } = parseArgs({ args, options: { timeout: { type: "string" }, interface: { type: "string" }, json: { type: "boolean" } }, strict: true }));
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const seconds = values.timeout === undefined ? 3 : Number(values.timeout);
  if (!(seconds > 0 && seconds <= 60)) throw new UsageError("--timeout must be a number of seconds from 0 to 60");
  if (values.interface !== undefined && !isIPv4(values.interface)) throw new UsageError("--interface must be an IPv4 address of this machine's LAN interface");
  const address = values.interface ?? reachableAddresses("0.0.0.0", networkInterfaces())[0];
  if (!address) {
    io.stderr.write("deckcast discover: this machine has no LAN address (IPv4) to look on\n");
    return 1;
  }
  const found = await discover({ interfaceAddress: address, timeoutMs: seconds * 1000 });
  if (values.json) {
    io.stdout.write(JSON.stringify(found) + "\n");
    return 0;
  }
  if (found.length === 0) {
    io.stdout.write(`No deckcast server or edge answered on ${address} within ${seconds} s.\n`);
    return 0;
  }
  for (const f of found) io.stdout.write(`${f.role.padEnd(7)} ${f.url}   ${f.name}\n`);
  return 0;
}
