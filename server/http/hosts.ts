/**
 * Which `Host` headers name this server: the DNS-rebinding defence for /api/*.
 *
 * A web page on evil.example can make its own name resolve to 127.0.0.1 and then read
 * same-origin answers from deckcast, but its requests still carry `Host: evil.example`. So
 * /api/* answers only requests whose Host is one of this server's own names:
 * - localhost (and *.localhost), 127.0.0.1 and any other IP literal, [::1] and other IPv6
 *   literals: a rebinding page cannot make a browser send an IP literal as its Host, because
 *   the Host is the page's own origin;
 * - the host of DECKCAST_PUBLIC_URL, the interface deckcast is bound to (DECKCAST_HTTP_HOST),
 *   this machine's host name (and <name>.local), and the names in DECKCAST_ALLOWED_HOSTS
 *   (for a reverse proxy's public name): server/main.ts passes them.
 * The port is not compared: it does not tell the attacker's name from ours.
 * Pure functions; see server/http/app.ts for where the check is applied.
 */
import { isIP } from "node:net";

export interface HostPolicy {
  /** Lower-case host names (no port) accepted besides localhost and IP literals. */
  names: ReadonlySet<string>;
}

/** The names of a server reached at `publicUrl`, bound to `boundHost`, plus `extra`. */
export function hostPolicy({ publicUrl, boundHost, extra = [] }: { publicUrl?: string | null; boundHost?: string; extra?: readonly string[] } = {}): HostPolicy {
  const names = new Set<string>();
  const add = (h: string | undefined | null) => {
    const name = h?.trim().toLowerCase().replace(/^\[|\]$/g, "").replace(/\.$/, "");
    if (name) names.add(name);
  };
  if (publicUrl) {
    try {
      add(new URL(publicUrl).hostname);
    } catch {
      // readConfig checks the URL; a bad one adds no name
    }
  }
  add(boundHost);
  for (const e of extra) add(e);
  return { names };
}

/** The host part of a Host header value ("a.b:8080" → "a.b", "[::1]:80" → "::1"), lower-case; null if malformed. */
export function hostOf(header: string | undefined): string | null {
  if (!header) return null;
  const h = header.trim().toLowerCase();
  if (h.length > 255) return null;
  if (h.startsWith("[")) {
    const end = h.indexOf("]");
    if (end < 0) return null;
    const rest = h.slice(end + 1);
    if (rest && !/^:\d{1,5}$/.test(rest)) return null;
    return h.slice(1, end);
  }
  const m = /^([a-z0-9._-]+)(?::\d{1,5})?$/.exec(h);
  return m ? m[1]!.replace(/\.$/, "") : null;
}

/** Whether a request with this Host header was addressed to this server. */
export function isOwnHost(header: string | undefined, policy: HostPolicy): boolean {
  const host = hostOf(header);
  if (!host) return false;
  if (host === "localhost" || host.endsWith(".localhost")) return true;
  if (isIP(host) !== 0) return true;
  return policy.names.has(host);
}
