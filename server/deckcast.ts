/**
 * The composition root: `createDeckcast(config)` builds the whole server in one order and
 * stops it in the reverse one. `npm start` (server/main.ts), the browser tests' stack and the
 * benchmarks all start deckcast through it, so they run the same wiring.
 *
 * Start order:
 *   1. the XMPP server (the private Prosody, through the adapter in prosody/xmpp-server.ts; or,
 *      with DECKCAST_XMPP_SERVER=external, one deckcast does not run: server/xmpp-external.ts);
 *   2. HTTP: the web client, the XMPP WebSocket proxy, the phone bridge at /phone, then listen (the bound port makes the
 *      public URL upload slots name when DECKCAST_PUBLIC_URL is not set);
 *   3. the component, built but not yet connected, and the decks feature on its link (the
 *      deck routes, the operator's meetings API, /healthz's parts);
 *   4. the component restores open sessions and connects. Nothing reaches the component
 *      before this, so every feature is wired before the first stanza;
 *   5. in LAN mode (config.lan), the mDNS announcement on each LAN address (server/lan/).
 * `stop()` stops what started, in reverse (component, decks, HTTP, XMPP server), within a
 * time limit; a part that fails to stop is logged and the others still stop.
 */
import { randomBytes } from "node:crypto";
import { mkdir } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import type { Logger } from "pino";
import { prosodyAccounts, startProsodyServer, type ProsodyXmppServer } from "../prosody/xmpp-server.ts";
import { checkConfig, type Config, type PrivateConfig } from "./config.ts";
import { startExternalXmpp, type ExternalXmppServer } from "./xmpp-external.ts";
import { createComponent, type DeckcastComponent } from "./component/setup.ts";
import { setupDecks, type Decks } from "./decks/setup.ts";
import { reachableUrls } from "./http/addresses.ts";
import { announceOnLan } from "./lan/lan-mode.ts";
import { createHttpServer, type HttpServer } from "./http/app.ts";
import { componentPart, decksPart, externalXmppPart, prosodyPart, trackLinkHistory } from "./http/health.ts";
import { hostPolicy } from "./http/hosts.ts";
import { mountMeetingsApi } from "./http/meetings-api.ts";
import { createEdgeRegistry, mountEdgeRegistry } from "./http/edge-registry.ts";
import { ensureOperatorToken } from "./http/operator.ts";
import { createReplayRouter } from "./http/replay-routes.ts";
import { setupExports } from "./component/features/exports.ts";
import { mountWebClient, WEB_CLIENT_DIST } from "./http/web-client.ts";
import { requestClient, trustedProxies } from "./http/trusted-proxies.ts";
import { EDGE_MAX_PER_ADDRESS, setupWsProxy, type WsProxy } from "./http/ws-proxy.ts";
import { mountPhoneGateway } from "../android-bridge/gateway/mount.ts";
import type { PhoneGateway } from "../android-bridge/gateway/gateway.ts";
import { xmppConnector } from "../android-bridge/gateway/xmpp-connect.ts";
import type { XmppAccounts, XmppServer } from "./xmpp-server.ts";

/** How long `stop()` may take in all before it gives up (rejects with StopTimeout). */
export const STOP_LIMIT_MS = 30_000;

/** What `createDeckcast` needs besides the settings. */
export interface DeckcastOptions<X extends XmppServer> {
  log: Logger;
  /** Starts the XMPP server; default: the private Prosody on `config.dataDir`. */
  startXmpp?: (config: Config, log: Logger) => Promise<X>;
}

/** The started parts. */
export interface RunningDeckcast<X extends XmppServer = XmppServer> {
  xmpp: X;
  http: HttpServer;
  wsProxy: WsProxy;
  /** The phone bridge at /phone (docs/phone-protocol.md). */
  phones: PhoneGateway;
  component: DeckcastComponent;
  decks: Decks;
  /** The bound HTTP port. */
  port: number;
  /** How browsers reach the HTTP server (config.publicUrl, with the bound port). */
  publicUrl: string;
  /** The base URLs other devices reach this server on, now. */
  reachable(): string[];
  operator: { token: string; path: string; fresh: boolean };
  /** Resolves once the deck converters have warmed up. */
  warmedUp: Promise<void>;
}

export interface Deckcast<X extends XmppServer = XmppServer> {
  /** Starts every part in order; on failure, stops what started and rejects. Once only. */
  start(): Promise<RunningDeckcast<X>>;
  /** Stops what started, in reverse order, within `limitMs` (else rejects with StopTimeout). Idempotent. */
  stop(limitMs?: number): Promise<void>;
}

/** `stop()` ran past its limit; parts may still be running. */
export class StopTimeout extends Error {
  readonly code = "stop-timeout";
  constructor(readonly limitMs: number) {
    super(`stopping deckcast took longer than ${limitMs} ms`);
  }
}

/** `stop()` was called while `start()` was still under way. */
export class StoppedDuringStart extends Error {
  readonly code = "stopped-during-start";
  constructor() {
    super("deckcast was stopped while it was starting");
  }
}

