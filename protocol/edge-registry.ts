/**
 * An edge's registration with its central server (docs/protocol.md §Edges): `POST /api/edges`
 * with the operator token and `{ urls: [...] }`, the LAN base URLs the edge serves followers on.
 * The server keeps them per source address for EDGE_REGISTRY.ttlMs and answers them as
 * `ClientConfig.edges` to requests from that same address; `{ urls: [] }` withdraws them (an
 * edge that stops says so, rather than leaving its link on the join page until it expires). Here: the shape, its limits and the
 * checker the server runs on a body (hostile input: only a few short http(s) URLs whose host is
 * a private/LAN address or a `.local` name are accepted, so a registration can never send a
 * follower to a public site). Pure: no I/O; never throws on input.
 */
import { describe, isRecord } from "./check.ts";

export const EDGES_PATH = "/api/edges";

export const EDGE_REGISTRY = {
  /** URLs per registration. */
  maxUrls: 4,
  /** Characters per URL. */
  maxUrlChars: 200,
  /** A registration is forgotten this long after it was made. */
  ttlMs: 90_000,
  /** An edge registers again this often. */
  refreshMs: 30_000,
  /** Largest request body, bytes. */
  maxBodyBytes: 2048,
  /** Source addresses held at once (the oldest registration goes first). */
  maxAddresses: 1000,
} as const;

export interface EdgeRegistration {
  urls: string[];
}

export type EdgeRegistrationError = { code: "bad-request"; message: string };

/** Whether an IP literal or name is on a private network (RFC 1918, CGNAT, IPv6 ULA) or a `.local` name. */
export function isLanHost(hostname: string): boolean {
  const h = hostname.toLowerCase().replace(/^\[|\]$/g, "");
  const v4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(h);
  if (v4) {
    const [a, b] = [Number(v4[1]), Number(v4[2])];
    if ([1, 2, 3, 4].some((i) => Number(v4[i]) > 255)) return false;
    return a === 10 || (a === 172 && b >= 16 && b <= 31) || (a === 192 && b === 168) || (a === 100 && b >= 64 && b <= 127);
  }
  if (h.includes(":")) return /^f[cd][0-9a-f]{0,2}:/.test(h);
  return /^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)*[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.local$/.test(h);
}

/** Checks a registration body: at most 4 distinct http(s) base URLs of LAN hosts, each ≤ 200 characters (none: a withdrawal). */
export function readEdgeRegistration(v: unknown): { ok: true; value: EdgeRegistration } | { ok: false; error: EdgeRegistrationError } {
  const bad = (message: string) => ({ ok: false as const, error: { code: "bad-request" as const, message } });
  if (!isRecord(v) || !Object.hasOwn(v, "urls")) return bad(`a registration must be an object with urls, got ${describe(v)}`);
  const urls = v.urls;
  if (!Array.isArray(urls) || urls.length > EDGE_REGISTRY.maxUrls) return bad(`urls must be an array of 0..${EDGE_REGISTRY.maxUrls} URLs`);
  const out: string[] = [];
  for (const [i, u] of urls.entries()) {
    if (typeof u !== "string" || u.length === 0 || u.length > EDGE_REGISTRY.maxUrlChars) return bad(`urls[${i}] must be a string of 1..${EDGE_REGISTRY.maxUrlChars} characters`);
    let url: URL;
    try {
      url = new URL(u);
    } catch {
      return bad(`urls[${i}] is not a URL`);
    }
    if (url.protocol !== "http:" && url.protocol !== "https:") return bad(`urls[${i}] must be http or https`);
    if (url.username || url.password || url.search || url.hash || (url.pathname !== "/" && url.pathname !== "")) return bad(`urls[${i}] must be a base URL (scheme, host, port only)`);
    if (!isLanHost(url.hostname)) return bad(`urls[${i}] must name a private (LAN) address or a .local name`);
    if (!out.includes(url.origin)) out.push(url.origin);
  }
  return { ok: true, value: { urls: out } };
}
