/**
 * `npm start`: a private Prosody, the deckcast component and the HTTP server, on this
 * machine, with data kept in DECKCAST_DATA_DIR (./data). Prints what to open and how to log in.
 *
 * Once it is running nothing stops it but a signal: an exception no handler caught, or a
 * promise rejection nobody handled, is logged at error level and the server goes on (the
 * last resort; features handle their own errors). Logging itself never stops it (log.ts).
 * SIGINT/SIGTERM stop every part in order, bounded by SHUTDOWN_LIMIT_MS in all.
 */
import { randomBytes } from "node:crypto";
import { readFile, writeFile, mkdir } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { startProsody, type RunningProsody } from "../prosody/launcher.ts";
import { readConfig } from "./config.ts";
import { startComponent } from "./component/setup.ts";
import { createHttpServer } from "./http/app.ts";
import { componentPart, decksPart, prosodyConsoleLine, prosodyPart, type ProsodyHealth } from "./http/health.ts";
import { isLoopbackHost, reachableUrls } from "./http/addresses.ts";
import { hostPolicy } from "./http/hosts.ts";
import { mountMeetingsApi } from "./http/meetings-api.ts";
import { ensureOperatorToken } from "./http/operator.ts";
import { mountWebClient } from "./http/web-client.ts";
import { setupWsProxy } from "./http/ws-proxy.ts";
import { setupDecks, type Decks } from "./decks/setup.ts";
import { installLastResort } from "./last-resort.ts";
import { createServerLogging } from "./log.ts";

/** Longest wait for the deck converters to warm up before the URL is printed. */
const WARM_UP_WAIT_MS = 20_000;
/** A shutdown that takes longer than this ends with exit code 1 instead of waiting on. */
const SHUTDOWN_LIMIT_MS = 30_000;

const config = readConfig();
await mkdir(config.dataDir, { recursive: true });
const logPath = path.join(config.dataDir, "deckcast.log");
const logging = createServerLogging({ path: logPath, level: config.logLevel, base: { app: "deckcast" } });
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
function watchProsody(prosody: RunningProsody): void {
  let last: ProsodyHealth | null = prosody.health();
  prosody.onHealth((h) => {
    const line = prosodyConsoleLine(last, h, shortPath(path.join(config.dataDir, "prosody", "prosody.log")));
    last = h;
    if (line && !stopping) say(line + "\n", process.stderr);
  });
}

