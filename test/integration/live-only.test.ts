/**
 * Live-only meetings (issue 12 item 1; docs/protocol.md §Create a meeting): `<create
 * record="false">` runs the meeting as any other (its journal exists while it runs), says so
 * in the manifest (`record: false`) and in the room's status (state="live-only"), and leaves
 * no folder behind: not after `<end/>`, not after the component is killed and started again.
 * A clean shutdown (an interruption) resumes it like any meeting, and its end removes it.
 * A recorded meeting beside them keeps its folder. The component runs in a process of its own
 * (test/support/hostile-stack.ts) so it can be killed for real.
 */
import { readdir, readFile } from "node:fs/promises";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import xml, { type Element } from "@xmpp/xml";
import { NS } from "../../protocol/namespaces.ts";
import { recordingStatusOf } from "../../protocol/recording-status.ts";
import { decodeError } from "../../protocol/stanza-error.ts";
import { PASSWORD, startHostileStack, type HostileStack } from "../support/hostile-stack.ts";
import { waitFor } from "../support/deckcast.ts";
import { ORPHAN_ROOM_REASON } from "../../server/component/lifecycle.ts";
import { connectUser, type TestClient } from "../support/xmpp.ts";

const protocolDoc = (await readFile(new URL("../../docs/protocol.md", import.meta.url), "utf8")).replace(/\s+/g, " ");

describe("live-only meetings", () => {
  let stack: HostileStack;
  let alice: TestClient;
  const archives = () => path.join(stack.componentDataDir, "archives");
  const folders = async () => (await readdir(archives()).catch(() => [] as string[])).filter((n) => !n.startsWith("."));

  beforeAll(async () => {
    stack = await startHostileStack();
    alice = await connectUser(stack.prosody, "alice", PASSWORD, { reconnect: true });
  });
  afterAll(async () => {
    await alice?.stop();
    await stack?.stop();
  });

  const create = async (record?: "false" | "true" | "maybe") => {
    const res = await alice.xmpp.iqCaller.request(xml("iq", { type: "set", to: stack.prosody.domains.component }, xml("create", { xmlns: NS.deckcast, ...(record ? { record } : {}) }, xml("title", {}, "Private"))), 15_000);
    return res.getChild("meeting", NS.deckcast)!.attrs as { code: string; room?: string; jid: string; session: string; record?: string };
  };
  const end = (jid: string) => alice.xmpp.iqCaller.request(xml("iq", { type: "set", to: jid }, xml("end", { xmlns: NS.deckcast })), 15_000);
  /** Asks until the component (re)started answers. */
  const askStatus = async (jid: string) => {
    for (let i = 0; ; i++) {
      try {
        return recordingStatusOf(await alice.xmpp.iqCaller.request(xml("iq", { type: "get", to: jid }, xml("recording-status", { xmlns: NS.deckcast })), 5_000));
      } catch (err) {
        if (i > 50) throw err;
        await new Promise((r) => setTimeout(r, 200));
      }
    }
  };

  it("refuses a record value that is neither true nor false", async () => {
    const err = await create("maybe").then(
      () => null,
      (e: { element: Element }) => decodeError(e.element),
    );
    expect(err?.code).toBe("bad-request");
  });

  it("keeps the journal while live, says live-only, and leaves no folder after <end/>", async () => {
    const kept = await create();
    const m = await create("false");
    expect(m.record).toBe("false");
    expect(kept.record).toBeUndefined();
    const manifest = JSON.parse(await readFile(path.join(archives(), m.session, "manifest.json"), "utf8"));
    expect(manifest.record).toBe(false);
    expect(await readdir(path.join(archives(), m.session))).toContain("events.jsonl");
    const status = await askStatus(m.jid);
    expect(status?.ok && status.value.state).toBe("live-only");
    await end(m.jid);
    expect(await folders()).not.toContain(m.session);
    await end(kept.jid);
    expect(await folders()).toContain(kept.session); // a recorded meeting keeps its folder
  });

  it("leaves no folder after the component is killed and started again, and closes its room: whoever waits in it is told the meeting is over", async () => {
    const m = await create("false");
    expect(await folders()).toContain(m.session);
    // Alice waits in the room, as a presenter or follower would.
    const room = m.room!;
    const selfPresence = (p: Element) => String(p.attrs.from) === `${room}/alice` && !!p.getChild("x", NS.mucUser)?.getChildren("status").some((st) => st.attrs.code === "110");
    const seen: Element[] = [];
    const onStanza = (el: Element) => {
      if (el.is("presence") && selfPresence(el)) seen.push(el);
    };
    alice.xmpp.on("stanza", onStanza);
    await alice.xmpp.send(xml("presence", { to: `${room}/alice` }, xml("x", { xmlns: NS.muc })));
    await waitFor(() => seen.length > 0, 10_000, "alice in the room");
    await stack.component.kill9();
    await stack.startComponent();
    await waitFor(() => stack.component.online, 30_000, "the component again");
    expect(await folders()).not.toContain(m.session);
    const asked = await alice.xmpp.iqCaller.request(xml("iq", { type: "get", to: m.jid }, xml("state", { xmlns: NS.deckcast })), 10_000).then(
      () => null,
      (e: { element: Element }) => decodeError(e.element),
    );
    expect(asked?.code).toBe("unknown-room");
    await waitFor(() => seen.some((p) => p.attrs.type === "unavailable"), 10_000, "the room closed");
    alice.xmpp.off("stanza", onStanza);
    const destroy = seen.find((p) => p.attrs.type === "unavailable")!.getChild("x", NS.mucUser)!.getChild("destroy");
    expect(destroy?.getChildText("reason")).toBe(ORPHAN_ROOM_REASON);
    expect(protocolDoc, "docs/protocol.md quotes the reason").toContain(ORPHAN_ROOM_REASON);
  });

  it("resumes after a clean restart, and its end removes it", async () => {
    const m = await create("false");
    await stack.component.stop();
    await stack.startComponent();
    await waitFor(() => stack.component.online, 30_000, "the component again");
    expect(await folders()).toContain(m.session);
    const status = await askStatus(m.jid);
    expect(status?.ok && status.value.state).toBe("live-only");
    await end(m.jid);
    expect(await folders()).not.toContain(m.session);
  });
});
