/**
 * mDNS / DNS-SD for LAN mode and the edge: `announce()` makes a deckcast server (or edge)
 * findable on the local network as `_deckcast._tcp`, `discover()` lists the ones that answer.
 * Library: bonjour-service (over multicast-dns).
 *
 * Always ONE interface: the multicast socket joins the group on `interfaceAddress` only,
 * sends from it (IP_MULTICAST_IF) and is bound to the group address 224.0.0.251:5353 rather
 * than 0.0.0.0, so no unicast from any other interface reaches it; the announced A record is
 * that address only (bonjour-service would otherwise list every interface of the machine).
 * TXT: { v: "1", role: "server" | "edge", path: "/" }.
 */
import { isIPv4 } from "node:net";
import { Bonjour, type Service } from "bonjour-service";

export const SERVICE_TYPE = "deckcast";
const MDNS_GROUP = "224.0.0.251";
/** Services one discover() keeps at most. */
const MAX_FOUND = 64;

export type LanRole = "server" | "edge";

export interface AnnounceOptions {
  /** The instance name shown to people ("deckcast on laptop"); dots become dashes. */
  name: string;
  port: number;
  role: LanRole;
  /** The one IPv4 address (of the LAN interface) to announce on and for. */
  interfaceAddress: string;
  /** The web client's path on that server (TXT "path"). */
  path?: string;
  /** Warnings (a refused multicast join, a malformed packet): logged, never thrown. */
  onWarning?: (err: Error) => void;
}

export interface Announcement {
  /** Sends the goodbye (TTL 0) and closes the socket. */
  stop(): Promise<void>;
}

export interface DiscoverOptions {
  interfaceAddress: string;
  timeoutMs: number;
  onWarning?: (err: Error) => void;
}

export interface Discovered {
  name: string;
  role: LanRole;
  /** http://<address>:<port><path> */
  url: string;
}

/** One multicast-dns socket on one interface (see the header). */
function bonjourOn(interfaceAddress: string, onWarning: (err: Error) => void): Bonjour {
  if (!isIPv4(interfaceAddress)) throw new Error(`mDNS needs one IPv4 interface address, got "${interfaceAddress}"`);
  const bonjour = new Bonjour({ interface: interfaceAddress, bind: MDNS_GROUP } as never, (err: Error) => onWarning(err));
  const mdns = (bonjour as unknown as { server: { mdns: NodeJS.EventEmitter } }).server.mdns;
  mdns.on("warning", onWarning);
  mdns.on("error", onWarning);
  return bonjour;
}

/** The SRV target's host name: one per address (namespaces and VMs share a hostname). */
function hostLabel(address: string): string {
  return `deckcast-${address.replace(/\./g, "-")}.local`;
}

export function announce(opts: AnnounceOptions): Announcement {
  const warn = opts.onWarning ?? (() => undefined);
  const bonjour = bonjourOn(opts.interfaceAddress, warn);
  const service: Service = bonjour.publish({
    name: opts.name,
    type: SERVICE_TYPE,
    protocol: "tcp",
    port: opts.port,
    host: hostLabel(opts.interfaceAddress),
    txt: { v: "1", role: opts.role, path: opts.path ?? "/" },
    disableIPv6: true,
  });
  // Announce the one LAN address, not every interface of the machine.
  const all = service.records.bind(service);
  service.records = () => [
    ...all().filter((r) => r.type !== "A" && r.type !== "AAAA"),
    { name: service.host, type: "A", ttl: 120, data: opts.interfaceAddress },
  ];
  let stopped: Promise<void> | null = null;
  return {
    stop() {
      stopped ??= new Promise<void>((resolve) => {
        const done = () => bonjour.destroy(() => resolve());
        // The goodbye is one packet; do not wait for ever on a socket that cannot send.
        const timer = setTimeout(done, 1000);
        (service.stop as (cb: () => void) => void)(() => {
          clearTimeout(timer);
          done();
        });
      });
      return stopped;
    },
  };
}

/** The answer's address to use: the one it came from when announced, else its first IPv4. */
function addressOf(s: Service): string | null {
  const addresses = (s.addresses ?? []).filter((a) => isIPv4(a));
  const from = s.referer?.address;
  if (from && addresses.includes(from)) return from;
  return addresses[0] ?? (from && isIPv4(from) ? from : null);
}

/** Servers and edges that answer on the interface within `timeoutMs`, one entry per URL. */
export async function discover(opts: DiscoverOptions): Promise<Discovered[]> {
  const warn = opts.onWarning ?? (() => undefined);
  const bonjour = bonjourOn(opts.interfaceAddress, warn);
  const found = new Map<string, Discovered>();
  const browser = bonjour.find({ type: SERVICE_TYPE, protocol: "tcp" }, (s) => {
    const txt = (s.txt ?? {}) as Record<string, unknown>;
    const role = txt.role === "edge" ? "edge" : txt.role === "server" ? "server" : null;
    const address = addressOf(s);
    const port = Number(s.port);
    if (!role || !address || !Number.isInteger(port) || port < 1 || port > 65535) return;
    const rawPath = typeof txt.path === "string" && /^\/[\x21-\x7e]{0,200}$/.test(txt.path) ? txt.path : "/";
    const url = `http://${address}:${port}${rawPath}`;
    if (found.size >= MAX_FOUND && !found.has(url)) return; // a LAN flooding answers gets no more memory
    found.set(url, { name: String(s.name ?? "").slice(0, 200), role, url });
  });
  await new Promise((r) => setTimeout(r, opts.timeoutMs));
  browser.stop();
  await new Promise<void>((resolve) => bonjour.destroy(() => resolve()));
  return [...found.values()].sort((a, b) => a.url.localeCompare(b.url));
}
