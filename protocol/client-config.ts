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
}

/** True for a name or address only this computer reaches: localhost, *.localhost, 127.x, ::1. */
export function isLoopbackHost(host: string): boolean {
  const h = host.trim().toLowerCase().replace(/^\[|\]$/g, "").replace(/\.$/, "");
  if (h === "localhost" || h.endsWith(".localhost")) return true;
  const v4 = h.startsWith("::ffff:") ? h.slice(7) : h;
  if (/^\d{1,3}(\.\d{1,3}){3}$/.test(v4)) return v4.startsWith("127.");
  return h === "::1" || h === "0:0:0:0:0:0:0:1";
}
