/**
 * Logging in over XMPP-over-WebSocket through the deckcast origin (server/http/ws-proxy.ts).
 *
 * - Accounts use SASL PLAIN: SCRAM's PBKDF2 costs ~2 s of CPU per login in JavaScript
 *   (FACTS.md); the WebSocket is same-origin, and https deployments encrypt it.
 * - Guests log in with SASL ANONYMOUS on the guest domain: no account needed.
 * - After a reload, an account logs in with its login token (docs/protocol.md §Login tokens)
 *   over the same PLAIN, in place of the password; `issueLoginToken` asks for one after a
 *   password login and `revokeLoginToken` ends it at logout.
 * - A `userAgent` id is passed so that @xmpp/client never calls crypto.randomUUID, which
 *   plain-http LAN origins lack.
 * - On a page from an edge, the connection falls back to the central server's WebSocket when the
 *   edge's cannot be had (edge-fallback.ts).
 * - A link that died without a close is noticed by keepalive pings and reconnected (liveness.ts).
 */
import { client, xml, type Client } from "@xmpp/client";
import { loginTokenRequest, readLoginToken, revokeTokenRequest, type IssuedToken } from "../../../protocol/login-token.ts";
import { websocketUrl, type ClientConfig } from "./config.ts";
import { firstConnectFallback, watchEdge } from "./edge-fallback.ts";
import { randomId } from "./ids.ts";
import { watchLiveness } from "./liveness.ts";

export type Identity =
  | { kind: "account"; username: string; password: string }
  | { kind: "token"; username: string; token: string }
  | { kind: "guest" };

type Authenticate = (credentials: object, mechanism: string, userAgent?: unknown) => Promise<void>;

/** Connects and resolves once online; rejects with the login error (see errors.ts for words). */
export async function connect(config: ClientConfig, who: Identity): Promise<Client> {
  const userAgent = xml("user-agent", { id: randomId(16) }, xml("software", {}, "deckcast web"));
  const options = {
    service: websocketUrl(config),
    domain: who.kind === "guest" ? config.domains.guests : config.domains.accounts,
    resource: `web-${randomId(6)}`,
    userAgent,
    timeout: 15_000,
    credentials: (auth: Authenticate, mechanisms: string[]) => {
      if (who.kind === "guest") return auth({}, mechanisms.includes("ANONYMOUS") ? "ANONYMOUS" : mechanisms[0]!);
      const secret = who.kind === "token" ? who.token : who.password;
      return auth({ username: who.username.trim(), password: secret }, "PLAIN");
    },
  };
  const xmpp = client(options as unknown as Parameters<typeof client>[0]);
  // Errors surface through start() and the status events; an unhandled "error" event would throw.
  xmpp.on("error", () => undefined);
  try {
    try {
      await xmpp.start();
    } catch (err) {
      // An edge whose WebSocket does not answer: once more, on the central server's.
      if (!firstConnectFallback(xmpp, config, err)) throw err;
      await xmpp.stop().catch(() => undefined);
      await xmpp.start();
    }
  } catch (err) {
    xmpp.reconnect.stop();
    await xmpp.stop().catch(() => undefined);
    throw err;
  }
  watchEdge(xmpp, config);
  watchLiveness(xmpp);
  return xmpp;
}

/** Stops reconnecting and closes the stream. */
export async function disconnect(xmpp: Client): Promise<void> {
  xmpp.reconnect.stop();
  await xmpp.stop().catch(() => undefined);
}

/** Asks the account's server for a login token (a password login only; see protocol/login-token.ts). */
export async function issueLoginToken(xmpp: Client, config: ClientConfig): Promise<IssuedToken> {
  const res = await xmpp.iqCaller.request(xml("iq", { type: "set", to: config.domains.accounts }, loginTokenRequest()), 10_000);
  const issued = readLoginToken(res);
  if (!issued) throw new Error("the server answered without a login token");
  return issued;
}

/** Ends a login token (logout); resolves either way: the caller forgets the token regardless. */
export async function revokeLoginToken(xmpp: Client, config: ClientConfig, token: string): Promise<void> {
  await xmpp.iqCaller.request(xml("iq", { type: "set", to: config.domains.accounts }, revokeTokenRequest({ token })), 5_000).catch(() => undefined);
}
