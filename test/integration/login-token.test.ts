/**
 * Login tokens (prosody/modules/mod_auth_deckcast_token.lua) on the real Prosody: a
 * password login gets a token over XMPP, SASL PLAIN takes it in place of the password,
 * and wrong, expired, revoked, foreign and password-reset tokens are refused; passwords
 * (PLAIN and SCRAM) and `prosodyctl register` keep working; only the account itself, logged
 * in with its password, gets tokens; the stored record holds no token.
 */
import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { client, type Client } from "@xmpp/client";
import xml, { type Element } from "@xmpp/xml";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LOGIN_TOKEN, isLoginToken, loginTokenRequest, readLoginToken, revokeTokenRequest, type IssuedToken } from "../../protocol/login-token.ts";
import { startXmpp, type TestXmpp } from "../support/deckcast.ts";
import { connectGuest, connectUser, type TestClient } from "../support/xmpp.ts";

const PASSWORD = "login-token-password";
let env: TestXmpp;
const clients: TestClient[] = [];

beforeAll(async () => {
  // This file refuses many logins on purpose (expired, revoked, replaced tokens): above the per-address limit.
  env = await startXmpp({ loginFailures: { burst: 1000, windowSeconds: 60 } });
  await env.prosody.register("alice", PASSWORD);
  await env.prosody.register("bob", PASSWORD);
});

afterAll(async () => {
  for (const c of clients) await c.stop();
  await env?.cleanup();
});

async function user(name: string, secret: string): Promise<TestClient> {
  const c = await connectUser(env.prosody, name, secret);
  clients.push(c);
  return c;
}

/** Logs in with `mechanism`; resolves with the SASL condition ("ok" when it worked). */
async function tryLogin(name: string, secret: string, mechanism = "PLAIN"): Promise<string> {
  const xmpp: Client = client({
    service: `xmpp://127.0.0.1:${env.prosody.ports.c2s}`,
    domain: env.prosody.domains.accounts,
    resource: "try",
    credentials: (auth: (c: object, mech: string) => Promise<void>) => auth({ username: name, password: secret }, mechanism),
  } as never);
  xmpp.on("error", () => undefined);
  xmpp.reconnect.stop();
  try {
    await xmpp.start();
    return "ok";
  } catch (err) {
    return String((err as { condition?: string }).condition ?? (err as Error).message);
  } finally {
    await xmpp.stop().catch(() => undefined);
  }
}

async function issue(c: TestClient, seconds?: number): Promise<IssuedToken> {
  const res = await c.xmpp.iqCaller.request(xml("iq", { type: "set", to: env.prosody.domains.accounts }, loginTokenRequest(seconds)));
  const issued = readLoginToken(res);
  if (!issued) throw new Error(`no token in ${res.toString()}`);
  return issued;
}

/** The IQ's error condition, or "ok". */
async function ask(c: TestClient, payload: Element, to = env.prosody.domains.accounts): Promise<string> {
  try {
    await c.xmpp.iqCaller.request(xml("iq", { type: "set", to }, payload));
    return "ok";
  } catch (err) {
    const e = (err as { condition?: string; element?: Element }).element;
    return e?.children.find((ch): ch is Element => typeof ch !== "string" && ch.attrs.xmlns === "urn:ietf:params:xml:ns:xmpp-stanzas")?.name ?? String(err);
  }
}

