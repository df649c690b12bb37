/**
 * Failed logins are limited per address (LOGIN_FAILURES, prosody/modules/mod_auth_deckcast_token.lua):
 * after `burst` wrong passwords from one address, the next login from it — even with the right
 * password — is answered `temporary-auth-failure` with a sentence saying why, before its
 * credentials are read; a guest from the same address still joins. Real Prosody, over TCP.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { client, xml, type Client } from "@xmpp/client";
import { LOGIN_FAILURES } from "../../protocol/login-token.ts";
import { withProsody, type TestProsody } from "../support/prosody.ts";

const PASSWORD = "login-limit-password";
let env: TestProsody;
beforeAll(async () => {
  env = await withProsody();
  await env.prosody.register("ann", PASSWORD);
});
afterAll(async () => {
  await env?.cleanup();
});

/** One login; resolves with "ok" or the SASL condition and text it was refused with. */
async function attempt(domain: string, credentials?: { username: string; password: string }): Promise<{ result: string; text?: string }> {
  const xmpp: Client = client({
    service: `xmpp://127.0.0.1:${env.prosody.ports.c2s}`,
    domain,
    resource: "limit",
    ...(credentials ? { credentials: (auth: (c: object, m: string, ua: unknown) => Promise<void>) => auth(credentials, "PLAIN", xml("user-agent", { id: "limit-test" })) } : {}),
  } as never);
  xmpp.on("error", () => undefined);
  xmpp.reconnect.stop();
  try {
    await xmpp.start();
    await xmpp.stop();
    return { result: "ok" };
  } catch (err) {
    await xmpp.stop().catch(() => undefined);
    const e = err as { condition?: string; text?: string };
    return { result: e.condition ?? String(err), ...(e.text ? { text: e.text } : {}) };
  }
}

describe("failed logins from one address", () => {
  it(`are refused for a while after ${LOGIN_FAILURES.burst}, even with the right password; guests are not affected`, async () => {
    expect((await attempt("localhost", { username: "ann", password: PASSWORD })).result).toBe("ok");
    for (let i = 0; i < LOGIN_FAILURES.burst; i++) {
      expect((await attempt("localhost", { username: "ann", password: `wrong-${i}` })).result, `attempt ${i + 1}`).toBe("not-authorized");
    }
    const locked = await attempt("localhost", { username: "ann", password: PASSWORD });
    expect(locked).toEqual({ result: "temporary-auth-failure", text: "Too many failed logins from this address; wait a minute and try again" });
    expect((await attempt("localhost", { username: "nobody", password: "x" })).result).toBe("temporary-auth-failure");
    // Still refused a second later: the bucket has drained a sixth of a failure, not a whole one
    // (whole-second time and "level < burst" let this one in, whenever a second ticked over).
    await new Promise((r) => setTimeout(r, 1100));
    expect((await attempt("localhost", { username: "ann", password: PASSWORD })).result).toBe("temporary-auth-failure");
    expect((await attempt(env.prosody.domains.guests)).result).toBe("ok");
  });
});
