/**
 * The phone gateway (docs/phone-protocol.md): takes WebSocket upgrades at /phone, holds the
 * phones' sockets (phone-socket.ts), one meeting hub per meeting code (meeting-hub.ts), the
 * per-address socket limit and the heartbeats (one timer pings every socket each pingMs;
 * one silent for deadMs is closed with 4010).
 *
 * A hello with a token is checked by a short login of that account (xmpp-connect.ts) before
 * the phone joins, carrying the phone's address, so the server's limit on failed logins counts
 * them against the phone; at most limits.maxTokenChecks run at once. The meeting's occupant is
 * the bridge's own guest either way.
 */
import type { IncomingMessage } from "node:http";
import type { Duplex } from "node:stream";
import type { Logger } from "pino";
import { WebSocketServer, type WebSocket } from "ws";
import type { HelloFrame, PhoneFrame } from "../../protocol/phone.ts";
import { systemTimers, type Timers } from "../../client-core/timers.ts";
import { BRIDGE_LIMITS, type BridgeLimits } from "./limits.ts";
import { httpManifests, isAbsoluteBase, originOf, type ManifestSource } from "./prefetch.ts";
import { MeetingHub } from "./meeting-hub.ts";
import { PhoneSocket } from "./phone-socket.ts";
import type { TokenCheck, UpstreamConnector } from "./xmpp-connect.ts";
import { requestClient, type TrustedProxies } from "../../server/http/trusted-proxies.ts";

/** Frames over this are cut by the WebSocket layer (1009); between maxFrameBytes and it, the bridge closes with 4001. */
export const WS_MAX_PAYLOAD = 64 * 1024;

export interface PhoneGatewayOptions {
  connector: UpstreamConnector;
  log: Logger;
  timers?: Timers;
  limits?: Partial<BridgeLimits>;
  /** Base URL of the deck store phones load page images from ("" = the WebSocket's origin). */
  decks?: string;
  /**
   * Deck manifests for the phones' prefetch lists (the deck service's, inside the deckcast
   * server). Default: the `decks` URL's manifest route when `decks` is an http(s) URL, else none.
   */
  manifest?: ManifestSource;
  /**
   * Reverse proxies in front whose X-Forwarded-For is believed (server/http/trusted-proxies.ts):
   * behind one, every phone's socket comes from the proxy, and its per-address limits (sockets,
   * failed token checks) would count all phones as one.
   */
  trustedProxies?: TrustedProxies;
}

export interface GatewayStats {
  phones: number;
  /** Meetings the bridge is in (one room occupant each). */
  meetings: number;
  /** Per meeting code: joined phones. */
  perMeeting: Record<string, number>;
}

export interface PhoneGateway {
  /** Takes an upgrade request for /phone (owns `socket` from then on). */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void;
  stats(): GatewayStats;
  /** The hub of a meeting code (tests look at its phones' queues). */
  hub(code: string): MeetingHub | undefined;
  /** The phone sockets now (tests). */
  phones(): PhoneSocket[];
  /** Closes every phone (1001) and leaves every meeting. */
  stop(): Promise<void>;
}

