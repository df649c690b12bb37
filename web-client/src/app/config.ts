/** What the server tells the client at start (GET /api/config, server/http/web-client.ts). */
import { isLoopbackHost, readEdgeFields, type ClientConfig } from "../../../protocol/client-config.ts";

export { isLoopbackHost, type ClientConfig };

export async function loadConfig(): Promise<ClientConfig> {
  const res = await fetch("/api/config", { cache: "no-store" });
  if (!res.ok) throw new Error(`config: HTTP ${res.status}`);
  const config = (await res.json()) as ClientConfig;
  // An older server sends no `reachable`: nothing is known to reach it from elsewhere.
  // … and an older server (or a hostile edge's upstream) no checked `edge`/`edges`.
  return { ...config, reachable: Array.isArray(config.reachable) ? config.reachable.filter((u) => typeof u === "string") : [], ...readEdgeFields(config) };
}

/** ws(s)://<this origin>/xmpp-websocket: the server proxies it to Prosody. */
export function websocketUrl(config: ClientConfig, loc: Location = location): string {
  return `${loc.protocol === "https:" ? "wss" : "ws"}://${loc.host}${config.websocketPath}`;
}

/** The addresses of meeting `code` (docs/protocol.md §IQs and flows). */
export function meetingAddresses(config: ClientConfig, code: string): { room: string; meeting: string } {
  return { room: `${code}@${config.domains.muc}`, meeting: `${code}@${config.domains.component}` };
}

/** The link followers open: <origin>/m/<code>. */
export function joinLink(config: ClientConfig, code: string, loc: Location = location): string {
  return `${config.publicUrl ?? loc.origin}/m/${code}`;
}


/**
 * What the invite panel offers: the links other devices can open, and whether the link only
 * works on this computer. A link on a name others reach (DECKCAST_PUBLIC_URL, or a page opened
 * at a LAN address) is offered as it is; a loopback link is replaced by the reachable
 * addresses' links, and when there are none, `thisComputerOnly` says so.
 */
export function shareLinks(link: string, reachable: readonly string[], code: string): { links: string[]; thisComputerOnly: boolean } {
  let host: string;
  try {
    host = new URL(link).hostname;
  } catch {
    return { links: [link], thisComputerOnly: false };
  }
  if (!isLoopbackHost(host)) return { links: [link], thisComputerOnly: false };
  if (reachable.length === 0) return { links: [link], thisComputerOnly: true };
  return { links: reachable.map((base) => `${base.replace(/\/$/, "")}/m/${code}`), thisComputerOnly: false };
}

/**
 * True when a password typed on this page would cross the network in clear: plain http from
 * a name other than this computer. The server refuses such logins (mod_auth_deckcast_token);
 * the login form says so before anything is sent.
 */
export function passwordInClear(loc: Pick<Location, "protocol" | "hostname"> = location): boolean {
  return loc.protocol !== "https:" && !isLoopbackHost(loc.hostname);
}
