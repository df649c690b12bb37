/**
 * `deckcast bridge --upstream URL [--port P] [--host H]`: the phone bridge as its own process,
 * for scale (docs/phone-protocol.md): phones connect to ws://H:P/phone; the bridge follows
 * meetings of the deckcast server at URL (its /api/config for the XMPP domains, its XMPP
 * WebSocket for the one occupant per meeting, its /decks for page images). Runs until SIGINT
 * or SIGTERM.
 */
import { parseArgs } from "node:util";
import pino, { type Logger } from "pino";
import type { ClientConfig } from "../../protocol/client-config.ts";
import { PHONE_PROTOCOL } from "../../protocol/phone.ts";
import type { PhoneGateway } from "../../android-bridge/gateway/gateway.ts";
import type { BridgeLimits } from "../../android-bridge/gateway/limits.ts";
import { mountPhoneGateway } from "../../android-bridge/gateway/mount.ts";
import { xmppConnector } from "../../android-bridge/gateway/xmpp-connect.ts";
import { createHttpServer } from "../http/app.ts";
import { UsageError, type CliIO } from "./command.ts";

export const summary = "run the phone bridge on its own, in front of a deckcast server";
export const usage = ["bridge --upstream URL [--port P] [--host H]   (default port 8090, host 127.0.0.1)"];

export interface RunningBridge {
  port: number;
  gateway: PhoneGateway;
  stop(): Promise<void>;
}

/** Reads the upstream's /api/config and starts the bridge's HTTP server with the gateway at /phone. */
export async function startBridge(o: { upstream: string; port: number; host: string; log: Logger; limits?: Partial<BridgeLimits> }): Promise<RunningBridge> {
  const base = new URL(o.upstream);
  if (base.protocol !== "http:" && base.protocol !== "https:") throw new UsageError("--upstream must be an http(s) URL");
  const res = await fetch(new URL("/api/config", base), { signal: AbortSignal.timeout(10_000) });
  if (!res.ok) throw new Error(`${base.origin}/api/config answered ${res.status}`);
  const config = (await res.json()) as ClientConfig;
  if (!config?.domains?.guests || typeof config.websocketPath !== "string") throw new Error(`${base.origin}/api/config is not a deckcast config`);
  const ws = new URL(config.websocketPath, base);
  ws.protocol = base.protocol === "https:" ? "wss:" : "ws:";
  const http = createHttpServer({ log: o.log });
  const gateway = mountPhoneGateway(http, {
    connector: xmppConnector({ websocketUrl: ws.href, domains: config.domains }),
    log: o.log,
    decks: base.origin,
    ...(o.limits ? { limits: o.limits } : {}),
  });
  const port = await http.listen(o.port, o.host);
  return {
    port,
    gateway,
    async stop() {
      await gateway.stop();
      await http.close();
    },
  };
}

export async function run(args: string[], io: CliIO): Promise<number> {
  let values: { upstream?: string; port?: string; host?: string };
  try {
    ({ values } = parseArgs({ args, options: { upstream: { type: "string" }, port: { type: "string" }, host: { type: "string" } }, strict: true }));
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  if (!values.upstream) throw new UsageError("missing --upstream URL (the deckcast server, e.g. http://127.0.0.1:8080)");
  const port = Number(values.port ?? 8090);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError(`--port must be a port number, not '${values.port}'`);
  const log = pino({ level: io.env.DECKCAST_LOG_LEVEL ?? "info" }, pino.destination(2));
  const bridge = await startBridge({ upstream: values.upstream, port, host: values.host ?? "127.0.0.1", log });
  io.stdout.write(`phone bridge on ws://${values.host ?? "127.0.0.1"}:${bridge.port}${PHONE_PROTOCOL.path} for ${values.upstream}\n`);
  await new Promise<void>((resolve) => {
    process.once("SIGINT", resolve);
    process.once("SIGTERM", resolve);
  });
  await bridge.stop();
  return 0;
}
