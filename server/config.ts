/**
 * The server's settings, read once from the environment with their defaults.
 *
 *   DECKCAST_DATA_DIR     ./data         archives, decks, Prosody's data, the log, the operator token
 *   DECKCAST_HTTP_PORT    8080           web client, uploads, downloads
 *   DECKCAST_HTTP_HOST    127.0.0.1      interface to listen on: 127.0.0.1 serves this computer only,
 *                                        0.0.0.0 (or one address) lets phones on the network join; the
 *                                        addresses they reach are listed by server/http/addresses.ts
 *                                        (0.0.0.0 in LAN mode)
 *   DECKCAST_LAN          (off)          1: LAN mode (also `npm start -- --lan`): listen on every
 *                                        interface and announce _deckcast._tcp over mDNS on each
 *                                        LAN address (server/lan/)
 *   DECKCAST_PUBLIC_URL   http://localhost:<port>   how browsers reach the HTTP server
 *   DECKCAST_ALLOWED_HOSTS (none)        more host names /api/* answers to, comma-separated
 *                                        (a reverse proxy's name); localhost, IP literals, the
 *                                        public URL's host, DECKCAST_HTTP_HOST and this machine's
 *                                        host name (and <name>.local) always are
 *   DECKCAST_XMPP_HOST    localhost      the XMPP account domain
 *   DECKCAST_XMPP_SERVER  private        private: the Prosody deckcast launches; external: one run
 *                                        elsewhere (a container), with DECKCAST_XMPP_SERVER_HOST,
 *                                        its ports and DECKCAST_COMPONENT_SECRET(_FILE): read by
 *                                        server/xmpp-server-setting.ts
 *   DECKCAST_LOG_LEVEL    info           pino level
 *   DECKCAST_LOG_STDOUT   (see right)    1: log lines go to stdout as well as <data>/deckcast.log;
 *                                        on by default with DECKCAST_XMPP_SERVER=external (a container)
 *   DECKCAST_MAX_UPLOAD_MB 100           largest deck upload (MiB)
 *   DECKCAST_MAX_PAGES    500            most pages a deck may have (at most LIMITS.maxPages, what
 *                                        the protocol's reader accepts)
 *   DECKCAST_UPLOAD_IDLE_S 30            an upload body that sends nothing for this long is cut off
 *   DECKCAST_UPLOAD_MAX_PENDING 10       upload slots one account may hold at once (issued, not yet used or expired)
 *   DECKCAST_UPLOAD_MAX_PENDING_MB 500   total size those slots may declare (MiB)
 *   DECKCAST_WS_MAX_CONNECTIONS 400      XMPP WebSocket connections through the proxy, in all
 *   DECKCAST_WS_MAX_PER_ADDRESS 50       … from one remote address
 *   DECKCAST_WS_IDLE_S    1200           a WebSocket with no traffic either way for this long is closed
 *   DECKCAST_MEETINGS_PER_ACCOUNT 20     live meetings one account may own at once
 *   DECKCAST_MEETING_IDLE_HOURS 24       a meeting with nothing committed for this long is ended
 *   DECKCAST_CHAT_BURST   10             chat messages one occupant may send at once …
 *   DECKCAST_CHAT_PER_SECOND 2           … and per second after that (enforced by Prosody's room)
 *   DECKCAST_CHAT_MAX_CHARS 4000         characters in one chat message (at least the web client's
 *                                        CLIENT_CHAT_CHARS, protocol/chat-limits.ts)
 *   DECKCAST_RETENTION_DAYS (none)       ended sessions older than this many days are removed
 *                                        (hourly and at start; features/retention.ts); unset keeps them
 *
 * Every default is set here once (DEFAULTS); the composition root (server/deckcast.ts) passes
 * each setting on explicitly. `checkConfig` refuses settings that contradict each other or
 * the protocol's limits, with an error naming the setting (code "config-contradiction").
 */
import { CHAT_LIMITS, CLIENT_CHAT_CHARS, type ChatLimits } from "../protocol/chat-limits.ts";
import { LIMITS } from "../protocol/namespaces.ts";
import { MEETING_LIMITS, type MeetingLimits } from "./component/limits.ts";
import { UPLOAD_LIMIT_DEFAULTS } from "./decks/upload/slots.ts";
import { WS_PROXY_DEFAULTS } from "./http/ws-proxy.ts";
import { readXmppServerSetting, type XmppServerSetting } from "./xmpp-server-setting.ts";
import path from "node:path";
import { trustedProxies } from "./http/trusted-proxies.ts";

