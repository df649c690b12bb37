/**
 * Limits on meetings, over a real Prosody: an account may own only so many live meetings at
 * once (creates fired all at once included), and a meeting nobody uses ends by itself, with
 * the room told why.
 */
import { describe, expect, it } from "vitest";
import xml, { type Element } from "@xmpp/xml";
import { NS } from "../../protocol/namespaces.ts";
import { decodeError } from "../../protocol/stanza-error.ts";
import { Follower } from "../../client-core/follower.ts";
import { waitFor } from "../support/deckcast.ts";
import { withDeckcast } from "../support/with-deckcast.ts";
import type { TestClient } from "../support/xmpp.ts";

const MAX = 3;
const IDLE_MS = 4000;
const env = withDeckcast({ limits: { meetingsPerAccount: MAX, meetingIdleMs: IDLE_MS } });

async function create(c: TestClient): Promise<{ code?: string; room?: string; jid?: string; error?: string | null }> {
  try {
    const res = await c.xmpp.iqCaller.request(xml("iq", { type: "set", to: env.dc.prosody.domains.component }, xml("create", { xmlns: NS.deckcast })));
    const a = res.getChild("meeting", NS.deckcast)!.attrs as { code: string; room: string; jid: string };
    return { code: a.code, room: a.room, jid: a.jid };
  } catch (err) {
    return { error: decodeError((err as { element: Element }).element).code };
  }
}

describe("meeting limits", () => {
  it("refuses an account's meeting over its quota, even when the creates arrive together", async () => {
    const alice = await env.user("alice");
    const bob = await env.user("bob");
    const results = await Promise.all(Array.from({ length: MAX + 4 }, () => create(alice)));
    expect(results.filter((r) => r.code)).toHaveLength(MAX);
    expect(results.filter((r) => !r.code).map((r) => r.error)).toEqual(Array(4).fill("quota-exceeded"));
    // Another account is not affected.
    expect((await create(bob)).code).toBeTruthy();
    // Ending one of alice's frees a place.
    const first = results.find((r) => r.code)!;
    await alice.xmpp.iqCaller.request(xml("iq", { type: "set", to: first.jid }, xml("end", { xmlns: NS.deckcast })));
    expect((await create(alice)).code).toBeTruthy();
  });

  it("ends a meeting nobody used for the idle time, and tells the room", async () => {
    const carol = await env.user("bob");
    const watcher = await env.guest();
    const m = await create(carol);
    const f = new Follower(watcher.xmpp, { room: m.room!, meeting: m.jid!, nick: "watcher" });
    await f.join();
    await waitFor(() => f.state?.ended === true, 20_000, "the idle meeting to end");
    // session-stop reaches the room before the component has finished ending: wait for that too.
    await waitFor(() => env.dc.component.meetings.get(m.code!) === undefined, 10_000, "the meeting to be gone");
    // The presenter's next bundle is told the session ended, not that the room never existed.
    const res = await carol.xmpp.iqCaller
      .request(xml("iq", { type: "set", to: m.jid }, xml("bundle", { xmlns: NS.deckcast, id: "late", t: "10" }, xml("page", { t: "10", page: "1" }))))
      .catch((err: { element: Element }) => decodeError(err.element).code);
    expect(res).toBe("session-ended");
  });
});
