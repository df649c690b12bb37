/**
 * A page served by an edge (ClientConfig.edge set, server/edge/) talks XMPP through the edge's
 * WebSocket. When that cannot be had — the first connect fails for a reason other than the
 * login, or the edge's socket drops and `EDGE_TRIES` reconnects in a row fail — the client
 * reconnects to the central server's own WebSocket (`edge.upstream` + websocketPath) and stays
 * there: the meeting goes on with the usual catch-up after a reconnect (client-core/live-room.ts
 * rejoins, the view fills gaps by seq). Page images then come from the central server: the deck
 * prefetcher's sources list it after the edge, and render/page-images.ts falls back to it.
 */
import type { Client } from "@xmpp/client";
import type { ClientConfig } from "./config.ts";

/** Reconnects to the edge tried (about a second apart) before going to the central server. */
export const EDGE_TRIES = 3;

let onCloud = false;
const listeners = new Set<() => void>();

/** Calls `fn` once the page falls back; returns an unsubscribe. */
export function onFallBack(fn: () => void): () => void {
  listeners.add(fn);
  return () => listeners.delete(fn);
}

function markFallen(): void {
  if (onCloud) return;
  onCloud = true;
  document.documentElement.dataset.deckcastRoute = "upstream";
  for (const fn of [...listeners]) fn();
}

/** The central server's XMPP WebSocket URL, or null when this page is not from an edge. */
export function upstreamWebsocketUrl(config: ClientConfig): string | null {
  if (!config.edge) return null;
  try {
    const u = new URL(config.websocketPath, config.edge.upstream);
    u.protocol = u.protocol === "https:" ? "wss:" : "ws:";
    return u.href;
  } catch {
    return null;
  }
}

type WithOptions = Client & { options: { service: string }; reconnect: Client["reconnect"] & { on(e: string, fn: () => void): void } };

/** Watches `xmpp`'s reconnects; after EDGE_TRIES failures in a row it points them at the central server. */
export function watchEdge(xmpp: Client, config: ClientConfig): void {
  const cloud = upstreamWebsocketUrl(config);
  if (!cloud) return;
  const x = xmpp as WithOptions;
  let failedInARow = 0;
  // "reconnecting" fires just before each attempt reads options.service (@xmpp/reconnect).
  x.reconnect.on("reconnecting", () => {
    if (x.options.service === cloud) return;
    if (failedInARow >= EDGE_TRIES) {
      x.options.service = cloud;
      markFallen();
    }
    failedInARow++;
  });
  x.reconnect.on("reconnected", () => {
    failedInARow = 0;
  });
}

/** For a first connect that failed: the service to try instead, once (null: give up). */
export function firstConnectFallback(xmpp: Client, config: ClientConfig, err: unknown): string | null {
  const cloud = upstreamWebsocketUrl(config);
  const x = xmpp as WithOptions;
  if (!cloud || x.options.service === cloud || (err as Error)?.name === "SASLError") return null;
  x.options.service = cloud;
  markFallen();
  return cloud;
}