export interface Config {
  dataDir: string;
  httpPort: number;
  httpHost: string;
  /** LAN mode: every interface by default, announced over mDNS (server/lan/). */
  lan: boolean;
  publicUrl: string;
  /** DECKCAST_PUBLIC_URL as given, or null (then join links use the page's own origin). */
  explicitPublicUrl: string | null;
  allowedHosts: string[];
  /** DECKCAST_TRUSTED_PROXIES: reverse proxies whose X-Forwarded-For/-Proto are believed (server/http/trusted-proxies.ts). */
  trustedProxies: string[];
  xmppHost: string;
  /** The private Prosody (default), or an external XMPP server and how to reach it. */
  xmppServer: XmppServerSetting;
  logLevel: string;
  /** Log lines to stdout too (containers). */
  logStdout: boolean;
  maxUploadBytes: number;
  /** Most pages a deck may have (never above LIMITS.maxPages). */
  deckMaxPages: number;
  /** Parallel LibreOffice workers. */
  deckWorkers: number;
  /** LibreOffice time limit per conversion; a hung worker is killed and replaced. */
  convertTimeoutMs: number;
  /** How long an upload slot may be used. */
  slotTtlMs: number;
  uploadIdleMs: number;
  uploadMaxPending: number;
  uploadMaxPendingBytes: number;
  wsMaxConnections: number;
  wsMaxPerAddress: number;
  wsIdleMs: number;
  meetings: MeetingLimits;
  chat: ChatLimits;
  /** Ended sessions are removed this many days after they ended; null keeps them for ever. */
  retentionDays: number | null;
}

const MiB = 1024 * 1024;
/** The longest delay Node's timers keep (2^31 - 1 ms, about 24.8 days). */
const MAX_TIMER_MS = 2 ** 31 - 1;

/** The default of every setting, in one place. */
export const DEFAULTS = Object.freeze({
  dataDir: "data",
  httpPort: 8080,
  httpHost: "127.0.0.1",
  /** Where LAN mode listens when DECKCAST_HTTP_HOST is not set. */
  lanHttpHost: "0.0.0.0",
  lan: false,
  xmppHost: "localhost",
  logLevel: "info",
  maxUploadMiB: 100,
  deckMaxPages: LIMITS.maxPages,
  deckWorkers: 2,
  convertTimeoutMs: 120_000,
  slotTtlMs: 5 * 60_000,
  uploadIdleMs: UPLOAD_LIMIT_DEFAULTS.uploadIdleMs,
  uploadMaxPending: UPLOAD_LIMIT_DEFAULTS.maxPending,
  uploadMaxPendingBytes: UPLOAD_LIMIT_DEFAULTS.maxPendingBytes,
  wsMaxConnections: WS_PROXY_DEFAULTS.maxConnections,
  wsMaxPerAddress: WS_PROXY_DEFAULTS.maxPerAddress,
  wsIdleMs: WS_PROXY_DEFAULTS.idleTimeoutMs,
  meetings: MEETING_LIMITS,
  chat: CHAT_LIMITS,
  retentionDays: null,
});

/** The decks feature's defaults, for callers that build it without a Config (the CLI, tests). */
export const DECK_DEFAULTS = Object.freeze({
  maxUploadBytes: DEFAULTS.maxUploadMiB * MiB,
  maxPages: DEFAULTS.deckMaxPages,
  workers: DEFAULTS.deckWorkers,
  convertTimeoutMs: DEFAULTS.convertTimeoutMs,
  slotTtlMs: DEFAULTS.slotTtlMs,
});

/** Settings that cannot hold together (or exceed what the protocol allows). */
export class ConfigError extends Error {
  readonly code = "config-contradiction";
}

