/**
 * `npm start`: a private Prosody, the deckcast component and the HTTP server, on this
 * machine, with data kept in DECKCAST_DATA_DIR (./data). Prints what to open and how to log in.
 * With DECKCAST_XMPP_SERVER=external (the deckcast container) there is no private Prosody:
 * the component joins that server, whose accounts are its own (no first account is made).
 *
 * Once it is running nothing stops it but a signal: an exception no handler caught, or a
 * promise rejection nobody handled, is logged at error level and the server goes on (the
 * last resort; features handle their own errors). Logging itself never stops it (log.ts).
 * SIGINT/SIGTERM stop every part in order, bounded by SHUTDOWN_LIMIT_MS in all.
 */
import { randomBytes } from "node:crypto";
import { readFile, writeFile, mkdir } from "node:fs/promises";
import path from "node:path";
import QRCode from "qrcode";
import { readConfig, type Config } from "./config.ts";
import { createDeckcast, isExternalXmpp, STOP_LIMIT_MS, StopTimeout, type Deckcast } from "./deckcast.ts";
import { externalConsoleLine, prosodyConsoleLine } from "./http/health.ts";
import type { ExternalXmppServer } from "./xmpp-external.ts";
import { isLoopbackHost } from "./http/addresses.ts";
import { installLastResort } from "./last-resort.ts";
import { createServerLogging } from "./log.ts";
import type { XmppHealth, XmppServer } from "./xmpp-server.ts";

/** Longest wait for the deck converters to warm up before the URL is printed. */
const WARM_UP_WAIT_MS = 20_000;
/** A shutdown that takes longer than this ends with exit code 1 instead of waiting on. */
const SHUTDOWN_LIMIT_MS = STOP_LIMIT_MS;

/** The settings, or a one-line refusal (a bad or contradictory setting) and exit 1. */
function settings(): Config {
  try {
    // `npm start -- --lan` is DECKCAST_LAN=1.
    return readConfig(process.argv.slice(2).includes("--lan") ? { ...process.env, DECKCAST_LAN: "1" } : process.env);
  } catch (err) {
    process.stderr.write(`deckcast could not start: ${(err as Error).message}\n`);
    process.exit(1);
  }
}
const config = settings();
await mkdir(config.dataDir, { recursive: true });
const logPath = path.join(config.dataDir, "deckcast.log");
const logging = createServerLogging({ path: logPath, level: config.logLevel, base: { app: "deckcast" }, ...(config.logStdout ? { echo: process.stdout } : {}) });
const log = logging.log;

/** Console lines never throw: a closed terminal must not stop the server. */
for (const stream of [process.stdout, process.stderr]) stream.on("error", () => undefined);
const say = (text: string, to: NodeJS.WriteStream = process.stdout) => {
  try {
    to.write(text);
  } catch {
    // nobody is reading
  }
};

let started = false;
installLastResort({ log, started: () => started, fatal });

/** A failed start: say why, write the log (bounded) and exit 1. */
function fatal(err: Error): void {
  say(`deckcast could not start: ${err.message}\n`, process.stderr);
  void logging.shutdown(2000).finally(() => process.exit(1));
}

/** A path relative to the working directory when it is inside it, else absolute. */
function shortPath(p: string): string {
  const rel = path.relative(process.cwd(), p);
  return rel.startsWith("..") ? p : rel;
}

/** On the very first start, creates an account so a new user can present at once. */
async function firstAccount(register: (u: string, p: string) => Promise<void>): Promise<{ user: string; password: string; fresh: boolean }> {
  const file = path.join(config.dataDir, "first-account.json");
  try {
    return { ...(JSON.parse(await readFile(file, "utf8")) as { user: string; password: string }), fresh: false };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
  }
  const account = { user: "presenter", password: randomBytes(6).toString("base64url") };
  await register(account.user, account.password);
  await writeFile(file, JSON.stringify(account) + "\n", { mode: 0o600 });
  return { ...account, fresh: true };
}

/** Prosody's console lines: one for each time it goes down, comes back, or fails for good. */
function watchProsody(xmpp: XmppServer): void {
  let last: XmppHealth | null = xmpp.health();
  xmpp.onHealth((h) => {
    const line = prosodyConsoleLine(last, h, shortPath(xmpp.logPath));
    last = h;
    if (line && !stopping) say(line + "\n", process.stderr);
  });
}

/** An external server's console lines: when its client port stops answering, and when it answers again. */
function watchExternal(xmpp: ExternalXmppServer): void {
  let last = xmpp.health().state;
  const server = `${xmpp.where.host}:${xmpp.where.clientPort}`;
  xmpp.onHealth((h) => {
    const line = externalConsoleLine(last, h.state, server);
    last = h.state;
    if (line && !stopping) say(line + "\n", process.stderr);
  });
}

