/**
 * /healthz's `xmpp` part for an external XMPP server (server/http/health.ts): ok only while the
 * component link is online AND the server's client port answers; `reconnects` counts the
 * link's returns after its first connection and `since` is when it last came up (clock
 * injected). The console says when the server stops answering and when it answers again.
 */
import { EventEmitter } from "node:events";
import { describe, expect, it } from "vitest";
import { externalConsoleLine, externalXmppPart, trackLinkHistory } from "../../server/http/health.ts";
import type { XmppHealth } from "../../server/xmpp-server.ts";

const h = (state: XmppHealth["state"]): XmppHealth => ({ state, restarts: 0, pid: null, maxRestarts: 0 });

describe("the external XMPP server's health part", () => {
  it("counts reconnects after the first connection, with the time of the last", () => {
    const link = new EventEmitter();
    let now = Date.UTC(2026, 0, 1, 12, 0, 0);
    const history = trackLinkHistory(link, () => new Date(now));
    expect(history).toEqual({ reconnects: 0, since: null });
    link.emit("online");
    expect(history).toEqual({ reconnects: 0, since: "2026-01-01T12:00:00.000Z" });
    now += 60_000;
    link.emit("online");
    now += 60_000;
    link.emit("online");
    expect(history).toEqual({ reconnects: 2, since: "2026-01-01T12:02:00.000Z" });
  });

  it("is ok only with the link online and the client port answering", () => {
    const history = { reconnects: 1, since: "2026-01-01T12:00:00.000Z" };
    expect(externalXmppPart(h("running"), true, history)).toEqual({ ok: true, state: "running", online: true, clientPort: true, reconnects: 1, since: history.since });
    expect(externalXmppPart(h("running"), false, history).ok).toBe(false);
    for (const s of ["starting", "restarting", "stopped"] as const) expect(externalXmppPart(h(s), true, history)).toMatchObject({ ok: false, clientPort: false });
  });

  it("says on the console when the server stops answering and when it answers again, once each", () => {
    expect(externalConsoleLine("starting", "running", "prosody:5222")).toBeNull();
    expect(externalConsoleLine("running", "restarting", "prosody:5222")).toMatch(/prosody:5222 does not answer/);
    expect(externalConsoleLine("restarting", "restarting", "prosody:5222")).toBeNull();
    expect(externalConsoleLine("restarting", "running", "prosody:5222")).toMatch(/answers again/);
    expect(externalConsoleLine("running", "stopped", "prosody:5222")).toBeNull();
  });
});
