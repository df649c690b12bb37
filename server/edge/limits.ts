/** The edge's limits, stated once (server/edge/). */
export const UPSTREAM_LIMITS = {
  /** Any one request to the upstream: the whole answer within this. */
  timeoutMs: 30_000,
  /** Largest body passed through (GET /api/*, /decks/<id>…; held in memory while it passes). */
  maxPassBytes: 16 * 1024 * 1024,
  /** Pass-throughs at once; more are answered 503 `edge-busy` (memory stays under 16 × 16 MiB). */
  maxConcurrentPasses: 16,
  /** Largest manifest read. */
  maxManifestBytes: 1024 * 1024,
  /** Manifests held in memory (deck × width). */
  maxManifests: 64,
  /** Images fetched from the upstream at once (the rest wait). */
  maxConcurrentFetches: 8,
  /** Image fetches waiting behind those, at most; past it a request is answered 503 edge-busy at once. */
  maxWaitingFetches: 256,
} as const;

export const EDGE_DEFAULTS = {
  port: 8081,
  /** The blob cache's size bound. */
  cacheBytes: 2 * 1024 ** 3,
} as const;
