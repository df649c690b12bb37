/**
 * The reverse proxies deckcast believes (DECKCAST_TRUSTED_PROXIES: addresses and CIDR ranges,
 * comma-separated; none by default), and what a request through them says of the browser: its
 * address (the rightmost X-Forwarded-For entry that is not itself a trusted proxy) and whether
 * it used https (X-Forwarded-Proto). A request from anyone else is taken at its peer address,
 * over plain http, whatever headers it carries: a header is only as good as who sent it.
 *
 * This is what lets a presenter log in with a password behind an https reverse proxy: the
 * XMPP WebSocket proxy (ws-proxy.ts) tells Prosody the browser's address and "https", and
 * Prosody, which trusts deckcast, accepts the password (docs/security.md). Pure.
 */
import { BlockList, isIP } from "node:net";

export interface TrustedProxies {
  /** Whether `address` is a trusted proxy. */
  has(address: string): boolean;
  /** The browser behind a request from `peer` with these headers. */
  client(peer: string, headers: Readonly<Record<string, string | string[] | undefined>>): { address: string; https: boolean };
}

/** Longest X-Forwarded-For read (characters): a longer one is ignored. */
const MAX_HEADER = 1024;

const plain = (a: string) => a.replace(/^::ffff:(?=\d+\.\d+\.\d+\.\d+$)/i, "");

/** Parses "10.0.0.5, 192.168.0.0/16, fd00::/8"; throws a one-line error naming the bad entry. */
export function trustedProxies(list: readonly string[]): TrustedProxies {
  const block = new BlockList();
  for (const raw of list) {
    const entry = raw.trim();
    if (entry === "") continue;
    const [addr, bits, extra] = entry.split("/");
    const family = isIP(addr ?? "");
    const prefix = bits === undefined ? null : Number(bits);
    if (!family || extra !== undefined || (prefix !== null && (!Number.isInteger(prefix) || prefix < 0 || prefix > (family === 4 ? 32 : 128)))) {
      throw new Error(`DECKCAST_TRUSTED_PROXIES: "${entry.slice(0, 60)}" is not an address or an address/prefix`);
    }
    const type = family === 4 ? "ipv4" : "ipv6";
    if (prefix === null) block.addAddress(addr!, type);
    else block.addSubnet(addr!, prefix, type);
  }
  const has = (address: string) => {
    const a = plain(address);
    const family = isIP(a);
    return family !== 0 && block.check(a, family === 4 ? "ipv4" : "ipv6");
  };
  return {
    has,
    client(peer, headers) {
      if (!has(peer)) return { address: plain(peer), https: false };
      const first = (v: string | string[] | undefined) => (Array.isArray(v) ? v[0] : v) ?? "";
      const chain = first(headers["x-forwarded-for"]);
      let address = plain(peer);
      if (chain.length <= MAX_HEADER) {
        const hops = chain.split(",").map((s) => plain(s.trim())).filter((s) => isIP(s) !== 0);
        for (let i = hops.length - 1; i >= 0; i--) {
          address = hops[i]!;
          if (!has(address)) break;
        }
      }
      const proto = first(headers["x-forwarded-proto"]).split(",")[0]!.trim().toLowerCase();
      return { address, https: proto === "https" };
    },
  };
}

/** Nobody is trusted (the default). */
export const NO_TRUSTED_PROXIES: TrustedProxies = trustedProxies([]);

/** The client behind an HTTP request or upgrade: its socket's peer, or who a trusted proxy there says it is. */
export function requestClient(req: { socket: { remoteAddress?: string | undefined }; headers: Readonly<Record<string, string | string[] | undefined>> }, proxies: TrustedProxies = NO_TRUSTED_PROXIES): { address: string; https: boolean } {
  return proxies.client(req.socket.remoteAddress ?? "unknown", req.headers);
}