const startProsody = (config: Config, log: Logger): Promise<ProsodyXmppServer> =>
  startProsodyServer({ dataDir: config.dataDir, host: config.xmppHost, chat: config.chat, log: log.child({ part: "prosody" }) });

/** The XMPP server the settings name: the private Prosody, or the external server (started by nobody here). */
export function startConfiguredXmpp(config: Config, log: Logger): Promise<XmppServer> {
  const s = config.xmppServer;
  if (s.kind === "external") return startExternalXmpp({ setting: s, accountHost: config.xmppHost, log: log.child({ part: "xmpp" }) });
  return startProsody(config, log);
}

/** Whether `xmpp` is an external server (server/xmpp-external.ts). */
export function isExternalXmpp(xmpp: XmppServer): xmpp is ExternalXmppServer {
  return (xmpp as Partial<ExternalXmppServer>).kind === "external";
}

/**
 * The default XMPP server's presenter accounts for these settings, whether or not it runs
 * (`deckcast user`): the private Prosody's on `config.dataDir`, domain `config.xmppHost`.
 */
export function xmppAccounts(config: Pick<Config, "dataDir" | "xmppHost">): XmppAccounts {
  // An external server's accounts are its own: `deckcast user` says so before it gets here.
  return prosodyAccounts(config.dataDir, config.xmppHost);
}

/**
 * Without `startXmpp`, the XMPP server is the one `config.xmppServer` names: with a private
 * config (privateConfig()), the private Prosody (`xmpp.prosody` is its launcher handle).
 */