describe("login tokens", () => {
  it("issues a 256-bit token valid 12 h to a password login, and PLAIN takes it as the password", async () => {
    const alice = await user("alice", PASSWORD);
    const before = Date.now();
    const t = await issue(alice);
    expect(isLoginToken(t.token)).toBe(true);
    expect(t.token).toHaveLength(LOGIN_TOKEN.length);
    expect(t.expires).toBeGreaterThanOrEqual(Math.floor(before / 1000) * 1000 + LOGIN_TOKEN.maxSeconds * 1000);
    expect(t.expires).toBeLessThanOrEqual(Date.now() + LOGIN_TOKEN.maxSeconds * 1000 + 1000);
    expect(await tryLogin("alice", t.token)).toBe("ok");
    expect(await tryLogin("alice", t.token)).toBe("ok"); // a token is not single-use: every reload uses it
    // Two tokens are different.
    expect((await issue(alice)).token).not.toBe(t.token);
  });

  it("refuses a wrong token, another account's token, and a malformed one", async () => {
    const alice = await user("alice", PASSWORD);
    const t = await issue(alice);
    const last = t.token.at(-1) === "0" ? "1" : "0";
    expect(await tryLogin("alice", t.token.slice(0, -1) + last)).toBe("not-authorized");
    expect(await tryLogin("alice", `dct1-${"0".repeat(16)}-${"0".repeat(64)}`)).toBe("not-authorized");
    expect(await tryLogin("bob", t.token)).toBe("not-authorized");
    expect(await tryLogin("alice", "dct1-nonsense")).toBe("not-authorized");
  });

  it("refuses an expired token (a client may ask for a shorter life)", async () => {
    const alice = await user("alice", PASSWORD);
    const t = await issue(alice, 1);
    expect(t.expires).toBeLessThanOrEqual(Date.now() + 2000);
    await new Promise((r) => setTimeout(r, Math.max(0, t.expires - Date.now()) + 1100));
    expect(await tryLogin("alice", t.token)).toBe("not-authorized");
    // Out-of-range lifetimes are refused, not clamped.
    expect(await ask(alice, loginTokenRequest(LOGIN_TOKEN.maxSeconds + 1))).toBe("bad-request");
    expect(await ask(alice, loginTokenRequest(0))).toBe("bad-request");
    expect(await ask(alice, xml("login-token", { xmlns: "urn:deckcast:0", seconds: "1e3" }))).toBe("bad-request");
  });

  it("refuses a revoked token, and revoking closes the sessions that logged in with it", async () => {
    const alice = await user("alice", PASSWORD);
    const t = await issue(alice);
    const keep = await issue(alice);
    const withToken = await user("alice", t.token);
    const closed = new Promise<void>((resolve) => withToken.xmpp.on("disconnect", () => resolve()));
    expect(await ask(alice, revokeTokenRequest({ token: t.token }))).toBe("ok");
    await closed;
    expect(await tryLogin("alice", t.token)).toBe("not-authorized");
    expect(await tryLogin("alice", keep.token)).toBe("ok"); // only that one
    expect(await ask(alice, revokeTokenRequest({ token: t.token }))).toBe("ok"); // again: nothing to do
    expect(await ask(alice, xml("revoke-token", { xmlns: "urn:deckcast:0" }))).toBe("bad-request");
    expect(await ask(alice, revokeTokenRequest({ all: true }))).toBe("ok");
    expect(await tryLogin("alice", keep.token)).toBe("not-authorized");
  });

  it("a session that logged in with a token may revoke it but not issue another", async () => {
    const alice = await user("alice", PASSWORD);
    const t = await issue(alice);
    const withToken = await user("alice", t.token);
    expect(await ask(withToken, loginTokenRequest())).toBe("not-allowed");
    const closed = new Promise<void>((resolve) => withToken.xmpp.on("disconnect", () => resolve()));
    expect(await ask(withToken, revokeTokenRequest({ token: t.token }))).toBe("ok"); // logout
    expect(await tryLogin("alice", t.token)).toBe("not-authorized");
    await withToken.stop();
    void closed;
  });

  it("answers only the account itself: guests and other addresses get nothing", async () => {
    const guest = await connectGuest(env.prosody);
    clients.push(guest);
    expect(await ask(guest, loginTokenRequest())).toBe("forbidden");
    expect(await ask(guest, revokeTokenRequest({ all: true }))).toBe("forbidden");
    // Asked of the guest host (not the account host) nothing answers with a token either.
    expect(await ask(guest, loginTokenRequest(), env.prosody.domains.guests)).toBe("service-unavailable");
  });

  it("keeps passwords working: PLAIN, SCRAM, a wrong password refused", async () => {
    expect(await tryLogin("alice", PASSWORD)).toBe("ok");
    expect(await tryLogin("alice", "not-the-password")).toBe("not-authorized");
    expect(await tryLogin("alice", PASSWORD, "SCRAM-SHA-1")).toBe("ok");
  });

  it("prosodyctl register still adds accounts, and a new password ends the account's tokens", async () => {
    await env.prosody.register("carol", "carol-password");
    expect(await tryLogin("carol", "carol-password")).toBe("ok");
    const carol = await user("carol", "carol-password");
    const t = await issue(carol);
    expect(await tryLogin("carol", t.token)).toBe("ok");
    await env.prosody.register("carol", "carol-new-password");
    expect(await tryLogin("carol", t.token)).toBe("not-authorized");
    expect(await tryLogin("carol", "carol-password")).toBe("not-authorized");
    expect(await tryLogin("carol", "carol-new-password")).toBe("ok");
  });

  it("stores only the token's hash, and never logs a token", async () => {
    const alice = await user("alice", PASSWORD);
    const t = await issue(alice);
    const paths = { data: env.xmpp.storageDir, log: env.xmpp.logPath };
    const files: string[] = [];
    const walk = async (dir: string): Promise<void> => {
      for (const e of await readdir(dir, { withFileTypes: true })) {
        const p = join(dir, e.name);
        if (e.isDirectory()) await walk(p);
        else files.push(p);
      }
    };
    await walk(paths.data);
    const secret = t.token.split("-")[2]!;
    const stored = files.filter((f) => f.includes("deckcast_login_tokens"));
    expect(stored.length).toBeGreaterThan(0);
    for (const f of [...files, paths.log]) expect(await readFile(f, "utf8"), f).not.toContain(secret);
  });
});