/** Throws a ConfigError naming the first setting that contradicts another or the protocol. */
export function checkConfig(c: Config): Config {
  const whole = (n: number) => Number.isInteger(n) && n > 0;
  try {
    trustedProxies(c.trustedProxies ?? []);
  } catch (err) {
    throw new ConfigError((err as Error).message);
  }
  if (!whole(c.deckMaxPages)) throw new ConfigError(`DECKCAST_MAX_PAGES must be at least 1, got ${c.deckMaxPages}`);
  if (c.deckMaxPages > LIMITS.maxPages) {
    throw new ConfigError(`DECKCAST_MAX_PAGES is ${c.deckMaxPages}, above the protocol's limit of ${LIMITS.maxPages} pages (LIMITS.maxPages): every reader would refuse the pages past it`);
  }
  if (!whole(c.maxUploadBytes)) throw new ConfigError(`DECKCAST_MAX_UPLOAD_MB must be at least 1, got ${c.maxUploadBytes / MiB}`);
  if (!whole(c.uploadIdleMs)) throw new ConfigError(`DECKCAST_UPLOAD_IDLE_S must be at least 1 s, got ${c.uploadIdleMs / 1000}: an idle timeout of 0 would cut off every upload`);
  if (!whole(c.wsIdleMs)) throw new ConfigError(`DECKCAST_WS_IDLE_S must be at least 1 s, got ${c.wsIdleMs / 1000}`);
  if (!whole(c.deckWorkers)) throw new ConfigError(`deck workers must be at least 1, got ${c.deckWorkers}`);
  if (!whole(c.convertTimeoutMs)) throw new ConfigError(`the conversion time limit must be at least 1 ms, got ${c.convertTimeoutMs}`);
  if (!whole(c.slotTtlMs)) throw new ConfigError(`the upload slot lifetime must be at least 1 ms, got ${c.slotTtlMs}`);
  // A timer longer than this fires at once in Node (TimeoutOverflowWarning): every tunnel or
  // upload would be cut off straight away.
  for (const [name, ms] of [["DECKCAST_UPLOAD_IDLE_S", c.uploadIdleMs], ["DECKCAST_WS_IDLE_S", c.wsIdleMs]] as const) {
    if (ms > MAX_TIMER_MS) throw new ConfigError(`${name} is ${ms / 1000} s, above the longest timer Node keeps (${Math.floor(MAX_TIMER_MS / 1000)} s): it would fire at once`);
  }
  for (const [name, n] of [["DECKCAST_UPLOAD_MAX_PENDING", c.uploadMaxPending], ["DECKCAST_UPLOAD_MAX_PENDING_MB", c.uploadMaxPendingBytes], ["DECKCAST_WS_MAX_CONNECTIONS", c.wsMaxConnections], ["DECKCAST_WS_MAX_PER_ADDRESS", c.wsMaxPerAddress], ["DECKCAST_MEETINGS_PER_ACCOUNT", c.meetings.meetingsPerAccount], ["DECKCAST_MEETING_IDLE_HOURS", c.meetings.meetingIdleMs]] as const) {
    if (!(n > 0)) throw new ConfigError(`${name} must be at least 1, got ${n}`);
  }
  if (!Number.isInteger(c.meetings.meetingsPerAccount)) throw new ConfigError(`DECKCAST_MEETINGS_PER_ACCOUNT must be a whole number, got ${c.meetings.meetingsPerAccount}`);
  if (!(c.chat.burst >= 1 && Number.isInteger(c.chat.burst))) throw new ConfigError(`DECKCAST_CHAT_BURST must be a whole number of at least 1, got ${c.chat.burst}: the room would refuse every message`);
  if (!(c.chat.perSecond > 0)) throw new ConfigError(`DECKCAST_CHAT_PER_SECOND must be above 0, got ${c.chat.perSecond}`);
  if (!Number.isInteger(c.chat.maxBodyChars) || c.chat.maxBodyChars < CLIENT_CHAT_CHARS) {
    throw new ConfigError(`DECKCAST_CHAT_MAX_CHARS is ${c.chat.maxBodyChars}, below the ${CLIENT_CHAT_CHARS} characters the web client's chat box sends (CLIENT_CHAT_CHARS): the room would refuse ordinary messages`);
  }
  return c;
}