export function createDeckcast(config: PrivateConfig, opts: DeckcastOptions<ProsodyXmppServer>): Deckcast<ProsodyXmppServer>;
export function createDeckcast<X extends XmppServer>(config: Config, opts: DeckcastOptions<X> & { startXmpp: (config: Config, log: Logger) => Promise<X> }): Deckcast<X>;
export function createDeckcast(config: Config, opts: DeckcastOptions<XmppServer>): Deckcast<XmppServer>;
export function createDeckcast(config: Config, opts: DeckcastOptions<XmppServer>): Deckcast<XmppServer> {
  checkConfig(config);
  const log = opts.log;
  const startXmpp = opts.startXmpp ?? startConfiguredXmpp;
  /** What stop() stops, pushed as each part starts. */
  const parts: { name: string; stop: () => Promise<void> }[] = [];
  let stopping: Promise<void> | null = null;
  let starting: Promise<RunningDeckcast<XmppServer>> | null = null;

  /** Registers a started part; if stop() came first, stops it at once and ends the start. */
  async function started(name: string, stop: () => Promise<void>): Promise<void> {
    parts.push({ name, stop });
    if (stopping) {
      await stopping;
      await stopParts();
      throw new StoppedDuringStart();
    }
  }

  async function stopParts(): Promise<void> {
    for (let part = parts.pop(); part; part = parts.pop()) {
      await part.stop().catch((err: Error) => log.error({ err: err.message }, `${part.name} stop`));
    }
  }

  async function run(): Promise<RunningDeckcast<XmppServer>> {
    // The private Prosody made it as its own; an external server does not.
    await mkdir(config.dataDir, { recursive: true });
    const xmpp = await startXmpp(config, log);
    await started("prosody", () => xmpp.stop());
    const external = isExternalXmpp(xmpp) ? xmpp : null;

    const httpLog = log.child({ part: "http" });
    const http = createHttpServer({
      log: httpLog,
      // This machine's own name too: a LAN room may open http://<hostname>.local:8080.
      hosts: hostPolicy({ publicUrl: config.publicUrl, boundHost: config.httpHost, extra: [...config.allowedHosts, os.hostname(), `${os.hostname()}.local`] }),
      publicUrl: config.explicitPublicUrl,
    });
    // The web client answers "/" and /m/<code>; /api/* is left to the routes below. The
    // addresses other devices reach are read at each request (the port once it is bound).
    let boundPort = 0;
    const reachable = () => (boundPort ? reachableUrls(config.httpHost, boundPort, os.networkInterfaces()) : []);
    // Edges on a LAN (server/edge/) register with POST /api/edges; /api/config tells their office.
    const edges = createEdgeRegistry();
    // Who a request is from: behind a trusted reverse proxy, the browser it names (trusted-proxies.ts); one rule for all three.
    const proxies = trustedProxies(config.trustedProxies);
    const addressOf = (req: Parameters<typeof requestClient>[0]) => requestClient(req, proxies).address;
    mountWebClient(http, { domains: xmpp.domains, publicUrl: config.explicitPublicUrl, reachable, edgesFor: (a) => edges.forAddress(a), addressOf });
    const wsProxy = setupWsProxy(http, {
      prosodyHttpPort: xmpp.websocketPort,
      // An external server's WebSocket is on its own host (server/xmpp-external.ts).
      ...(external ? { upstream: external.websocketUpstream } : {}),
      log: httpLog,
      maxConnections: config.wsMaxConnections,
      maxPerAddress: config.wsMaxPerAddress,
      // An office's edge carries its followers from one address: room for them (ws-proxy.ts).
      perAddressLimit: (a) => (edges.forAddress(a).length > 0 ? Math.max(config.wsMaxPerAddress, EDGE_MAX_PER_ADDRESS) : config.wsMaxPerAddress),
      // An https reverse proxy in front says who the browser is and that it used https (docs/security.md).
      trustedProxies: proxies,
      idleTimeoutMs: config.wsIdleMs,
    });
    // Phones (docs/phone-protocol.md): one guest occupant per meeting, straight to the XMPP server's WebSocket.
    const phones = mountPhoneGateway(http, {
      connector: xmppConnector({ websocketUrl: xmpp.websocketUrl, domains: xmpp.domains }),
      log: httpLog,
      trustedProxies: proxies,
      // Phones' prefetch lists (docs/phone-protocol.md): straight from the deck service, set up below.
      manifest: async (deck, width) => {
        const m = await decks.manifests.get(deck, width);
        return m.ok ? m.value : null;
      },
    });
    const port = await http.listen(config.httpPort, config.httpHost);
    boundPort = port;
    await started("http", async () => {
      await phones.stop();
      wsProxy.stop();
      await http.close();
    });
    const publicUrl = port === config.httpPort ? config.publicUrl : config.publicUrl.replace(`:${config.httpPort}`, `:${port}`);

    // The relay asks `decks` only for stanzas, and none arrive before component.start() below.
    const component = createComponent({
      service: xmpp.componentService,
      secret: xmpp.componentSecret,
      domains: xmpp.domains,
      dataDir: config.dataDir,
      log,
      decks: { has: (id) => decks.service.has(id) },
      maxUploadBytes: config.maxUploadBytes,
      limits: config.meetings,
      retentionDays: config.retentionDays,
    });
    const decks = setupDecks(component.link, {
      dataDir: config.dataDir,
      publicUrl,
      accountDomain: xmpp.domains.accounts,
      maxUploadBytes: config.maxUploadBytes,
      maxPages: config.deckMaxPages,
      convertTimeoutMs: config.convertTimeoutMs,
      workers: config.deckWorkers,
      slotTtlMs: config.slotTtlMs,
      uploadLimits: { maxPending: config.uploadMaxPending, maxPendingBytes: config.uploadMaxPendingBytes, uploadIdleMs: config.uploadIdleMs },
      secret: randomBytes(32).toString("hex"), // slots live minutes: a fresh key per start is enough
      log,
    });
    await started("decks", () => decks.stop());
    http.mount("/upload", decks.uploadRouter);
    http.mount("/decks", decks.deckRouter);
    const operator = await ensureOperatorToken(config.dataDir);
    mountMeetingsApi(http, { meetings: component.meetings, operatorToken: operator.token });
    mountEdgeRegistry(http, { registry: edges, operatorToken: operator.token, log: httpLog, addressOf });
    // Past sessions under a replay token (docs/archive.md §Replay API).
    const { access, sources } = component.archives;
    http.mount("/api/replay", createReplayRouter({ access, sources, decks: decks.service, playerDir: path.join(WEB_CLIENT_DIST, "replay-offline"), log: httpLog }));
    // Video exports for owners (server/component/features/exports.ts), stopped before the decks they read.
    const exports = setupExports({ link: component.link, archives: component.archives, decks: decks.service, domains: xmpp.domains, dataDir: config.dataDir, log });
    await started("exports", () => exports.stop());

    let warm = false;
    const warmedUp = decks.service.started().then(() => void (warm = true));
    if (external) {
      const history = trackLinkHistory(component.link);
      http.health("xmpp", () => externalXmppPart(external.health(), component.link.online, history));
    } else {
      http.health("prosody", () => prosodyPart(xmpp.health()));
    }
    http.health("component", () => componentPart(component.link.online));
    http.health("decks", () => decksPart({ warmedUp: warm, report: () => decks.service.health() }));

    await started("component", () => component.stop());
    await component.start();
    // LAN mode: findable over mDNS on each LAN address once everything answers; withdrawn first on stop.
    if (config.lan) {
      const lan = announceOnLan({ name: `deckcast on ${os.hostname()}`, role: "server", bindHost: config.httpHost, port, interfaces: os.networkInterfaces(), log: log.child({ part: "lan" }) });
      await started("lan", () => lan.stop());
    }
    return { xmpp, http, wsProxy, phones, component, decks, port, publicUrl, reachable, operator, warmedUp };
  }

  return {
    start() {
      if (starting) throw new Error("createDeckcast(): start() was called twice");
      starting = run().catch(async (err: unknown) => {
        if (!(err instanceof StoppedDuringStart)) await stopParts();
        throw err;
      });
      return starting;
    },
    stop(limitMs = STOP_LIMIT_MS) {
      stopping ??= (async () => {
        let timer: NodeJS.Timeout | undefined;
        const limit = new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new StopTimeout(limitMs)), limitMs);
        });
        try {
          await Promise.race([stopParts(), limit]);
        } finally {
          clearTimeout(timer);
        }
      })();
      return stopping;
    },
  };
}
