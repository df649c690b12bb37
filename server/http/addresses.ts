/**
 * The addresses other devices can reach this server on, from the interface it is bound to
 * (DECKCAST_HTTP_HOST) and this machine's interface table (os.networkInterfaces()).
 *
 * - Bound to loopback (the default 127.0.0.1, ::1, localhost): nothing but this computer
 *   reaches it, so the list is empty.
 * - Bound to every interface (0.0.0.0: IPv4 only; :: : IPv4 and IPv6): each non-internal
 *   address of the table. IPv4 first; link-local addresses (169.254/16, fe80::/10) are left
 *   out (a browser cannot use an IPv6 zone id, and they rarely reach a phone); the interfaces
 *   of containers and VMs (docker0, br-…, veth…, virbr…) come last.
 * - Bound to one address or name: that one (when it is not loopback).
 *
 * Pure functions of their arguments: server/main.ts and server/http/web-client.ts pass the
 * live table, tests pass a given one.
 */
import { isIP } from "node:net";
import { isLoopbackHost } from "../../protocol/client-config.ts";
import type { NetworkInterfaceInfo } from "node:os";

/** The shape of os.networkInterfaces(). */
export type InterfaceTable = NodeJS.Dict<NetworkInterfaceInfo[]>;

/** Interfaces of containers, bridges and VMs: listed after the real ones. */
const VIRTUAL = /^(docker|br-|veth|virbr|vnet|lxc|lxd|cni|flannel|podman|vboxnet|vmnet|tailscale|zt)/;

export { isLoopbackHost };

/** The addresses (no port) other devices may reach a server bound to `bindHost` on. */
export function reachableAddresses(bindHost: string, table: InterfaceTable): string[] {
  const host = bindHost.trim().toLowerCase().replace(/^\[|\]$/g, "");
  if (host === "" || isLoopbackHost(host)) return [];
  const all = host === "0.0.0.0" || host === "::" || host === "0:0:0:0:0:0:0:0";
  if (!all) return [host];
  const found: { address: string; v6: boolean; virtual: boolean; order: number }[] = [];
  for (const [name, infos] of Object.entries(table)) {
    for (const info of infos ?? []) {
      const v6 = info.family === "IPv6" || (info.family as unknown) === 6;
      if (info.internal || isLoopbackHost(info.address)) continue;
      if (v6 && host === "0.0.0.0") continue; // a 0.0.0.0 listener takes IPv4 only
      if (!v6 && info.address.startsWith("169.254.")) continue;
      if (v6 && /^fe[89ab]/i.test(info.address)) continue;
      if (found.some((f) => f.address === info.address)) continue;
      found.push({ address: info.address, v6, virtual: VIRTUAL.test(name), order: found.length });
    }
  }
  found.sort((a, b) => Number(a.virtual) - Number(b.virtual) || Number(a.v6) - Number(b.v6) || a.order - b.order);
  return found.map((f) => f.address);
}

/** `http://<address>:<port>` (IPv6 in brackets), the base of links other devices can open. */
export function addressUrl(address: string, port: number, protocol: "http" | "https" = "http"): string {
  const host = isIP(address) === 6 ? `[${address}]` : address;
  const standard = (protocol === "http" && port === 80) || (protocol === "https" && port === 443);
  return `${protocol}://${host}${standard ? "" : `:${port}`}`;
}

/** The base URLs of a server bound to `bindHost` on `port`, for other devices. */
export function reachableUrls(bindHost: string, port: number, table: InterfaceTable, protocol: "http" | "https" = "http"): string[] {
  return reachableAddresses(bindHost, table).map((a) => addressUrl(a, port, protocol));
}
