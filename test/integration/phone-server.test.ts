/**
 * The phone bridge where it runs: mounted at /phone on the deckcast server (createDeckcast),
 * and as its own process's server (`deckcast bridge --upstream URL`, its startBridge), which
 * finds the XMPP domains and WebSocket from the upstream's /api/config. Two bridges in one
 * meeting: each is one occupant, and a phone's chat through one shows on the other's phones
 * as a phone's, via the bridge that sent it.
 */
import { WebSocket } from "ws";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LOGIN_FAILURES } from "../../protocol/login-token.ts";
import { PHONE_CLOSE } from "../../protocol/phone.ts";
import { PhoneClient } from "../../android-bridge/client/phone-client.ts";
import { main } from "../../server/cli/main.ts";
import { waitFor } from "../support/deckcast.ts";
import { PHONE_STACK_PASSWORD, PHONE_STACK_PROXY, startPhoneStack, type PhoneStack } from "../support/phone-stack.ts";
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

  it("a phone's wrong tokens count against the phone's address: they lock out that address (4002), never the server's own", async () => {
    // Phones on 127.0.0.2; the presenter logs in from 127.0.0.1, where the bridge's own token
    // checks come from: each check carries the phone's address, or ten wrong tokens from anyone
    // locked the presenter on the server's own computer out for a minute.
    const hello = JSON.stringify({ type: "hello", v: 1, meeting: "abcd1234", name: "x", user: "alice", token: `dct1-${"a".repeat(16)}-${"b".repeat(64)}` });
    /** How the bridge closes a phone with a wrong token, from `localAddress` (saying it is `forFor` when that is the trusted proxy). */
    const wrongToken = async (localAddress: string, forFor?: string): Promise<number> => {
      const ws = new WebSocket(`ws://127.0.0.1:${dc.port}/phone`, { localAddress, ...(forFor ? { headers: { "X-Forwarded-For": forFor } } : {}) });
      await new Promise((r, j) => ws.once("open", r).once("error", j));
      ws.send(hello);
      return new Promise<number>((r) => ws.once("close", (code) => r(code)));
    };
    const untilLocked = async (localAddress: string, forFor?: string): Promise<number[]> => {
      const codes: number[] = [];
      while (codes.length < LOGIN_FAILURES.burst + 5 && !codes.includes(PHONE_CLOSE.rateLimited)) codes.push(await wrongToken(localAddress, forFor));
      return codes;
    };
    const locked = [...Array(LOGIN_FAILURES.burst).fill(PHONE_CLOSE.badToken), PHONE_CLOSE.rateLimited];
    expect(await untilLocked("127.0.0.2")).toEqual(locked);
    const alice = await connectUser(dc.xmpp.prosody, "alice", PHONE_STACK_PASSWORD);
    clients.push(alice);
    // Behind a trusted reverse proxy the phone's own address counts: one phone locked out, not all.
    expect(await untilLocked(PHONE_STACK_PROXY, "127.0.0.4")).toEqual(locked);
    expect(await wrongToken(PHONE_STACK_PROXY, "127.0.0.5")).toBe(PHONE_CLOSE.badToken);
    // From anywhere else the header is not believed: the socket's address counts (127.0.0.2, locked).
    expect(await wrongToken("127.0.0.2", "127.0.0.6")).toBe(PHONE_CLOSE.rateLimited);
  });

  it("`deckcast bridge` is a command; without --upstream it is a usage error", async () => {
    let err = "";
    const code = await main(["bridge"], { stdout: { write: () => true }, stderr: { write: (t: string) => (err += t) }, env: {} });
    expect(code).toBe(2);
    expect(err).toContain("--upstream");
  });
});
