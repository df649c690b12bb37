/**
 * Renders the Lua config of deckcast's private Prosody (0.12) from typed options.
 *
 * The server only listens on 127.0.0.1 and offers no TLS; every setting that differs from
 * Prosody's defaults carries a one-line comment saying why (prosody/README.md has the
 * longer story, with the measurements behind the limits).
 */
import type { ChatLimits } from "../protocol/chat-limits.ts";
import { ERRORS } from "../protocol/errors.ts";
import { LOGIN_FAILURES, LOGIN_TOKEN } from "../protocol/login-token.ts";
import { BUNDLE_SIZE, LIMITS, NS } from "../protocol/namespaces.ts";
import type { ProsodyPaths } from "./paths.ts";

/** Prosody log levels, lowest first. */
export type ProsodyLogLevel = "debug" | "info" | "warn" | "error";

/** The listening ports of one Prosody instance (all on 127.0.0.1). */
export interface ProsodyPorts {
  c2s: number;
  http: number;
  component: number;
}

/** The XMPP domains one deckcast Prosody serves, all derived from the account host. */
export interface ProsodyDomains {
  /** Registered accounts (presenters), e.g. `localhost`. */
  accounts: string;
  /** Anonymous logins (followers), e.g. `guest.localhost`. */
  guests: string;
  /** MUC service holding the meeting rooms, e.g. `rooms.localhost`. */
  muc: string;
  /** The deckcast XEP-0114 external component, e.g. `deckcast.localhost`. */
  component: string;
}

/** Everything the config template needs, already resolved (no defaults applied here). */
export interface ProsodyConfigOptions {
  paths: ProsodyPaths;
  host: string;
  ports: ProsodyPorts;
  componentSecret: string;
  logLevel: ProsodyLogLevel;
  /** Emit `run_as_root = true` (Prosody refuses to start as root without it). */
  runAsRoot: boolean;
  /** Chat limits enforced by mod_deckcast_guard on the MUC host. */
  chat: ChatLimits;
  /** Failed logins one address may make (mod_auth_deckcast_token); default LOGIN_FAILURES. */
  loginFailures?: { burst: number; windowSeconds: number };
  /** Absolute folder holding deckcast's own Prosody modules (`prosody/modules`). */
  modulesDir: string;
}

// The chat limits are the server's setting (protocol/chat-limits.ts); Prosody enforces them.
export { CHAT_LIMITS, type ChatLimits } from "../protocol/chat-limits.ts";

/** Throws unless `c` holds usable chat limits. */
export function checkChatLimits(c: ChatLimits): void {
  if (!Number.isInteger(c.burst) || c.burst < 1 || c.burst > 1_000_000) throw new Error(`invalid chat burst ${c.burst}: expected an integer 1..1000000`);
  if (!Number.isFinite(c.perSecond) || c.perSecond <= 0 || c.perSecond > 1_000_000) throw new Error(`invalid chat rate ${c.perSecond}/s: expected a number > 0`);
  if (!Number.isInteger(c.maxBodyChars) || c.maxBodyChars < 1 || c.maxBodyChars > 10_000_000) throw new Error(`invalid chat body limit ${c.maxBodyChars}: expected an integer ≥ 1`);
}

/** The catalogue entries mod_deckcast_guard answers with. */
const GUARD_ERRORS = ["bad-nick", "too-large", "rate-limited"] as const;

/**
 * Limits chosen for presenter bundles of ~8 KB sent 10 times a second (80 KB/s steady).
 * Exported so tests and docs can refer to the same numbers.
 */
export const PROSODY_LIMITS = {
  /** Per-connection read rate for clients, bytes/s (mod_limits' own default is 10 KB/s). */
  c2sBytesPerSecond: 1_000_000,
  /** Largest stanza a client (TCP or WebSocket) may send: derived from the bundle limit (BUNDLE_SIZE). */
  c2sStanzaSize: BUNDLE_SIZE.clientStanzaBytes,
  /** Largest stanza the component may send; Prosody's default is 512 KiB. */
  componentStanzaSize: 1024 * 1024,
  /** Cap on MUC history a room replays to a joiner; Prosody's default cap is unlimited. */
  maxHistoryMessages: 20,
} as const;

