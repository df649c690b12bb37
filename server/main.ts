/**
 * `npm start`: a private Prosody, the deckcast component and the HTTP server, on this
 * machine, with data kept in DECKCAST_DATA_DIR (./data). Prints what to open and how to log in.
 */
import { randomBytes } from "node:crypto";
import { readFile, writeFile, mkdir } from "node:fs/promises";
import path from "node:path";
import pino from "pino";
import { startProsody } from "../prosody/launcher.ts";
import { readConfig } from "./config.ts";
import { startComponent } from "./component/setup.ts";
import { createHttpServer } from "./http/app.ts";
import { mountMeetingsApi } from "./http/meetings-api.ts";
import { mountWebClient } from "./http/web-client.ts";
import { setupWsProxy } from "./http/ws-proxy.ts";
import { setupDecks, type Decks } from "./decks/setup.ts";

const config = readConfig();
const log = pino({ level: config.logLevel, base: { app: "deckcast" } }, pino.destination({ dest: path.join(await ensureDir(config.dataDir), "deckcast.log"), sync: false }));

/** A path relative to the working directory when it is inside it, else absolute. */
function shortPath(p: string): string {
  const rel = path.relative(process.cwd(), p);
  return rel.startsWith("..") ? p : rel;
}

async function ensureDir(dir: string): Promise<string> {
  await mkdir(dir, { recursive: true });
  return dir;
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

const prosody = await startProsody({ dataDir: config.dataDir, host: config.xmppHost, log: log.child({ part: "prosody" }) });
const http = createHttpServer({ log: log.child({ part: "http" }) });
let decks: Decks | null = null;
/** Longest wait for the deck converters to warm up before the URL is printed. */
const WARM_UP_WAIT_MS = 20_000;
const component = await startComponent({
  service: `xmpp://127.0.0.1:${prosody.ports.component}`,
  secret: prosody.componentSecret,
  domains: prosody.domains,
  dataDir: config.dataDir,
  log,
  // deck-open must name a deck this server has (decks are set up on the component's link below).
  decks: { has: (id) => decks?.service.has(id) ?? false },
  maxUploadBytes: config.maxUploadBytes,
});
decks = setupDecks(component.link, {
  dataDir: config.dataDir,
  publicUrl: config.publicUrl,
  accountDomain: prosody.domains.accounts,
  maxUploadBytes: config.maxUploadBytes,
  secret: randomBytes(32).toString("hex"), // slots live minutes: a fresh key per start is enough
  log,
});
http.mount("/upload", decks.uploadRouter);
http.mount("/decks", decks.deckRouter);
// The web client answers "/" and /m/<code>; /api/* is left to the routes below.
mountWebClient(http, { domains: prosody.domains, publicUrl: process.env.DECKCAST_PUBLIC_URL });
const wsProxy = setupWsProxy(http, { prosodyHttpPort: prosody.ports.http, log: log.child({ part: "http" }) });
mountMeetingsApi(http, { meetings: component.meetings });
const port = await http.listen(config.httpPort, config.httpHost);
const account = await firstAccount((u, p) => prosody.register(u, p));
// The first upload should be as quick as the hundredth: give LibreOffice and pdf.js a few
// seconds to warm up (they start with the server) before saying it is ready.
await Promise.race([decks.service.started(), new Promise((r) => setTimeout(r, WARM_UP_WAIT_MS).unref())]);

const out = process.stdout;
out.write(`\ndeckcast is running.\n\n`);
out.write(`  Open        ${config.publicUrl.replace(`:${config.httpPort}`, `:${port}`)}\n`);
out.write(`  Log in as   ${account.user}@${prosody.domains.accounts}   password: ${account.password}${account.fresh ? `   (new account; saved in ${shortPath(path.join(config.dataDir, "first-account.json"))})` : ""}\n`);
out.write(`  XMPP        ${prosody.domains.accounts} on 127.0.0.1:${prosody.ports.c2s} (TCP), ${prosody.websocketUrl} (WebSocket)\n`);
out.write(`  More users  npx deckcast user add NAME\n`);
out.write(`  Logs        ${path.join(config.dataDir, "deckcast.log")}\n\nPress Ctrl+C to stop.\n`);

let stopping = false;
async function shutdown(signal: string) {
  if (stopping) return;
  stopping = true;
  log.info({ signal }, "shutting down");
  await component.stop().catch((err: Error) => log.error({ err: err.message }, "component stop"));
  await decks?.stop().catch((err: Error) => log.error({ err: err.message }, "decks stop"));
  wsProxy.stop();
  await http.close();
  await prosody.stop();
  log.flush();
  process.exit(0);
}
process.on("SIGINT", () => void shutdown("SIGINT"));
process.on("SIGTERM", () => void shutdown("SIGTERM"));
