/**
 * What /healthz says about each part of deckcast, and the console line for each change of
 * Prosody's state. Pure functions of the parts' own reports; app.ts answers /healthz and
 * server/deckcast.ts wires the parts:
 *
 *   prosody    the XMPP server's state (server/xmpp-server.ts `health()`; Prosody's supervisor):
 *              ok only while "running"
 *   component  the XEP-0114 link to Prosody: ok while online
 *   decks      the deck converters: ok once warmed up, and while the service reports itself ok
 *   http       ok (it answered)
 *
 * Status 200 only when every part is ok, else 503; the body is {ok, parts: {name: {ok, …}}}.
 */
import type { XmppHealth as ProsodyHealth } from "../xmpp-server.ts";
import type { HealthPart } from "./app.ts";

export type { ProsodyHealth };

export function prosodyPart(h: ProsodyHealth): HealthPart {
  return { ok: h.state === "running", state: h.state, restarts: h.restarts, pid: h.pid };
}

export function componentPart(online: boolean): HealthPart {
  return { ok: online, online };
}

/** A deck service may report its own health; until it does, warm-up is all we know. */
export interface DecksHealthSource {
  warmedUp: boolean;
  report?: (() => { ok: boolean } & Record<string, unknown>) | undefined;
}

export function decksPart({ warmedUp, report }: DecksHealthSource): HealthPart {
  if (!warmedUp) return { ok: false, state: "starting" };
  if (!report) return { ok: true, state: "running" };
  const r = report();
  return { ...r, ok: r.ok, state: r.ok ? "running" : "degraded" };
}

/**
 * The console line for Prosody going from `prev` to `next`, or null when there is nothing
 * to tell (starting up, a clean stop, no change).
 */
export function prosodyConsoleLine(prev: ProsodyHealth | null, next: ProsodyHealth, logPath: string): string | null {
  if (prev && prev.state === next.state && prev.restarts === next.restarts) return null;
  // `restarts` counts every try since the launch; the bound is per 10 minutes, so "n of max" only while n ≤ max.
  const nth = (n: number) => (n <= next.maxRestarts ? `${n} of ${next.maxRestarts}` : `restart ${n}`);
  switch (next.state) {
    case "restarting":
      return `deckcast: Prosody stopped unexpectedly; restarting (${nth(next.restarts + 1)})`;
    case "running":
      if (!prev || prev.state === "starting" || prev.state === "running") return null;
      return `deckcast: Prosody is running again (pid ${next.pid ?? "?"}, after ${nth(next.restarts)})`;
    case "failed":
      return `deckcast: Prosody has failed for good after ${next.restarts} restarts; XMPP is down until deckcast is restarted (see ${logPath})`;
    default:
      return null;
  }
}
