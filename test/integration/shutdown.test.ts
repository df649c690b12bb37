/**
 * A clean stop of the server with a meeting open (SIGTERM, Ctrl+C: the entry point stops the
 * component): the meeting is not ended but marked interrupted, everything acknowledged is on
 * disk, and the next start resumes it and says when.
 */
import { readFile } from "node:fs/promises";
import path from "node:path";
import { describe, expect, it } from "vitest";
import xml from "@xmpp/xml";
import { NS } from "../../protocol/namespaces.ts";
import { waitFor } from "../support/deckcast.ts";
import { withDeckcast } from "../support/with-deckcast.ts";

const env = withDeckcast();

describe("a clean shutdown with a meeting open", () => {
  it("marks the meeting interrupted, keeps what was acknowledged, and resumes it at the next start", async () => {
    const alice = await env.user("alice");
    const res = await alice.xmpp.iqCaller.request(xml("iq", { type: "set", to: env.dc.prosody.domains.component }, xml("create", { xmlns: NS.deckcast })));
    const m = res.getChild("meeting", NS.deckcast)!.attrs as { code: string; jid: string };
    await alice.xmpp.iqCaller.request(xml("iq", { type: "set", to: m.jid }, xml("bundle", { xmlns: NS.deckcast, id: "p1", t: "5" }, xml("page", { t: "5", page: "3" }))));
    const dir = env.dc.component.meetings.get(m.code)!.archive.dir;
    const manifest = async () => JSON.parse(await readFile(path.join(dir, "manifest.json"), "utf8"));

    await env.dc.component.stop();
    const stopped = await manifest();
    expect(stopped.endedAt).toBeNull();
    expect(stopped.interruptions).toEqual([{ from: expect.any(String), to: null }]);
    const lines = (await readFile(path.join(dir, "events.jsonl"), "utf8")).trim().split("\n").map((l) => JSON.parse(l));
    expect(lines.map((l) => l.id)).toEqual(["srv-start", "p1"]);
    expect(lines.filter((l) => l.events.some((e: { type: string }) => e.type === "session-stop")), "lines stopping the session").toEqual([]);

    const component = await env.dc.restartComponent();
    await waitFor(() => component.meetings.get(m.code) !== undefined);
    const resumed = await manifest();
    expect(resumed.interruptions).toHaveLength(1);
    expect(Date.parse(resumed.interruptions[0].to)).toBeGreaterThanOrEqual(Date.parse(resumed.interruptions[0].from));
    expect(component.meetings.get(m.code)!.state.page).toBe(3);
  });
});
