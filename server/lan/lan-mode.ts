/**
 * LAN mode's announcement (`npm start -- --lan`, DECKCAST_LAN=1): the server announces
 * `_deckcast._tcp` (server/lan/mdns.ts) on each IPv4 address other devices reach it on
 * (server/http/addresses.ts, from the bound host and the interface table), one socket per
 * interface address, and withdraws every announcement on stop. A failed announcement is
 * logged and the server goes on (people can still type the URL).
 */
import { isIPv4 } from "node:net";
import type { Logger } from "pino";
import { reachableAddresses, type InterfaceTable } from "../http/addresses.ts";
import { announce, type Announcement, type LanRole } from "./mdns.ts";

export interface LanAnnouncement {
  /** The addresses announced on. */
  addresses: string[];
  stop(): Promise<void>;
}

export function announceOnLan(o: { name: string; role: LanRole; bindHost: string; port: number; interfaces: InterfaceTable; log: Logger }): LanAnnouncement {
  const addresses = reachableAddresses(o.bindHost, o.interfaces).filter((a) => isIPv4(a));
  const running: Announcement[] = [];
  for (const address of addresses) {
    try {
      running.push(announce({ name: o.name, port: o.port, role: o.role, interfaceAddress: address, onWarning: (err) => o.log.warn({ err: err.message, address }, "mDNS") }));
      o.log.info({ address, port: o.port, type: "_deckcast._tcp" }, "announced on the LAN");
    } catch (err) {
      o.log.error({ err: (err as Error).message, address }, "mDNS announcement failed");
    }
  }
  return {
    addresses,
    async stop() {
      await Promise.all(running.splice(0).map((a) => a.stop()));
    },
  };
}