export function createPhoneGateway(opts: PhoneGatewayOptions): PhoneGateway {
  const log = opts.log.child({ part: "phone-bridge" });
  const timers = opts.timers ?? systemTimers;
  const limits: BridgeLimits = { ...BRIDGE_LIMITS, ...opts.limits };
  const wss = new WebSocketServer({ noServer: true, maxPayload: WS_MAX_PAYLOAD, perMessageDeflate: false, clientTracking: false });
  const sockets = new Set<PhoneSocket>();
  const perAddress = new Map<string, number>();
  const hubs = new Map<string, MeetingHub>();
  let stopped = false;

  const manifest = opts.manifest ?? (isAbsoluteBase(opts.decks ?? "") ? httpManifests(opts.decks!) : null);
  const hubOf = (code: string): MeetingHub => {
    let hub = hubs.get(code);
    if (!hub || hub.closed) {
      hub = new MeetingHub(code, opts.connector, limits, timers, log, opts.decks ?? "", manifest, (done) => {
        if (hubs.get(code) === done) hubs.delete(code);
      });
      hubs.set(code, hub);
    }
    return hub;
  };

  /** Token checks under way: each is a login at the XMPP server, so at most limits.maxTokenChecks at once. */
  let checking = 0;

  async function hello(phone: PhoneSocket, frame: HelloFrame) {
    let nick = frame.name ?? "";
    if (frame.token !== undefined && frame.user !== undefined) {
      if (checking >= limits.maxTokenChecks) return phone.close("unavailable", "too many phones are logging in; try again in a moment");
      let answer: TokenCheck;
      checking++;
      try {
        answer = await opts.connector.checkToken(frame.user, frame.token, phone.address);
      } catch (err) {
        log.warn({ err: (err as Error).message }, "could not check a phone's token");
        return phone.close("unavailable", "cannot check the token now");
      } finally {
        checking--;
      }
      if (answer === "too-many") return phone.close("rateLimited", "too many failed logins from this address; wait a minute");
      if (answer !== "ok") return phone.close("badToken", "the token was refused");
      nick = frame.user;
    }
    if (phone.stage !== "joining") return;
    await hubOf(frame.meeting).join(phone, frame, nick);
  }

  const handlers = {
    frame(phone: PhoneSocket, frame: PhoneFrame) {
      if (frame.type === "hello") {
        hello(phone, frame).catch((err: Error) => {
          log.error({ err: err.message }, "phone join failed");
          phone.close("unavailable", "join failed");
        });
        return;
      }
      const hub = phone.meeting === null ? undefined : hubs.get(phone.meeting);
      if (phone.stage !== "joined" || !hub) {
        phone.send({ type: "error", code: "not-joined", message: "Wait for the welcome." });
        return;
      }
      if (frame.type === "mode") {
        const was = phone.audio;
        phone.audio = frame.audio;
        if (!was && frame.audio) phone.sendHeader(hub.header);
        return;
      }
      if (!phone.chatBucket.take()) {
        phone.send({ type: "error", code: "chat-rate", message: "Too many messages; wait a moment.", ...(frame.id === undefined ? {} : { id: frame.id }) });
        return;
      }
      hub.chat(phone, frame.text.trim(), frame.id);
    },
    closed(phone: PhoneSocket) {
      sockets.delete(phone);
      const n = (perAddress.get(phone.address) ?? 1) - 1;
      if (n > 0) perAddress.set(phone.address, n);
      else perAddress.delete(phone.address);
      for (const hub of hubs.values()) if (hub.phones.has(phone)) hub.leave(phone);
    },
  };

  const onConnection = (ws: WebSocket, address: string, origin: string) => {
    const count = perAddress.get(address) ?? 0;
    perAddress.set(address, count + 1);
    let phone: PhoneSocket | null = null;
    // Only a joined phone queues frames, so its meeting's hub is there (and open).
    const snapshot = () => hubs.get(phone!.meeting!)!.snapshotJson();
    phone = new PhoneSocket(ws, address, limits, timers, handlers, snapshot);
    phone.origin = origin;
    sockets.add(phone);
    if (count >= limits.maxSocketsPerAddress) phone.close("tooManySockets", "too many sockets from this address");
  };

  // Heartbeats: one timer for every socket.
  let beat: unknown = null;
  const heartbeat = () => {
    beat = null;
    if (stopped) return;
    const now = timers.now();
    for (const phone of [...sockets]) {
      if (now - phone.alive >= limits.deadMs) phone.close("dead", "no answer to pings");
      else {
        try {
          phone.ws.ping();
        } catch {
          /* closing */
        }
      }
    }
    beat = timers.set(heartbeat, limits.pingMs);
  };
  beat = timers.set(heartbeat, limits.pingMs);

  return {
    handleUpgrade(req, socket, head) {
      if (stopped) return void socket.destroy();
      const address = requestClient(req, opts.trustedProxies).address;
      wss.handleUpgrade(req, socket, head, (ws) => onConnection(ws, address, originOf(req)));
    },
    stats() {
      const perMeeting: Record<string, number> = {};
      for (const [code, hub] of hubs) perMeeting[code] = [...hub.phones].filter((p) => p.stage === "joined").length;
      return { phones: sockets.size, meetings: hubs.size, perMeeting };
    },
    hub: (code) => hubs.get(code),
    phones: () => [...sockets],
    async stop() {
      stopped = true;
      timers.clear(beat);
      for (const phone of [...sockets]) phone.close("goingAway", "the bridge is stopping");
      await Promise.all([...hubs.values()].map((h) => h.close()));
      hubs.clear();
      wss.close();
    },
  };
}
