/**
 * `deckcast edge` arguments → the edge's settings: --upstream URL (required, http(s)),
 * --lan (listen on this machine's LAN address and announce over mDNS), --host H (the address
 * to listen on; default the LAN address with --lan, else 127.0.0.1), --port P (default 8081),
 * --cache DIR (default ./deckcast-edge-cache), --cache-mb N (default 2048), --token T (the
 * central server's operator token, for registering; also DECKCAST_EDGE_TOKEN).
 */
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { reachableAddresses } from "../http/addresses.ts";
import { EDGE_DEFAULTS } from "./limits.ts";

export interface EdgeSettings {
  upstream: string;
  lan: boolean;
  host: string;
  port: number;
  cacheDir: string;
  cacheBytes: number;
  token: string | null;
}

export class EdgeArgsError extends Error {}

/** The first IPv4 LAN address of this machine (real interfaces before virtual ones), or null. */
export function lanAddress(table = os.networkInterfaces()): string | null {
  return reachableAddresses("0.0.0.0", table)[0] ?? null;
}

export function readEdgeArgs(args: string[], env: NodeJS.ProcessEnv, table = os.networkInterfaces()): EdgeSettings {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args,
      options: {
        upstream: { type: "string" },
        lan: { type: "boolean" },
        host: { type: "string" },
        port: { type: "string" },
        cache: { type: "string" },
        "cache-mb": { type: "string" },
        token: { type: "string" },
      },
      strict: true,
    }));
  } catch (err) {
    throw new EdgeArgsError((err as Error).message);
  }
  const upstream = values.upstream as string | undefined;
  if (!upstream) throw new EdgeArgsError("missing --upstream URL (the central deckcast server, e.g. https://deckcast.example.org)");
  let url: URL;
  try {
    url = new URL(upstream);
  } catch {
    throw new EdgeArgsError("--upstream must be a URL");
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") throw new EdgeArgsError("--upstream must be an http(s) URL");
  const port = Number(values.port ?? EDGE_DEFAULTS.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new EdgeArgsError(`--port must be a port number, not '${String(values.port)}'`);
  const mb = Number(values["cache-mb"] ?? EDGE_DEFAULTS.cacheBytes / 1024 ** 2);
  if (!Number.isFinite(mb) || mb < 1) throw new EdgeArgsError("--cache-mb must be a number of megabytes, at least 1");
  const lan = values.lan === true;
  let host = values.host as string | undefined;
  if (!host) {
    if (lan) {
      const found = lanAddress(table);
      if (!found) throw new EdgeArgsError("--lan: this machine has no LAN address (give one with --host)");
      host = found;
    } else host = "127.0.0.1";
  }
  const token = (values.token as string | undefined) ?? env.DECKCAST_EDGE_TOKEN ?? null;
  return {
    upstream: url.origin,
    lan,
    host,
    port,
    cacheDir: path.resolve((values.cache as string | undefined) ?? "deckcast-edge-cache"),
    cacheBytes: Math.floor(mb * 1024 ** 2),
    token: token || null,
  };
}
