/**
 * The two sides of test/integration/remote-login.test.ts, each run inside its own network
 * namespace with `ip netns exec`:
 *
 *   server <dataDir> [trusted proxy address]
 *                      the XMPP server (through its adapter), the HTTP server with the XMPP WebSocket proxy and
 *                      /api/config (as server/main.ts wires them; no decks), listening on
 *                      0.0.0.0 of its namespace; prints one JSON line { port, domains, password }
 *                      and runs until SIGTERM.
 *   login <url> <domain> <user|-> <secret> <mechanism> [token]
 *                      one XMPP login over the WebSocket at <url>; prints one JSON line
 *                      { result: "ok" | <SASL condition>, text?, token? } (with `token`, a
 *                      successful login asks for a login token and prints it).
 *   fetch <url>        GET <url>; prints the JSON answer.
 */
import os from "node:os";
import { client, type Client } from "@xmpp/client";
import xml from "@xmpp/xml";
import pino from "pino";
import WebSocket from "ws";
import { loginTokenRequest, readLoginToken } from "../../protocol/login-token.ts";
import { startProsodyServer } from "../../prosody/xmpp-server.ts";
import { reachableUrls } from "../../server/http/addresses.ts";
import { createHttpServer } from "../../server/http/app.ts";
import { hostPolicy } from "../../server/http/hosts.ts";
import { mountWebClient } from "../../server/http/web-client.ts";
import { trustedProxies } from "../../server/http/trusted-proxies.ts";
import { setupWsProxy } from "../../server/http/ws-proxy.ts";

// Node 20 has no global WebSocket; @xmpp/websocket looks for one. With DECKCAST_TEST_PROXY_SAYS
// (a browser's address), the login's handshake carries what an https reverse proxy would add.
const proxySays = process.env.DECKCAST_TEST_PROXY_SAYS;
class ProxiedWebSocket extends WebSocket {
  constructor(url: string, protocols?: string | string[]) {
    super(url, protocols, { headers: { "X-Forwarded-For": proxySays!, "X-Forwarded-Proto": "https" } });
  }
}
Object.assign(globalThis, { WebSocket: proxySays ? ProxiedWebSocket : WebSocket });

const [mode, ...args] = process.argv.slice(2);
const PASSWORD = "remote-login-password";

if (mode === "server") {
  const log = pino({ level: process.env.DECKCAST_TEST_LOG ?? "silent" });
  const prosody = await startProsodyServer({ dataDir: args[0]!, log });
  await prosody.register("alice", PASSWORD);
  const http = createHttpServer({ log, hosts: hostPolicy({ boundHost: "0.0.0.0" }) });
  let port = 0;
  mountWebClient(http, { domains: prosody.domains, reachable: () => (port ? reachableUrls("0.0.0.0", port, os.networkInterfaces()) : []) });
  const proxy = setupWsProxy(http, { prosodyHttpPort: prosody.websocketPort, log, trustedProxies: trustedProxies(args[1] ? [args[1]] : []) });
  port = await http.listen(0, "0.0.0.0");
  process.stdout.write(JSON.stringify({ port, domains: prosody.domains, password: PASSWORD }) + "\n");
  process.on("SIGTERM", () => {
    proxy.stop();
    void http
      .close()
      .then(() => prosody.stop())
      .finally(() => process.exit(0));
  });
} else if (mode === "login") {
  const [url, domain, username, secret, mechanism, wantToken] = args as [string, string, string, string, string, string | undefined];
  const guest = username === "-";
  const xmpp: Client = client({
    service: url,
    domain,
    resource: "remote",
    credentials: (auth: (c: object, mech: string) => Promise<void>) => auth(guest ? {} : { username, password: secret }, mechanism),
  } as never);
  xmpp.on("error", () => undefined);
  xmpp.reconnect.stop();
  let out: { result: string; text?: string; token?: string };
  try {
    await xmpp.start();
    out = { result: "ok" };
    if (wantToken) {
      const res = await xmpp.iqCaller.request(xml("iq", { type: "set", to: domain }, loginTokenRequest()), 10_000);
      out.token = readLoginToken(res)?.token ?? "";
    }
  } catch (err) {
    const e = err as { condition?: string; text?: string; message?: string };
    out = { result: e.condition ?? String(e.message), ...(e.text ? { text: e.text } : {}) };
  }
  await xmpp.stop().catch(() => undefined);
  process.stdout.write(JSON.stringify(out) + "\n");
  process.exit(0);
} else if (mode === "fetch") {
  const res = await fetch(args[0]!);
  process.stdout.write(JSON.stringify(await res.json()) + "\n");
  process.exit(0);
} else {
  process.stderr.write(`unknown mode ${mode}\n`);
  process.exit(2);
}