async function start() {
  const prosody = await startProsody({ dataDir: config.dataDir, host: config.xmppHost, chat: config.chat, log: log.child({ part: "prosody" }) });
  stops.prosody = () => prosody.stop();
  const http = createHttpServer({
    log: log.child({ part: "http" }),
    // This machine's own name too: a LAN room may open http://<hostname>.local:8080.
    hosts: hostPolicy({ publicUrl: config.publicUrl, boundHost: config.httpHost, extra: [...config.allowedHosts, os.hostname(), `${os.hostname()}.local`] }),
    publicUrl: config.explicitPublicUrl,
  });
  let decks: Decks | null = null;
  const component = await startComponent({
    service: `xmpp://127.0.0.1:${prosody.ports.component}`,
    secret: prosody.componentSecret,
    domains: prosody.domains,
    dataDir: config.dataDir,
    log,
    // deck-open must name a deck this server has (decks are set up on the component's link below).
    decks: { has: (id) => decks?.service.has(id) ?? false },
    maxUploadBytes: config.maxUploadBytes,
    limits: config.meetings,
  });
  stops.component = () => component.stop();
  decks = setupDecks(component.link, {
    dataDir: config.dataDir,
    publicUrl: config.publicUrl,
    accountDomain: prosody.domains.accounts,
    maxUploadBytes: config.maxUploadBytes,
    uploadLimits: { maxPending: config.uploadMaxPending, maxPendingBytes: config.uploadMaxPendingBytes, uploadIdleMs: config.uploadIdleMs },
    secret: randomBytes(32).toString("hex"), // slots live minutes: a fresh key per start is enough
    log,
  });
  const d = decks;
  stops.decks = () => d.stop();
  http.mount("/upload", decks.uploadRouter);
  http.mount("/decks", decks.deckRouter);
  // The web client answers "/" and /m/<code>; /api/* is left to the routes below. The
  // addresses other devices reach are read at each request (the port once it is bound).
  let boundPort = 0;
  const reachable = () => (boundPort ? reachableUrls(config.httpHost, boundPort, os.networkInterfaces()) : []);
  mountWebClient(http, { domains: prosody.domains, publicUrl: config.explicitPublicUrl, reachable });
  const wsProxy = setupWsProxy(http, {
    prosodyHttpPort: prosody.ports.http,
    log: log.child({ part: "http" }),
    maxConnections: config.wsMaxConnections,
    maxPerAddress: config.wsMaxPerAddress,
    idleTimeoutMs: config.wsIdleMs,
  });
  const operator = await ensureOperatorToken(config.dataDir);
  mountMeetingsApi(http, { meetings: component.meetings, operatorToken: operator.token });

  let warmedUp = false;
  const warm = decks.service.started().then(() => void (warmedUp = true));
  http.health("prosody", () => prosodyPart(prosody.health()));
  http.health("component", () => componentPart(component.link.online));
  const service = decks.service;
  http.health("decks", () => decksPart({ warmedUp, report: () => service.health() }));
  watchProsody(prosody);

  const port = await http.listen(config.httpPort, config.httpHost);
  boundPort = port;
  stops.http = async () => {
    wsProxy.stop();
    await http.close();
  };
  const account = await firstAccount((u, p) => prosody.register(u, p));
  // The first upload should be as quick as the hundredth: give LibreOffice and pdf.js a few
  // seconds to warm up (they start with the server) before saying it is ready.
  await Promise.race([warm, new Promise((r) => setTimeout(r, WARM_UP_WAIT_MS).unref())]);

  say(`\ndeckcast is running.\n\n`);
  say(`  Open        ${config.publicUrl.replace(`:${config.httpPort}`, `:${port}`)}\n`);
  say(`  Log in as   ${account.user}@${prosody.domains.accounts}   password: ${account.password}${account.fresh ? `   (new account; saved in ${shortPath(path.join(config.dataDir, "first-account.json"))})` : ""}\n`);
  say(`  XMPP        ${prosody.domains.accounts} on 127.0.0.1:${prosody.ports.c2s} (TCP), ${prosody.websocketUrl} (WebSocket)\n`);
  say(`  More users  npx deckcast user add NAME\n`);
  say(`  Operators   token in ${shortPath(operator.path)}${operator.fresh ? " (new)" : ""}: GET /api/meetings with "Authorization: Bearer <token>"\n`);
  say(`  Logs        ${logPath}\n`);
  say(otherDevices(reachable()));
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
      `  To let phones on your network join, restart with DECKCAST_HTTP_HOST=0.0.0.0.\n`
    );
  }
  return (
    `\n  Other devices on your network join at ${urls.join(" or ")}\n` +
    `  (guests need no password; to present, log in on this computer: passwords are not\n` +
    `  accepted from other devices over plain http, see docs/security.md)\n`
  );
}

/** What shutdown stops, filled in as the parts start (so a signal mid-start stops what exists). */
const stops: Partial<Record<"component" | "decks" | "http" | "prosody", () => Promise<void>>> = {};
let stopping = false;
async function shutdown(signal: string) {
  if (stopping) return;
  stopping = true;
  log.info({ signal }, "shutting down");
  const limit = setTimeout(() => {
    log.error({ ms: SHUTDOWN_LIMIT_MS }, "shutdown took too long; exiting anyway");
    logging.file.flushSync();
    process.exit(1);
  }, SHUTDOWN_LIMIT_MS);
  for (const part of ["component", "decks", "http", "prosody"] as const) {
    await stops[part]?.().catch((err: Error) => log.error({ err: err.message }, `${part} stop`));
  }
  clearTimeout(limit);
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
