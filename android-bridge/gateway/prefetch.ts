/**
 * The phones' prefetch lists (docs/phone-protocol.md §prefetch): where the bridge gets a deck's
 * manifest (the deck service itself inside the deckcast server, else the deck store's HTTP
 * route, checked with protocol/deck-prefetch.ts), and the base phones' absolute URLs are on:
 * the bridge's `decks` URL when it is one, else the origin the phone's WebSocket reached.
 */
import type { IncomingMessage } from "node:http";
import type { TLSSocket } from "node:tls";
import { createUpstream } from "../../server/edge/upstream.ts";
import { deckManifestUrl, readDeckManifest, type DeckManifest } from "../../protocol/deck-prefetch.ts";

/** A deck's manifest at a width (snapped), or null when it cannot be had. */
export type ManifestSource = (deck: string, width: number) => Promise<DeckManifest | null>;

/** Largest manifest body read (500 pages and thumbs with their URLs are ~150 kB). */
const MAX_MANIFEST_BYTES = 1024 * 1024;
const FETCH_TIMEOUT_MS = 60_000;

/** True for an http(s) base URL (the standalone bridge's upstream); "" and anything else: no. */
export function isAbsoluteBase(base: string): boolean {
  return /^https?:\/\/[^\s/?#]+$/i.test(base.replace(/\/+$/, ""));
}

/** Manifests from a deck store's HTTP route (GET <base>/decks/<id>/manifest?w=), checked. */
export function httpManifests(base: string): ManifestSource {
  // The edge's bounded upstream client: the body is counted as it streams and cut off past the limit.
  const upstream = createUpstream(base);
  return async (deck, width) => {
    let json: unknown;
    try {
      const res = await upstream.get(deckManifestUrl(deck, width), { maxBytes: MAX_MANIFEST_BYTES, timeoutMs: FETCH_TIMEOUT_MS, accept: "application/json" });
      if (res.status !== 200) return null;
      json = JSON.parse(res.body.toString("utf8"));
    } catch {
      return null; // unreachable, too slow, too large, or not JSON: no list for now
    }
    const read = readDeckManifest(json, { deck, width });
    return read.ok ? read.value : null;
  };
}

const HOST = /^(?:[A-Za-z0-9.-]{1,253}|\[[0-9A-Fa-f:.]{2,45}\])(?::\d{1,5})?$/;

/** http(s)://<Host> of the request a phone's WebSocket came in on; "" when its Host header is not a host. */
export function originOf(req: IncomingMessage): string {
  const host = req.headers.host ?? "";
  if (!HOST.test(host)) return "";
  return `${(req.socket as TLSSocket).encrypted ? "https" : "http"}://${host}`;
}
