/**
 * The server's settings, read once from the environment with their defaults.
 *
 *   DECKCAST_DATA_DIR     ./data         archives, decks, Prosody's data
 *   DECKCAST_HTTP_PORT    8080           web client, uploads, downloads
 *   DECKCAST_HTTP_HOST    127.0.0.1      interface to listen on (0.0.0.0 for a LAN room)
 *   DECKCAST_PUBLIC_URL   http://localhost:<port>   how browsers reach the HTTP server
 *   DECKCAST_XMPP_HOST    localhost      the XMPP account domain
 *   DECKCAST_LOG_LEVEL    info           pino level
 *   DECKCAST_MAX_UPLOAD_MB 100           largest deck upload
 */
import path from "node:path";

export interface Config {
  dataDir: string;
  httpPort: number;
  httpHost: string;
  publicUrl: string;
  xmppHost: string;
  logLevel: string;
  maxUploadBytes: number;
}

export function readConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const httpPort = int(env.DECKCAST_HTTP_PORT, 8080, "DECKCAST_HTTP_PORT");
  return {
    dataDir: path.resolve(env.DECKCAST_DATA_DIR ?? "data"),
    httpPort,
    httpHost: env.DECKCAST_HTTP_HOST ?? "127.0.0.1",
    publicUrl: (env.DECKCAST_PUBLIC_URL ?? `http://localhost:${httpPort}`).replace(/\/$/, ""),
    xmppHost: env.DECKCAST_XMPP_HOST ?? "localhost",
    logLevel: env.DECKCAST_LOG_LEVEL ?? "info",
    maxUploadBytes: int(env.DECKCAST_MAX_UPLOAD_MB, 100, "DECKCAST_MAX_UPLOAD_MB") * 1024 * 1024,
  };
}

function int(raw: string | undefined, fallback: number, name: string): number {
  if (raw === undefined || raw === "") return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0) throw new Error(`${name} must be a whole number, got "${raw}"`);
  return n;
}
