/**
 * What the web client learns from the server before it connects (GET /api/config), and which
 * host names only this computer reaches — the one rule the server (start banner, reachable
 * addresses) and the client (invite panel, password-in-clear check) both apply.
 */
export interface ClientConfig {
  domains: { accounts: string; guests: string; muc: string; component: string };
  /** Path of the XMPP WebSocket on this origin. */
  websocketPath: string;
  /** Base URL for join links when set by the operator (DECKCAST_PUBLIC_URL); else the page's origin is used. */
  publicUrl: string | null;
  /**
   * Base URLs other devices can reach this server on (`http://192.168.1.20:8080`, from
   * server/http/addresses.ts); empty when it listens on loopback only (the default).
   */
  reachable: string[];
  /**
   * Set when this origin is an edge (`deckcast edge`, server/edge/): `upstream` is the central
   * server's base URL, where deck manifests come from and where the client falls back when the
   * edge goes away. Null on the central server itself.
   */
  edge: { upstream: string } | null;
  /**
   * Edges registered from the requester's own address (the office's LAN edges, server/http/edge-registry.ts):
   * the join page offers "join through this office's edge". Empty on an edge and when none is known.
   */
  edges: string[];
}

/** The `edge` and `edges` of a config from any server (an older one sends neither): checked, never trusted. */
export function readEdgeFields(config: { edge?: unknown; edges?: unknown }): Pick<ClientConfig, "edge" | "edges"> {
  const httpUrl = (u: unknown): u is string => typeof u === "string" && u.length <= 200 && /^https?:\/\/[^\s/?#]+(\/[^\s]*)?$/i.test(u);
  const e = config.edge as { upstream?: unknown } | null | undefined;
  const edge = e && typeof e === "object" && httpUrl(e.upstream) ? { upstream: e.upstream.replace(/\/$/, "") } : null;
  const edges = Array.isArray(config.edges) ? config.edges.filter(httpUrl).slice(0, 4) : [];
  return { edge, edges };
}

/** True for a name or address only this computer reaches: localhost, *.localhost, 127.x, ::1. */
export function isLoopbackHost(host: string): boolean {
  const h = host.trim().toLowerCase().replace(/^\[|\]$/g, "").replace(/\.$/, "");
  if (h === "localhost" || h.endsWith(".localhost")) return true;
  const v4 = h.startsWith("::ffff:") ? h.slice(7) : h;
  if (/^\d{1,3}(\.\d{1,3}){3}$/.test(v4)) return v4.startsWith("127.");
  return h === "::1" || h === "0:0:0:0:0:0:0:1";
}
