/**
 * What /healthz says about each part of deckcast, and the console line for each change of
 * Prosody's state. Pure functions of the parts' own reports; app.ts answers /healthz and
 * server/deckcast.ts wires the parts:
 *
 *   prosody    the XMPP server's state (server/xmpp-server.ts `health()`; Prosody's supervisor):
 *              ok only while "running"
 *   xmpp       (external XMPP server only, instead of `prosody`) the server deckcast does not run:
 *              ok while the component link is online and its client port answers; `reconnects`
 *              counts the link's returns after the first connection, `since` is when it last came up
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

/** The component link's history: how often it came back after its first connection, and when it last did. */
export interface LinkHistory {
  reconnects: number;
  /** ISO time the link last came online; null before its first connection. */
  since: string | null;
}

/** Keeps a LinkHistory of `link`'s "online" events (the object is updated in place). */
export function trackLinkHistory(link: { on(event: "online", listener: () => void): unknown }, now: () => Date = () => new Date()): LinkHistory {
  const history: LinkHistory = { reconnects: 0, since: null };
  link.on("online", () => {
    if (history.since !== null) history.reconnects++;
    history.since = now().toISOString();
  });
  return history;
}

/**
 * An external XMPP server's part: the link online and its client port answering (its `health()`
 * probes it). Where the server is stays out: /healthz is public, the deployment's layout is not.
 */
export function externalXmppPart(h: ProsodyHealth, linkOnline: boolean, history: LinkHistory): HealthPart {
  const clientPort = h.state === "running";
  return { ok: linkOnline && clientPort, state: h.state, online: linkOnline, clientPort, reconnects: history.reconnects, since: history.since };
}

/** The console line for an external server's client port going from `prev` to `next`, or null. */
export function externalConsoleLine(prev: ProsodyHealth["state"], next: ProsodyHealth["state"], server: string): string | null {
  if (prev === next) return null;
  if (next === "restarting") return `deckcast: the XMPP server at ${server} does not answer; waiting for it to come back`;
  if (next === "running" && prev === "restarting") return `deckcast: the XMPP server at ${server} answers again`;
  return null;
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