const HOST_RE = /^(?=.{1,200}$)[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*$/;

/** Derives the four deckcast domains from the account host; throws on a host that is not a plain DNS name. */
export function prosodyDomains(host: string): ProsodyDomains {
  if (!HOST_RE.test(host)) {
    throw new Error(`invalid XMPP host ${JSON.stringify(host)}: expected a lower-case DNS name like "localhost"`);
  }
  return { accounts: host, guests: `guest.${host}`, muc: `rooms.${host}`, component: `deckcast.${host}` };
}

/** Quotes a JS string as a Lua string literal (control characters as decimal escapes). */
export function luaString(s: string): string {
  const body = s.replace(/[\\"\u0000-\u001f\u007f]/g, (c) => {
    if (c === "\\") return "\\\\";
    if (c === '"') return '\\"';
    return `\\${c.charCodeAt(0).toString().padStart(3, "0")}`;
  });
  return `"${body}"`;
}

/** A finite number as a Lua literal. */
function luaNumber(n: number): string {
  if (!Number.isFinite(n)) throw new Error(`not a finite number: ${n}`);
  return String(n);
}

function port(n: number): string {
  if (!Number.isInteger(n) || n < 1 || n > 65535) throw new Error(`invalid port ${n}`);
  return String(n);
}

/** Renders the complete `prosody.cfg.lua` text. Pure: writes nothing. */
export function renderProsodyConfig(o: ProsodyConfigOptions): string {
  const d = prosodyDomains(o.host);
  checkChatLimits(o.chat);
  const fails = o.loginFailures ?? LOGIN_FAILURES;
  if (!Number.isInteger(fails.burst) || fails.burst < 1 || !Number.isInteger(fails.windowSeconds) || fails.windowSeconds < 1) throw new Error(`invalid login failure limit ${fails.burst}/${fails.windowSeconds} s`);
  const L = PROSODY_LIMITS;
  const s = luaString;
  const lines = [
    "-- Generated by deckcast (prosody/config.ts). Do not edit: the launcher rewrites it on every start.",
    "-- A private Prosody for deckcast: loopback only, no TLS, no federation.",
    "",
    "---------- Process ----------",
    "-- No `daemonize`: 0.12 deprecates it; the launcher passes -F (foreground) and supervises prosody.",
    ...(o.runAsRoot ? ["run_as_root = true -- we run as root (containers, dev VMs); prosody refuses root without this"] : []),
    `pidfile = ${s(o.paths.pid)} -- inside the deckcast data dir instead of /run/prosody (not writable in tests)`,
    `data_path = ${s(o.paths.data)} -- accounts and rooms live in the deckcast data dir, not /var/lib/prosody`,
    `certificates = ${s(o.paths.certs)} -- an empty folder: no certificate, so no TLS is ever offered`,
    `plugin_paths = { ${s(o.modulesDir)} } -- Prosody's bundled modules plus deckcast's own (mod_deckcast_guard, mod_auth_deckcast_token); nothing from /usr/local`,
    "log = {",
    `  { levels = { min = ${s(o.logLevel)} }, to = "file", filename = ${s(o.paths.log)} }; -- full log in the data dir`,
    '  { levels = { min = "error" }, to = "console" }; -- errors also reach the launcher, which forwards them to pino',
    "}",
    "-- Lua GC tuned as measured in FACTS.md: the default (cycle after 5 % heap growth) let the",
    "-- sweep dominate the CPU at 500 occupants; this halves Prosody's CPU during MUC fan-out.",
    'gc = { mode = "incremental", threshold = 400, speed = 500 }',
    "",
    "---------- Network: 127.0.0.1 only ----------",
    'interfaces = { "127.0.0.1" } -- never reachable from the network; deckcast fronts everything',
    "-- Nagle off, and writes sent at once instead of on the next loop turn: with Nagle, the ack of a",
    "-- presenter's bundle, written just after the room's copy of it, waited for the client's delayed",
    "-- TCP ACK (up to 40 ms): ack p50 45 ms before, 4-5 ms after, on loopback (docs/architecture.md).",
    "network_settings = { nagle = false; opportunistic_writes = true }",
    'local_interfaces = { "127.0.0.1" } -- private services (component) bind IPv4 loopback only, not ::1',
    `c2s_ports = { ${port(o.ports.c2s)} } -- a free port picked by the launcher; fixed ports collide in parallel tests`,
    "s2s_ports = { } -- no federation: rooms and accounts are local to this deckcast",
    'http_interfaces = { "127.0.0.1" } -- WebSocket endpoint on loopback only',
    "-- deckcast's WebSocket proxy connects from 127.0.0.1 and sends the browser's address as X-Forwarded-For:",
    "-- a session's IP is then the browser's, so mod_auth_deckcast_token can refuse passwords in clear from other hosts.",
    'trusted_proxies = { "127.0.0.1" }',
    `http_ports = { ${port(o.ports.http)} } -- a free port picked by the launcher`,
    "https_ports = { } -- no TLS; a reverse proxy terminates https in front of deckcast if needed",
    'component_interfaces = { "127.0.0.1" } -- the XEP-0114 port takes a shared secret: loopback only',
    `component_ports = { ${port(o.ports.component)} } -- a free port picked by the launcher`,
    "",
    "---------- Authentication without TLS (loopback only) ----------",
    "c2s_require_encryption = false -- no TLS on loopback, so clients must be allowed to log in without it",
    "-- PLAIN over an unencrypted socket is safe only because nothing leaves 127.0.0.1; it spares",
    "-- each login 1.5-2 s of client CPU for SCRAM's PBKDF2 (FACTS.md). Production puts TLS in front.",
    "allow_unencrypted_plain_auth = true",
    "consider_websocket_secure = true -- without TLS, SASL is offered over WebSocket only with this (loopback/behind a proxy)",
    "-- cross_domain_websocket is deprecated and ignored in 0.12: WebSocket accepts any Origin and",
    "-- mod_http sends CORS headers by default, so the web client on deckcast's own port can connect.",
    "",
    "---------- Limits ----------",
    "-- mod_limits throttles every client to 10 KB/s unless told otherwise (Debian enables it); a",
    "-- presenter sends ~8 KB bundles 10 times a second (80 KB/s) and fell 9 s behind at 10 KB/s.",
    `-- ${L.c2sBytesPerSecond / 1e6} MB/s per connection is ~12x that budget (a stream-management resend of`,
    "-- hundreds of queued bundles catches up in seconds) while still capping a runaway client.",
    "-- Components are never rate-limited by mod_limits.",
    `limits = { c2s = { rate = "${L.c2sBytesPerSecond / 1000}kb/s", burst = "2s" } }`,
    `-- A bundle is ~1-8 KB. The component refuses bundles over ${BUNDLE_SIZE.component} characters before they`,
    `-- are fanned out; a client stanza may be ${BUNDLE_SIZE.clientStanzaBytes} bytes (a bigger one closes the stream).`,
    `c2s_stanza_size_limit = ${L.c2sStanzaSize}`,
    `-- The trusted component sends the largest stanzas (late-joiner state with all ink) to one`,
    "-- client at a time; 1 MiB keeps headroom over the 512 KiB default. Larger state must be chunked.",
    `component_stanza_size_limit = ${L.componentStanzaSize}`,
    "",
    "---------- Modules ----------",
    "modules_enabled = {",
    '  "disco"; -- service discovery (clients and the component find the MUC and features)',
    '  "saslauth"; -- logging in',
    '  "roster"; -- stock XMPP clients ask for a roster on login',
    '  "ping"; -- XEP-0199 keepalives from clients',
    '  "carbons"; -- a presenter logged in twice (laptop + phone) sees both sides',
    '  "limits"; -- per-connection read rate, lifted above (see Limits)',
    '  "websocket"; -- browsers connect over ws://127.0.0.1:<http>/xmpp-websocket',
    "}",
    "-- No mod_smacks (XEP-0198): @xmpp/client 0.14 does not count IQ replies it consumes, acks",
    "-- fewer stanzas than it got, and Prosody closes the stream (\"Client acknowledged less stanzas",
    "-- than already acknowledged\"). deckcast clients recover from drops themselves: rejoin the room",
    "-- and fetch missed bundles by sequence number from the component (docs/protocol.md).",
    'modules_disabled = { "s2s"; "tls"; "smacks" } -- no federation, no TLS on loopback, no stream management (above)',
    "",
    "---------- Hosts ----------",
    `VirtualHost ${s(d.accounts)} -- presenters: registered accounts (deckcast user add)`,
    '  -- internal_hashed (passwords, SCRAM, prosodyctl register) wrapped by deckcast\'s module, whose SASL PLAIN',
    "  -- also takes a login token: a reload keeps a presenter logged in (prosody/modules/mod_auth_deckcast_token.lua)",
    '  authentication = "deckcast_token"',
    `  deckcast_token_ttl = ${LOGIN_TOKEN.maxSeconds} -- seconds a login token is valid at most (LOGIN_TOKEN.maxSeconds)`,
    `  deckcast_token_bits = ${LOGIN_TOKEN.bits} -- random bits in a token's secret; only its SHA-256 is stored`,
    `  deckcast_token_max = ${LOGIN_TOKEN.maxPerAccount} -- live tokens per account; a new one pushes out the oldest`,
    `  deckcast_login_fail_burst = ${fails.burst} -- failed logins one address may make at once (LOGIN_FAILURES)`,
    `  deckcast_login_fail_window = ${fails.windowSeconds} -- seconds in which that many are allowed again`,
    `  deckcast_ns = ${s(NS.deckcast)}`,
    `  deckcast_errors_ns = ${s(NS.errors)}`,
    "",
    `VirtualHost ${s(d.guests)} -- followers join without an account`,
    '  authentication = "anonymous"',
    "",
    `Component ${s(d.muc)} "muc" -- the meeting rooms`,
    `  admins = { ${s(d.component)} } -- the deckcast component owns every room (creates and configures them)`,
    "  restrict_room_creation = true -- only admins, i.e. the component, create rooms",
    "  muc_room_locking = false -- a room the component creates is usable at once, no locked-room wait",
    "  muc_room_default_public = false -- meetings are not listed in disco#items; you need the link",
    `  max_history_messages = ${L.maxHistoryMessages} -- joiners get state from the component; history is a text fallback only`,
    '  modules_enabled = { "deckcast_guard" } -- nick length, chat size and rate at the door (prosody/modules/mod_deckcast_guard.lua)',
    `  deckcast_max_nick = ${LIMITS.maxNick} -- code points; LIMITS.maxNick: the protocol's reader refuses longer nicks`,
    `  deckcast_chat_max_body = ${o.chat.maxBodyChars} -- code points in one message's bodies; Prosody 0.12 has no cap`,
    `  deckcast_chat_burst = ${o.chat.burst} -- groupchat messages one occupant may send at once`,
    `  deckcast_chat_rate = ${luaNumber(o.chat.perSecond)} -- messages per second, sustained`,
    `  deckcast_trusted = { ${s(d.component)} } -- the component relays every bundle as groupchat: never limited`,
    `  deckcast_errors_ns = ${s(NS.errors)} -- application conditions (protocol/errors.ts)`,
    "  deckcast_errors = {",
    ...GUARD_ERRORS.map((code) => `    [${s(code)}] = { type = ${s(ERRORS[code].type)}, condition = ${s(ERRORS[code].condition)} };`),
    "  }",
    "",
    `Component ${s(d.component)} -- the deckcast external component (XEP-0114)`,
    `  component_secret = ${s(o.componentSecret)}`,
    "",
  ];
  return lines.join("\n");
}
