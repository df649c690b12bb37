/**
 * The phone bridge where it runs: mounted at /phone on the deckcast server (createDeckcast),
 * and as its own process's server (`deckcast bridge --upstream URL`, its startBridge), which
 * finds the XMPP domains and WebSocket from the upstream's /api/config. Two bridges in one
 * meeting: each is one occupant, and a phone's chat through one shows on the other's phones
 * as a phone's, via the bridge that sent it.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PhoneClient } from "../../android-bridge/client/phone-client.ts";
import { main } from "../../server/cli/main.ts";
import { waitFor } from "../support/deckcast.ts";
import { PHONE_STACK_PASSWORD, startPhoneStack, type PhoneStack } from "../support/phone-stack.ts";
import { connectUser, createMeeting, type TestClient } from "../support/xmpp.ts";

let stack: PhoneStack;
let dataDir: string;
let dc: PhoneStack["dc"];
let base: string;
let standalone: PhoneStack["standalone"];
let clients: TestClient[];
let phones: PhoneClient[];

beforeAll(async () => {
  stack = await startPhoneStack("phone");
  ({ dataDir, dc, base, standalone, clients, phones } = stack);
}, 120_000);
afterAll(async () => {
  await stack?.stop();
});

describe("the phone bridge in place", () => {
  it("is at /phone on the deckcast server and on a standalone bridge; chat crosses bridges", async () => {
    const alice = await connectUser(dc.xmpp.prosody, "alice", PHONE_STACK_PASSWORD);
    clients.push(alice);
    const meeting = await createMeeting(alice, dc.xmpp.domains.component, "Two bridges");
    const onServer = new PhoneClient({ url: `ws://127.0.0.1:${dc.port}`, meeting: meeting.code, name: "Fern" });
    const onBridge = new PhoneClient({ url: `ws://127.0.0.1:${standalone.port}`, meeting: meeting.code, name: "Ash" });
    phones.push(onServer, onBridge);
    const [w1, w2] = [await onServer.connect(), await onBridge.connect()];
    expect(w1.state).toEqual(w2.state);
    expect(w1.decks).toBe("");
    expect(w2.decks).toBe(base);
    expect(dc.phones.stats().meetings).toBe(1);
    expect(standalone.gateway.stats().perMeeting[meeting.code]).toBe(1);
    onBridge.chat("from the standalone bridge", "c1");
    await waitFor(() => onServer.frames.some((f) => f.type === "chat" && f.text === "from the standalone bridge"));
    const got = onServer.frames.find((f) => f.type === "chat" && f.text === "from the standalone bridge");
    expect(got).toMatchObject({ nick: "Ash", phone: true, via: expect.stringMatching(/^phones-/) });
    await onServer.close();
    await onBridge.close();
  });

  it("`deckcast bridge` is a command; without --upstream it is a usage error", async () => {
    let err = "";
    const code = await main(["bridge"], { stdout: { write: () => true }, stderr: { write: (t: string) => (err += t) }, env: {} });
    expect(code).toBe(2);
    expect(err).toContain("--upstream");
  });
});
