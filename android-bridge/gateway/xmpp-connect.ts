/**
 * The bridge's XMPP connections to a deckcast server (its XMPP-over-WebSocket endpoint): a
 * guest on the guests domain for each meeting's one occupant, and a short login that checks a
 * phone's account token (SASL PLAIN with the token in place of the password, as the web client
 * logs in after a reload; docs/protocol.md §Login tokens), then logs out.
 *
 * Node 20 has no global WebSocket, which @xmpp/websocket uses: the `ws` package's stands in.
 */
import { client, type Client } from "@xmpp/client";
import { WebSocket as NodeWebSocket } from "ws";
import Socket, { isSecure } from "@xmpp/websocket/lib/Socket.js";
import type { ClientConfig } from "../../protocol/client-config.ts";

export interface UpstreamTarget {
  /** ws(s)://…/xmpp-websocket */
  websocketUrl: string;
  domains: ClientConfig["domains"];
}

/** Makes the XMPP connections the bridge uses (tests and the standalone bridge give their own target). */
export interface UpstreamConnector {
  readonly domains: ClientConfig["domains"];
  /** A guest connection, online, reconnecting on its own. */
  guest(): Promise<Client>;
  /**
   * "ok" when `user` may log in with `token`, "refused" when the server refuses it, "too-many"
   * when the server refuses logins from `address` for now (too many failed ones); throws when
   * it cannot be asked. `address` is the phone's: the login carries it as X-Forwarded-For, so
   * the server counts a phone's failed tokens against the phone, not against the bridge's own
   * address (which, on 127.0.0.1, is also where a presenter on the server's own computer logs in).
   */
  checkToken(user: string, token: string, address: string): Promise<TokenCheck>;
}

export type TokenCheck = "ok" | "refused" | "too-many";

/**
 * @xmpp/websocket's socket, opened with an X-Forwarded-For header (the `ws` package takes
 * headers; the browser's WebSocket, which @xmpp/websocket was written for, does not).
 */
function forwardingSocket(address: string): typeof Socket {
  return class extends Socket {
    override connect(url: string): void {
      this.url = url;
      this.secure = isSecure(url);
      this._attachSocket(new NodeWebSocket(url, ["xmpp"], { headers: { "X-Forwarded-For": address } }));
    }
  };
}

function ensureWebSocket(): void {
  const g = globalThis as { WebSocket?: unknown };
  g.WebSocket ??= NodeWebSocket;
}

const rand = () => Math.random().toString(36).slice(2, 10);

async function start(xmpp: Client, reconnect: boolean): Promise<Client> {
  xmpp.on("error", () => undefined); // surfaced by start() and the status events
  if (!reconnect) xmpp.reconnect.stop();
  try {
    await xmpp.start();
  } catch (err) {
    xmpp.reconnect.stop();
    await xmpp.stop().catch(() => undefined);
    throw err;
  }
  return xmpp;
}

export function xmppConnector(target: UpstreamTarget): UpstreamConnector {
  ensureWebSocket();
  return {
    domains: target.domains,
    guest() {
      const xmpp = client({ service: target.websocketUrl, domain: target.domains.guests, resource: `bridge-${rand()}`, timeout: 15_000, credentials: (auth: (c: object, m: string) => Promise<void>) => auth({}, "ANONYMOUS") } as never);
      return start(xmpp, true);
    },
    async checkToken(user, token, address) {
      const xmpp = client({
        service: target.websocketUrl,
        domain: target.domains.accounts,
        resource: `bridge-check-${rand()}`,
        timeout: 15_000,
        credentials: (auth: (c: object, m: string) => Promise<void>) => auth({ username: user, password: token }, "PLAIN"),
      } as never);
      // @xmpp/client sets its Socket class from the transport at every connect: this one stays.
      const Forwarding = forwardingSocket(address);
      Object.defineProperty(xmpp, "Socket", { get: () => Forwarding, set: () => undefined, configurable: true });
      try {
        await start(xmpp, false);
      } catch (err) {
        // A SASL failure is the server's answer; anything else means it could not be asked.
        const e = err as { name?: string; condition?: string };
        if (e.name === "SASLError") return e.condition === "temporary-auth-failure" ? "too-many" : "refused";
        throw err;
      }
      await xmpp.stop().catch(() => undefined);
      return "ok";
    },
  };
}
