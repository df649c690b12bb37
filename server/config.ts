/**
 * The server's settings, read once from the environment with their defaults.
 *
 *   DECKCAST_DATA_DIR     ./data         archives, decks, Prosody's data, the log, the operator token
 *   DECKCAST_HTTP_PORT    8080           web client, uploads, downloads
 *   DECKCAST_HTTP_HOST    127.0.0.1      interface to listen on: 127.0.0.1 serves this computer only,
 *                                        0.0.0.0 (or one address) lets phones on the network join; the
 *                                        addresses they reach are listed by server/http/addresses.ts
 *   DECKCAST_PUBLIC_URL   http://localhost:<port>   how browsers reach the HTTP server
 *   DECKCAST_ALLOWED_HOSTS (none)        more host names /api/* answers to, comma-separated
 *                                        (a reverse proxy's name); localhost, IP literals, the
 *                                        public URL's host, DECKCAST_HTTP_HOST and this machine's
 *                                        host name (and <name>.local) always are
 *   DECKCAST_XMPP_HOST    localhost      the XMPP account domain
 *   DECKCAST_LOG_LEVEL    info           pino level
 *   DECKCAST_MAX_UPLOAD_MB 100           largest deck upload (MiB)
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
 *   DECKCAST_CHAT_MAX_CHARS 4000         characters in one chat message
 */
import { CHAT_LIMITS, type ChatLimits } from "../prosody/config.ts";
import { MEETING_LIMITS, type MeetingLimits } from "./component/limits.ts";
import path from "node:path";

export interface Config {
  dataDir: string;
  httpPort: number;
  httpHost: string;
  publicUrl: string;
  /** DECKCAST_PUBLIC_URL as given, or null (then join links use the page's own origin). */
  explicitPublicUrl: string | null;
  allowedHosts: string[];
  xmppHost: string;
  logLevel: string;
  maxUploadBytes: number;
  uploadIdleMs: number;
  uploadMaxPending: number;
  uploadMaxPendingBytes: number;
  wsMaxConnections: number;
  wsMaxPerAddress: number;
  wsIdleMs: number;
  meetings: MeetingLimits;
  chat: ChatLimits;
}

const MiB = 1024 * 1024;

export function readConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const httpPort = int(env.DECKCAST_HTTP_PORT, 8080, "DECKCAST_HTTP_PORT");
  const explicitPublicUrl = env.DECKCAST_PUBLIC_URL ? env.DECKCAST_PUBLIC_URL.replace(/\/$/, "") : null;
  if (explicitPublicUrl && !/^https?:\/\/[^/]+/.test(explicitPublicUrl)) throw new Error(`DECKCAST_PUBLIC_URL must be an http(s) URL, got "${explicitPublicUrl}"`);
  return {
    dataDir: path.resolve(env.DECKCAST_DATA_DIR ?? "data"),
    httpPort,
    httpHost: env.DECKCAST_HTTP_HOST ?? "127.0.0.1",
    publicUrl: explicitPublicUrl ?? `http://localhost:${httpPort}`,
    explicitPublicUrl,
    allowedHosts: (env.DECKCAST_ALLOWED_HOSTS ?? "").split(",").map((h) => h.trim()).filter(Boolean),
    xmppHost: env.DECKCAST_XMPP_HOST ?? "localhost",
    logLevel: env.DECKCAST_LOG_LEVEL ?? "info",
    maxUploadBytes: int(env.DECKCAST_MAX_UPLOAD_MB, 100, "DECKCAST_MAX_UPLOAD_MB") * MiB,
    uploadIdleMs: positive(env.DECKCAST_UPLOAD_IDLE_S, 30, "DECKCAST_UPLOAD_IDLE_S") * 1000,
    uploadMaxPending: positive(env.DECKCAST_UPLOAD_MAX_PENDING, 10, "DECKCAST_UPLOAD_MAX_PENDING"),
    uploadMaxPendingBytes: positive(env.DECKCAST_UPLOAD_MAX_PENDING_MB, 500, "DECKCAST_UPLOAD_MAX_PENDING_MB") * MiB,
    wsMaxConnections: positive(env.DECKCAST_WS_MAX_CONNECTIONS, 400, "DECKCAST_WS_MAX_CONNECTIONS"),
    wsMaxPerAddress: positive(env.DECKCAST_WS_MAX_PER_ADDRESS, 50, "DECKCAST_WS_MAX_PER_ADDRESS"),
    wsIdleMs: positive(env.DECKCAST_WS_IDLE_S, 1200, "DECKCAST_WS_IDLE_S") * 1000,
    meetings: {
      meetingsPerAccount: positive(env.DECKCAST_MEETINGS_PER_ACCOUNT, MEETING_LIMITS.meetingsPerAccount, "DECKCAST_MEETINGS_PER_ACCOUNT"),
      meetingIdleMs: positive(env.DECKCAST_MEETING_IDLE_HOURS, MEETING_LIMITS.meetingIdleMs / 3_600_000, "DECKCAST_MEETING_IDLE_HOURS") * 3_600_000,
    },
    chat: {
      burst: positive(env.DECKCAST_CHAT_BURST, CHAT_LIMITS.burst, "DECKCAST_CHAT_BURST"),
      perSecond: positive(env.DECKCAST_CHAT_PER_SECOND, CHAT_LIMITS.perSecond, "DECKCAST_CHAT_PER_SECOND"),
      maxBodyChars: positive(env.DECKCAST_CHAT_MAX_CHARS, CHAT_LIMITS.maxBodyChars, "DECKCAST_CHAT_MAX_CHARS"),
    },
  };
}

function int(raw: string | undefined, fallback: number, name: string): number {
  if (raw === undefined || raw === "") return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0) throw new Error(`${name} must be a whole number, got "${raw}"`);
  return n;
}

function positive(raw: string | undefined, fallback: number, name: string): number {
  const n = int(raw, fallback, name);
  if (n === 0) throw new Error(`${name} must be at least 1, got "${raw}"`);
  return n;
}
