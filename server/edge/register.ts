/**
 * The edge's registration with its central server: every 30 s (EDGE_REGISTRY.refreshMs) it
 * POSTs its LAN URLs to `/api/edges` with the operator token, so the central server's join
 * page can tell followers in this office to use it (server/http/edge-registry.ts keeps each
 * for 90 s). Without a token the edge only checks the upstream is reachable (GET /api/config)
 * at the same pace, for /api/health. A refusal (bad token, bad URLs) is logged once per change,
 * never thrown. Timers injected for tests.
 */
import type { Logger } from "pino";
import { EDGE_REGISTRY, EDGES_PATH } from "../../protocol/edge-registry.ts";
import type { Upstream } from "./upstream.ts";

export interface Registration {
  /** The last attempt's outcome: "registered", "refused <status>", "unreachable", "probe-only", or "not yet". */
  state(): string;
  /** Runs one attempt now (tests; the loop runs them by itself). */
  tick(): Promise<void>;
  /** Stops registering and withdraws the URLs (one bounded try: a stop never waits long on the upstream). */
  stop(): Promise<void>;
}

export interface RegistrationTimers {
  setInterval(fn: () => void, ms: number): unknown;
  clearInterval(handle: unknown): void;
}

const realTimers: RegistrationTimers = {
  setInterval: (fn, ms) => {
    const t = setInterval(fn, ms);
    t.unref();
    return t;
  },
  clearInterval: (h) => clearInterval(h as NodeJS.Timeout),
};

/** How long a stopping edge waits for the upstream to take its withdrawal. */
const WITHDRAW_TIMEOUT_MS = 2000;

export function startRegistration(o: { upstream: Upstream; token: string | null; urls: () => string[]; log: Logger; everyMs?: number; timers?: RegistrationTimers }): Registration {
  const log = o.log.child({ part: "edge-register" });
  const timers = o.timers ?? realTimers;
  let state = "not yet";
  let running: Promise<void> | null = null;
  const set = (next: string, level: "info" | "warn") => {
    if (next !== state) log[level]({ upstream: o.upstream.base, state: next }, "edge registration");
    state = next;
  };

  async function attempt(): Promise<void> {
    const urls = o.urls();
    try {
      if (!o.token || urls.length === 0) {
        const res = await o.upstream.get("/api/config", { maxBytes: 64 * 1024, timeoutMs: 10_000, accept: "application/json" });
        return set(res.status === 200 ? "probe-only" : `refused ${res.status}`, res.status === 200 ? "info" : "warn");
      }
      const res = await o.upstream.postJson(EDGES_PATH, { urls }, { authorization: `Bearer ${o.token}` });
      set(res.status === 200 ? "registered" : `refused ${res.status}`, res.status === 200 ? "info" : "warn");
    } catch {
      set("unreachable", "warn");
    }
  }
  const tick = () => (running ??= attempt().finally(() => (running = null)));
  void tick();
  const handle = timers.setInterval(() => void tick(), o.everyMs ?? EDGE_REGISTRY.refreshMs);
  return {
    state: () => state,
    tick,
    async stop() {
      timers.clearInterval(handle);
      await running?.catch(() => undefined);
      if (!o.token || state !== "registered") return;
      try {
        await o.upstream.postJson(EDGES_PATH, { urls: [] }, { authorization: `Bearer ${o.token}` }, WITHDRAW_TIMEOUT_MS);
        set("withdrawn", "info");
      } catch {
        // the upstream is gone: the registration expires there by itself
      }
    },
  };
}
