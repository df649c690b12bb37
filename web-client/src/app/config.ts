/** What the server tells the client at start (GET /api/config, server/http/web-client.ts). */
export interface ClientConfig {
  domains: { accounts: string; guests: string; muc: string; component: string };
  websocketPath: string;
  publicUrl: string | null;
}

export async function loadConfig(): Promise<ClientConfig> {
  const res = await fetch("/api/config", { cache: "no-store" });
  if (!res.ok) throw new Error(`config: HTTP ${res.status}`);
  return (await res.json()) as ClientConfig;
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
