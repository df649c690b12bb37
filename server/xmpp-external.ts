/**
 * An XMPP server deckcast does not run (DECKCAST_XMPP_SERVER=external: the prosody container,
 * or an operator's own server configured like prosody/config.ts), behind the adapter interface
 * server/xmpp-server.ts. deckcast starts and stops nothing here: the component connects to
 * its component port (server/component/link.ts reconnects on its own), browsers' WebSockets
 * are carried to its HTTP port (server/http/ws-proxy.ts with an `upstream`), and the health
 * is whether its client port answers a TCP connection, probed every few seconds.
 *
 * Accounts are that server's business: register/accounts refuse with ExternalAccountsError,
 * whose message says how to add one there (prosodyctl on the prosody container).
 */
import type { Logger } from "pino";
import { tcpAnswers } from "./tcp-probe.ts";
import type { WsUpstream } from "./http/ws-proxy.ts";
import { WEBSOCKET_PATH } from "./http/ws-proxy.ts";
import type { ExternalXmppSetting } from "./xmpp-server-setting.ts";
import type { XmppAccounts, XmppDomains, XmppHealth, XmppServer } from "./xmpp-server.ts";

/** How often the client port is probed, and how long one probe may take. */
export const EXTERNAL_PROBE = Object.freeze({ everyMs: 5000, timeoutMs: 2000 });

/** An external XMPP server as deckcast sees it. */
export interface ExternalXmppServer extends XmppServer {
  readonly kind: "external";
  /** Where it is (no secret): the banner and the health name it. */
  where: { host: string; componentPort: number; clientPort: number; httpPort: number };
  /** What deckcast's /xmpp-websocket proxy carries its tunnels to. */
  websocketUpstream: WsUpstream;
}

/** deckcast cannot manage accounts on a server it does not run. */
export class ExternalAccountsError extends Error {
  readonly code = "external-accounts";
}

const HOST_RE = /^(?=.{1,200}$)[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*$/;

/** The four deckcast domains on an account host: the naming every deckcast XMPP server is configured with. */
export function deckcastDomains(host: string): XmppDomains {
  if (!HOST_RE.test(host)) throw new Error(`DECKCAST_XMPP_HOST must be a lower-case DNS name like "localhost", got ${JSON.stringify(host.slice(0, 60))}`);
  return { accounts: host, guests: `guest.${host}`, muc: `rooms.${host}`, component: `deckcast.${host}` };
}

/** The words for "add an account there" (the CLI prints them; register() throws them). */
export function externalAccountsHelp(domain: string, user = "NAME"): string {
  return (
    `accounts are kept by the external XMPP server (DECKCAST_XMPP_SERVER=external), not by deckcast: ` +
    `add one there, e.g. on the prosody container: podman exec -it <prosody container> prosodyctl register ${user} ${domain} PASSWORD ` +
    `(docker exec works the same; list them with prosodyctl shell user list ${domain})`
  );
}

/** `host:port`, with an IPv6 address in brackets. */
function hostPort(host: string, port: number): string {
  return `${host.includes(":") ? `[${host}]` : host}:${port}`;
}

export interface ExternalXmppOptions {
  setting: ExternalXmppSetting;
  /** DECKCAST_XMPP_HOST: the account domain. */
  accountHost: string;
  log: Logger;
  probe?: Partial<typeof EXTERNAL_PROBE>;
}

/**
 * The external server as an XmppServer. Resolves at once (nothing is started); the first
 * probe of its client port is under way, so health() says "starting" until it answers.
 */
/** Probes a /healthz ask may start while the server is down: at most one a second. */
const ASKED_PROBE_GAP_MS = 1000;

export async function startExternalXmpp(opts: ExternalXmppOptions): Promise<ExternalXmppServer> {
  const { setting, log } = opts;
  const domains = deckcastDomains(opts.accountHost);
  const probe = { ...EXTERNAL_PROBE, ...opts.probe };
  const where = { host: setting.host, componentPort: setting.componentPort, clientPort: setting.clientPort, httpPort: setting.httpPort };
  const listeners = new Set<(h: XmppHealth) => void>();
  let health: XmppHealth = { state: "starting", restarts: 0, pid: null, maxRestarts: 0 };
  let inFlight: Promise<void> | null = null;
  let timer: NodeJS.Timeout | null = null;
  let stopped = false;

  const set = (state: XmppHealth["state"]) => {
    if (state === health.state) return;
    health = { ...health, state };
    for (const l of listeners) l(health);
  };
  const probeNow = (): Promise<void> =>
    (inFlight ??= tcpAnswers(setting.host, setting.clientPort, probe.timeoutMs).then((ok) => {
      inFlight = null;
      if (stopped) return;
      const before = health.state;
      // "restarting": it answered before and does not now (deckcast waits for it to come back).
      set(ok ? "running" : before === "starting" ? "starting" : "restarting");
      if (ok && before !== "running") log.info({ server: hostPort(setting.host, setting.clientPort) }, "external XMPP server answers");
      if (!ok && before === "running") log.warn({ server: hostPort(setting.host, setting.clientPort) }, "external XMPP server does not answer on its client port");
    }));
  const loop = () => {
    timer = setTimeout(() => void probeNow().finally(() => !stopped && loop()), probe.everyMs);
    timer.unref();
  };
  void probeNow().finally(() => !stopped && loop());
  log.info({ ...where, domains }, "using an external XMPP server");

  const refuse = async (): Promise<never> => {
    throw new ExternalAccountsError(externalAccountsHelp(domains.accounts));
  };
  const accounts: XmppAccounts = { addUser: refuse, hasUser: refuse, listUsers: refuse };
  const ws = hostPort(setting.host, setting.httpPort);
  let lastAskedProbe = 0;
  return {
    kind: "external",
    where,
    domains,
    componentService: `xmpp://${hostPort(setting.host, setting.componentPort)}`,
    componentSecret: setting.componentSecret,
    clientService: `xmpp://${hostPort(setting.host, setting.clientPort)}`,
    websocketPort: setting.httpPort,
    websocketUrl: `ws://${ws}${WEBSOCKET_PATH}`,
    websocketUpstream: { host: setting.host, port: setting.httpPort, path: WEBSOCKET_PATH, tls: false, hostHeader: ws },
    logPath: `the XMPP server's own log (${setting.host})`,
    storageDir: `the XMPP server's own data (${setting.host})`,
    register: refuse,
    accounts,
    health: () => {
      // A server that is down is probed again on an ask, so it is seen back soon; at most once a
      // second, so polling the public /healthz cannot make deckcast hammer it with connections.
      if (health.state !== "running" && !stopped && Date.now() - lastAskedProbe >= ASKED_PROBE_GAP_MS) {
        lastAskedProbe = Date.now();
        void probeNow();
      }
      return health;
    },
    onHealth: (listener) => {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    stop: async () => {
      if (stopped) return;
      stopped = true;
      if (timer) clearTimeout(timer);
      set("stopped");
      listeners.clear();
    },
  };
}