async function start() {
  // The parts, in one order: server/deckcast.ts. A signal mid-start stops what exists.
  deckcast = createDeckcast(config, { log });
  const { xmpp, port, publicUrl, reachable, operator, warmedUp } = await deckcast.start();
  const external = isExternalXmpp(xmpp) ? xmpp : null;
  if (external) watchExternal(external);
  else watchProsody(xmpp);
  // An external server's accounts are its own (the prosody image makes the first presenter).
  const account = external ? null : await firstAccount((u, p) => xmpp.register(u, p));
  // The first upload should be as quick as the hundredth: give LibreOffice and pdf.js a few
  // seconds to warm up (they start with the server) before saying it is ready.
  await Promise.race([warmedUp, new Promise((r) => setTimeout(r, WARM_UP_WAIT_MS).unref())]);

  say(`\ndeckcast is running.\n\n`);
  say(`  Open        ${publicUrl}\n`);
  if (account) {
    say(`  Log in as   ${account.user}@${xmpp.domains.accounts}   password: ${account.password}${account.fresh ? `   (new account; saved in ${shortPath(path.join(config.dataDir, "first-account.json"))})` : ""}\n`);
  }
  say(`  XMPP        ${xmpp.domains.accounts} on ${xmpp.clientService.replace(/^xmpp:\/\//, "")} (TCP), ${xmpp.websocketUrl} (WebSocket)${external ? ", an external server (DECKCAST_XMPP_SERVER=external)" : ""}\n`);
  if (external) say(`  Accounts    kept by the XMPP server, not deckcast; add one there, e.g.\n              podman exec -it <prosody container> prosodyctl register NAME ${xmpp.domains.accounts} PASSWORD\n`);
  else say(`  More users  npx deckcast user add NAME\n`);
  say(`  Operators   token in ${shortPath(operator.path)}${operator.fresh ? " (new)" : ""}: GET /api/meetings with "Authorization: Bearer <token>"\n`);
  say(`  Logs        ${logPath}\n`);
  say(config.lan ? await lanBanner(reachable()) : otherDevices(reachable()));
  say(`\nPress Ctrl+C to stop.\n`);
  log.info({ port, reachable: reachable() }, "deckcast is running");
}

/** The banner's lines on reaching this server from phones and other computers. */
function otherDevices(urls: string[]): string {
  const publicHost = config.explicitPublicUrl ? new URL(config.explicitPublicUrl).hostname : null;
  if (publicHost && !isLoopbackHost(publicHost)) return `\n  Other devices join at ${config.explicitPublicUrl} (DECKCAST_PUBLIC_URL)\n`;
  if (urls.length === 0) {
    return (
      `\n  Other devices cannot reach this server: it listens on ${config.httpHost} only.\n` +
      `  To let phones on your network join, restart with DECKCAST_HTTP_HOST=0.0.0.0 or npm start -- --lan.\n`
    );
  }
  return (
    `\n  Other devices on your network join at ${urls.join(" or ")}\n` +
    `  (guests need no password; to present, log in on this computer: passwords are not\n` +
    `  accepted from other devices over plain http, see docs/security.md)\n`
  );
}

/** LAN mode's lines: the LAN URL with its QR code (for phones), and the mDNS name. */
async function lanBanner(urls: string[]): Promise<string> {
  const url = urls[0];
  if (!url) return `\n  LAN mode: no LAN address found to announce on (listening on ${config.httpHost}).\n`;
  let qr = "";
  try {
    qr = await QRCode.toString(url, { type: "terminal", small: true });
  } catch (err) {
    log.warn({ err: (err as Error).message }, "terminal QR code");
  }
  return (
    `\n  LAN mode    On this network: ${url}   (announced over mDNS as _deckcast._tcp;\n` +
    `              find it from another computer with: npx deckcast discover)\n` +
    `              (guests need no password; to present, log in on this computer)\n\n` +
    qr.replace(/^/gm, "    ")
  );
}

let deckcast: Deckcast | null = null;
let stopping = false;
async function shutdown(signal: string) {
  if (stopping) return;
  stopping = true;
  log.info({ signal }, "shutting down");
  try {
    await deckcast?.stop(SHUTDOWN_LIMIT_MS);
  } catch (err) {
    if (!(err instanceof StopTimeout)) throw err;
    log.error({ ms: SHUTDOWN_LIMIT_MS }, "shutdown took too long; exiting anyway");
    logging.file.flushSync();
    process.exit(1);
  }
  await logging.shutdown(2000);
  process.exit(0);
}

process.on("SIGINT", () => void shutdown("SIGINT"));
process.on("SIGTERM", () => void shutdown("SIGTERM"));
try {
  await start();
  started = true;
} catch (err) {
  if (!stopping) fatal(err as Error);
}
