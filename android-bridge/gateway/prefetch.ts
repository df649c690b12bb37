/**
 * The phones' prefetch lists (docs/phone-protocol.md §prefetch): where the bridge gets a deck's
 * manifest (the deck service itself inside the deckcast server, else the deck store's HTTP
 * route, checked with protocol/deck-prefetch.ts), and the base phones' absolute URLs are on:
 * the bridge's `decks` URL when it is one, else the origin the phone's WebSocket reached.
 */
import type { IncomingMessage } from "node:http";
import type { TLSSocket } from "node:tls";
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
  const b = base.replace(/\/+$/, "");
  return async (deck, width) => {
    const res = await fetch(b + deckManifestUrl(deck, width), { signal: AbortSignal.timeout(FETCH_TIMEOUT_MS) });
    if (!res.ok) return null;
    if (Number(res.headers.get("content-length") ?? "0") > MAX_MANIFEST_BYTES) return null;
    const text = await res.text();
    if (text.length > MAX_MANIFEST_BYTES) return null;
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      return null;
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
