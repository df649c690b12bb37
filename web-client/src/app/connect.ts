/**
 * Logging in over XMPP-over-WebSocket through the deckcast origin (server/http/ws-proxy.ts).
 *
 * - Accounts use SASL PLAIN: SCRAM's PBKDF2 costs ~2 s of CPU per login in JavaScript
 *   (FACTS.md); the WebSocket is same-origin, and https deployments encrypt it.
 * - Guests log in with SASL ANONYMOUS on the guest domain: no account needed.
 * - A `userAgent` id is passed so that @xmpp/client never calls crypto.randomUUID, which
 *   plain-http LAN origins lack.
 */
import { client, xml, type Client } from "@xmpp/client";
import { websocketUrl, type ClientConfig } from "./config.ts";
import { randomId } from "./ids.ts";

export type Identity = { kind: "account"; username: string; password: string } | { kind: "guest" };

type Authenticate = (credentials: object, mechanism: string, userAgent?: unknown) => Promise<void>;

/** Connects and resolves once online; rejects with the login error (see errors.ts for words). */
export async function connect(config: ClientConfig, who: Identity): Promise<Client> {
  const userAgent = xml("user-agent", { id: randomId(16) }, xml("software", {}, "deckcast web"));
  const options = {
    service: websocketUrl(config),
    domain: who.kind === "account" ? config.domains.accounts : config.domains.guests,
    resource: `web-${randomId(6)}`,
    userAgent,
    timeout: 15_000,
    credentials: (auth: Authenticate, mechanisms: string[]) => {
      if (who.kind === "guest") return auth({}, mechanisms.includes("ANONYMOUS") ? "ANONYMOUS" : mechanisms[0]!);
      return auth({ username: who.username.trim(), password: who.password }, "PLAIN");
    },
  };
  const xmpp = client(options as unknown as Parameters<typeof client>[0]);
  // Errors surface through start() and the status events; an unhandled "error" event would throw.
  xmpp.on("error", () => undefined);
  try {
    await xmpp.start();
  } catch (err) {
    xmpp.reconnect.stop();
    await xmpp.stop().catch(() => undefined);
    throw err;
  }
  return xmpp;
}

/** Stops reconnecting and closes the stream. */
export async function disconnect(xmpp: Client): Promise<void> {
  xmpp.reconnect.stop();
  await xmpp.stop().catch(() => undefined);
}
