/**
 * One meeting as the bridge holds it: ONE XMPP connection (a guest) and ONE occupant in the
 * meeting's room, whatever the number of phones. A Follower (client-core) gives the room's
 * bundles in order with gaps filled and rejoins after a reconnect; this adds what phones get
 * besides: chat (with phone names, protocol/phone-chat.ts), the occupant count, the recording
 * status, and sends phones' chat to the room.
 *
 * open() first asks the component for the meeting's state: an unknown code is refused by the
 * component (unknown-room) before anything joins, so a bridge never creates a room.
 */
import type { Client } from "@xmpp/client";
import { stateRequest } from "../../protocol/catch-up.ts";
import { affiliationOf, occupantNick } from "../../protocol/muc.ts";
import { NS } from "../../protocol/namespaces.ts";
import { phoneChatMessage, phoneNameOf } from "../../protocol/phone-chat.ts";
import { recordingStatusOf, type RecordingStatus } from "../../protocol/recording-status.ts";
import { decodeError } from "../../protocol/stanza-error.ts";
import type { RoomState, StampedBundle } from "../../protocol/types.ts";
import type { Element } from "../../protocol/xml-read.ts";
import { Emitter } from "../../client-core/emitter.ts";
import { Follower } from "../../client-core/follower.ts";
import type { Timers } from "../../client-core/timers.ts";
import type { XmppLike } from "../../client-core/xmpp-like.ts";
import type { UpstreamConnector } from "./xmpp-connect.ts";

export interface RoomChat {
  /** The sender's nick in the room. */
  nick: string;
  text: string;
  id: string | null;
  /** The phone user's name, when a bridge sent it for a phone. */
  phone: string | null;
}

export interface UpstreamEvents extends Record<string, unknown[]> {
  bundle: [StampedBundle, RoomState];
  chat: [RoomChat];
  /** The room refused a message we sent (by its id). */
  chatRefused: [string];
  occupants: [number];
  recording: [RecordingStatus];
  error: [Error];
}

/** Why a meeting could not be opened: `unknown` (no such meeting) or `unavailable` (anything else). */
export class OpenFailed extends Error {
  constructor(
    readonly kind: "unknown" | "unavailable",
    message: string,
  ) {
    super(message);
    this.name = "OpenFailed";
  }
}

export class MeetingUpstream extends Emitter<UpstreamEvents> {
  readonly room: string;
  readonly meeting: string;
  readonly nick: string;
  recording: RecordingStatus | null = null;
  #xmpp: Client | null = null;
  #follower: Follower | null = null;
  /** Occupants by nick: true for the component (owner). */
  #occupants = new Map<string, boolean>();
  #closed = false;

  constructor(
    readonly code: string,
    readonly connector: UpstreamConnector,
    readonly timers: Timers,
  ) {
    super();
    this.room = `${code}@${connector.domains.muc}`;
    this.meeting = `${code}@${connector.domains.component}`;
    this.nick = `phones-${Math.random().toString(36).slice(2, 8)}`;
  }

  get state(): RoomState | null {
    return this.#follower?.state ?? null;
  }

  get audioHeader(): Uint8Array | null {
    return this.#follower?.audioHeader ?? null;
  }

  /** People in the room other than the component and this bridge. */
  get others(): number {
    let n = 0;
    for (const [nick, owner] of this.#occupants) if (!owner && nick !== this.nick) n++;
    return n;
  }

  async open(): Promise<RoomState> {
    let xmpp: Client;
    try {
      xmpp = await this.connector.guest();
    } catch (err) {
      throw new OpenFailed("unavailable", `cannot reach the meeting's server: ${(err as Error).message}`);
    }
    this.#xmpp = xmpp;
    if (this.#closed) return this.#fail("unavailable", "closed while opening");
    try {
      await xmpp.iqCaller.request(stateRequest(this.meeting), 15_000);
    } catch (err) {
      const el = (err as { element?: Element }).element;
      if (el && decodeError(el).code === "unknown-room") return this.#fail("unknown", "no such meeting");
      return this.#fail("unavailable", `the meeting's server did not answer: ${(err as Error).message}`);
    }
    xmpp.on("stanza", this.#onStanza);
    const follower = new Follower(xmpp as unknown as XmppLike, { room: this.room, meeting: this.meeting, nick: this.nick, timers: this.timers });
    this.#follower = follower;
    follower.on("bundle", (b, s) => this.emit("bundle", b, s));
    follower.on("error", (err) => this.emit("error", err));
    try {
      return await follower.join();
    } catch (err) {
      return this.#fail("unavailable", `could not join the meeting: ${(err as Error).message}`);
    }
  }

  /** Sends a phone's message; the room's echo comes back as a `chat` event. */
  async sendChat(id: string, text: string, name: string): Promise<void> {
    if (!this.#xmpp) throw new Error("not open");
    await this.#xmpp.send(phoneChatMessage(this.room, id, text, name));
  }

  async close(): Promise<void> {
    this.#closed = true;
    const xmpp = this.#xmpp;
    this.#xmpp = null;
    await this.#follower?.leave().catch(() => undefined);
    if (xmpp) {
      xmpp.off("stanza", this.#onStanza);
      xmpp.reconnect.stop();
      await xmpp.stop().catch(() => undefined);
    }
  }

  async #fail(kind: "unknown" | "unavailable", message: string): Promise<never> {
    await this.close();
    throw new OpenFailed(kind, message);
  }

  #onStanza = (el: Element) => {
    if (el.name === "message" && el.attrs.type === "error") {
      const id = el.attrs.id;
      if (typeof id === "string" && String(el.attrs.from ?? "").startsWith(this.room)) this.emit("chatRefused", id);
      return;
    }
    const nick = occupantNick(el, this.room);
    if (nick === null) return;
    if (el.name === "presence") {
      const before = this.others;
      if (el.attrs.type === "unavailable" || el.attrs.type === "error") this.#occupants.delete(nick);
      else this.#occupants.set(nick, affiliationOf(el) === "owner");
      if (this.others !== before) this.emit("occupants", this.others);
      return;
    }
    if (el.name !== "message" || el.attrs.type !== "groupchat") return;
    if (this.#occupants.get(nick) === true) {
      const status = recordingStatusOf(el);
      if (status?.ok) {
        this.recording = status.value;
        this.emit("recording", status.value);
      }
      return;
    }
    const body = el.getChildText("body");
    if (body === null || body === "" || el.getChild("bundle", NS.deckcast) || el.getChild("fallback", NS.fallback)) return;
    const id = typeof el.attrs.id === "string" && el.attrs.id !== "" ? el.attrs.id : null;
    this.emit("chat", { nick, text: body, id, phone: phoneNameOf(el) });
  };
}