export function readConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const httpPort = int(env.DECKCAST_HTTP_PORT, DEFAULTS.httpPort, "DECKCAST_HTTP_PORT");
  const lan = flag(env.DECKCAST_LAN, DEFAULTS.lan, "DECKCAST_LAN");
  const explicitPublicUrl = env.DECKCAST_PUBLIC_URL ? env.DECKCAST_PUBLIC_URL.replace(/\/$/, "") : null;
  if (explicitPublicUrl && !/^https?:\/\/[^/]+/.test(explicitPublicUrl)) throw new Error(`DECKCAST_PUBLIC_URL must be an http(s) URL, got "${explicitPublicUrl}"`);
  const xmppServer = readXmppServerSetting(env);
  return checkConfig({
    dataDir: path.resolve(env.DECKCAST_DATA_DIR ?? DEFAULTS.dataDir),
    httpPort,
    httpHost: env.DECKCAST_HTTP_HOST ?? (lan ? DEFAULTS.lanHttpHost : DEFAULTS.httpHost),
    lan,
    publicUrl: explicitPublicUrl ?? `http://localhost:${httpPort}`,
    explicitPublicUrl,
    allowedHosts: (env.DECKCAST_ALLOWED_HOSTS ?? "").split(",").map((h) => h.trim()).filter(Boolean),
    trustedProxies: (env.DECKCAST_TRUSTED_PROXIES ?? "").split(",").map((h) => h.trim()).filter(Boolean),
    xmppHost: env.DECKCAST_XMPP_HOST ?? DEFAULTS.xmppHost,
    xmppServer,
    logLevel: env.DECKCAST_LOG_LEVEL ?? DEFAULTS.logLevel,
    logStdout: flag(env.DECKCAST_LOG_STDOUT, xmppServer.kind === "external", "DECKCAST_LOG_STDOUT"),
    maxUploadBytes: positive(env.DECKCAST_MAX_UPLOAD_MB, DEFAULTS.maxUploadMiB, "DECKCAST_MAX_UPLOAD_MB") * MiB,
    deckMaxPages: positive(env.DECKCAST_MAX_PAGES, DEFAULTS.deckMaxPages, "DECKCAST_MAX_PAGES"),
    deckWorkers: DEFAULTS.deckWorkers,
    convertTimeoutMs: DEFAULTS.convertTimeoutMs,
    slotTtlMs: DEFAULTS.slotTtlMs,
    uploadIdleMs: positive(env.DECKCAST_UPLOAD_IDLE_S, DEFAULTS.uploadIdleMs / 1000, "DECKCAST_UPLOAD_IDLE_S") * 1000,
    uploadMaxPending: positive(env.DECKCAST_UPLOAD_MAX_PENDING, DEFAULTS.uploadMaxPending, "DECKCAST_UPLOAD_MAX_PENDING"),
    uploadMaxPendingBytes: positive(env.DECKCAST_UPLOAD_MAX_PENDING_MB, DEFAULTS.uploadMaxPendingBytes / MiB, "DECKCAST_UPLOAD_MAX_PENDING_MB") * MiB,
    wsMaxConnections: positive(env.DECKCAST_WS_MAX_CONNECTIONS, DEFAULTS.wsMaxConnections, "DECKCAST_WS_MAX_CONNECTIONS"),
    wsMaxPerAddress: positive(env.DECKCAST_WS_MAX_PER_ADDRESS, DEFAULTS.wsMaxPerAddress, "DECKCAST_WS_MAX_PER_ADDRESS"),
    wsIdleMs: positive(env.DECKCAST_WS_IDLE_S, DEFAULTS.wsIdleMs / 1000, "DECKCAST_WS_IDLE_S") * 1000,
    meetings: {
      meetingsPerAccount: positive(env.DECKCAST_MEETINGS_PER_ACCOUNT, DEFAULTS.meetings.meetingsPerAccount, "DECKCAST_MEETINGS_PER_ACCOUNT"),
      meetingIdleMs: positive(env.DECKCAST_MEETING_IDLE_HOURS, DEFAULTS.meetings.meetingIdleMs / 3_600_000, "DECKCAST_MEETING_IDLE_HOURS") * 3_600_000,
    },
    chat: {
      burst: positive(env.DECKCAST_CHAT_BURST, DEFAULTS.chat.burst, "DECKCAST_CHAT_BURST"),
      perSecond: positive(env.DECKCAST_CHAT_PER_SECOND, DEFAULTS.chat.perSecond, "DECKCAST_CHAT_PER_SECOND"),
      maxBodyChars: positive(env.DECKCAST_CHAT_MAX_CHARS, DEFAULTS.chat.maxBodyChars, "DECKCAST_CHAT_MAX_CHARS"),
    },
    retentionDays: env.DECKCAST_RETENTION_DAYS ? positive(env.DECKCAST_RETENTION_DAYS, 0, "DECKCAST_RETENTION_DAYS") : DEFAULTS.retentionDays,
  });
}

/**
 * The settings for a private deckcast (tests, benchmarks): DEFAULTS on `dataDir`, HTTP on a
 * free loopback port, with `overrides` on top; checked like the environment's.
 */
export function privateConfig(dataDir: string, overrides: Partial<Omit<Config, "xmppServer">> = {}): PrivateConfig {
  return checkConfig({
    ...readConfig({ DECKCAST_DATA_DIR: dataDir, DECKCAST_HTTP_PORT: "0" }),
    ...overrides,
    xmppServer: { kind: "private" },
  }) as PrivateConfig;
}

/** Settings whose XMPP server is the private Prosody (createDeckcast then hands back its launcher handle). */
export type PrivateConfig = Config & { xmppServer: { kind: "private" } };

function int(raw: string | undefined, fallback: number, name: string): number {
  if (raw === undefined || raw === "") return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0) throw new Error(`${name} must be a whole number, got "${raw}"`);
  return n;
}

function flag(raw: string | undefined, fallback: boolean, name: string): boolean {
  if (raw === undefined || raw === "") return fallback;
  if (/^(1|true|yes|on)$/i.test(raw)) return true;
  if (/^(0|false|no|off)$/i.test(raw)) return false;
  throw new Error(`${name} must be 1 or 0, got "${raw}"`);
}

function positive(raw: string | undefined, fallback: number, name: string): number {
  const n = int(raw, fallback, name);
  if (n === 0) throw new Error(`${name} must be at least 1, got "${raw}"`);
  return n;
}
