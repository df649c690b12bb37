/**
 * Following a meeting (docs/protocol.md §Follow): join the MUC room, take the room state
 * from the component, then apply relayed bundles strictly in sequence order, filling any
 * gap from the component's archive. After a reconnect it rejoins and catches up the same way.
 *
 * Bundles are trusted only from the room occupant with owner affiliation (the component).
 */
import xml, { type Element } from "@xmpp/xml";
import { decodeAudioHeader } from "../../../protocol/audio-header.ts";
import { decodeBundle, decodeState } from "../../../protocol/codec.ts";
import { NS } from "../../../protocol/namespaces.ts";
import { decodeError } from "../../../protocol/stanza-error.ts";
import { applyBundle } from "../../../protocol/reducer.ts";
import type { RoomState, StampedBundle } from "../../../protocol/types.ts";
import { Emitter } from "../../../client-core/emitter.ts";
import type { XmppLike } from "../../../client-core/xmpp-like.ts";
import { joinRoom } from "./join-room.ts";

export interface FollowerEvents extends Record<string, unknown[]> {
  /** A bundle was applied; `state` is the room after it. */
  bundle: [StampedBundle, RoomState];
  /** State replaced wholesale (join, rejoin). */
  state: [RoomState];
  /** Something could not be done (a gap could not be filled, a join failed). */
  error: [Error];
}

export interface FollowerOptions {
  /** MUC room JID, code@rooms.host */
  room: string;
  /** The meeting's JID at the component, code@deckcast.host */
  meeting: string;
  nick: string;
}

export class Follower extends Emitter<FollowerEvents> {
  state: RoomState | null = null;
  /**
   * The session audio stream's OpusHead and OpusTags pages from the state answer (null when
   * no audio had been relayed then): a player feeds them to its decoder before any relayed audio.
   */
  audioHeader: Uint8Array | null = null;
  /** Nick of the component's occupant (affiliation owner), once seen. */
  #relayNicks = new Set<string>();
  #pending = new Map<number, StampedBundle>();
  #syncing = false;
  #left = false;
  /** Counts "online" events: a rejoin retry loop stops when a newer one starts. */
  #online = 0;
  readonly #xmpp: XmppLike;
  readonly #opts: FollowerOptions;

  constructor(xmpp: XmppLike, opts: FollowerOptions) {
    super();
    this.#xmpp = xmpp;
    this.#opts = opts;
    xmpp.on("stanza", this.#onStanza);
    xmpp.on("online", this.#onOnline);
  }

  get seq(): number {
    return this.state?.seq ?? 0;
  }

  /** Joins the room and loads the current state. */
  async join(): Promise<RoomState> {
    await this.#joinRoom();
    return this.#loadState();
  }

  async leave(): Promise<void> {
    this.#left = true;
    this.#xmpp.off("stanza", this.#onStanza);
    this.#xmpp.off("online", this.#onOnline);
    await this.#xmpp.send(xml("presence", { to: `${this.#opts.room}/${this.#opts.nick}`, type: "unavailable" })).catch(() => undefined);
  }

  #joinRoom(): Promise<void> {
    return joinRoom(this.#xmpp, this.#opts.room, this.#opts.nick);
  }

  async #loadState(): Promise<RoomState> {
    const res = await this.#xmpp.iqCaller.request(xml("iq", { type: "get", to: this.#opts.meeting }, xml("state", { xmlns: NS.deckcast })));
    const stateEl = res.getChild("state", NS.deckcast)!;
    const decoded = decodeState(stateEl);
    if (!decoded.ok) throw new Error(`bad state from the component: ${decoded.error.message}`);
    const header = decodeAudioHeader(stateEl);
    this.audioHeader = header.ok ? header.value : null;
    this.state = decoded.value;
    this.emit("state", this.state);
    await this.#drain();
    return this.state;
  }

  #onOnline = () => {
    if (this.#left || !this.state) return;
    // A rejoin can fail for a while after a drop (a guest's previous session may still hold
    // the nick until the server notices it is gone): keep trying until this connection ends.
    const attempt = ++this.#online;
    const rejoin = (delay: number) => {
      this.#joinRoom()
        .then(() => this.#fill(this.seq + 1, undefined))
        .then(() => this.#drain())
        .catch((err: Error) => {
          if (this.#left || attempt !== this.#online) return;
          this.emit("error", err);
          setTimeout(() => {
            if (!this.#left && attempt === this.#online) rejoin(Math.min(delay * 2, 10_000));
          }, delay);
        });
    };
    rejoin(1000);
  };

  #onStanza = (el: Element) => {
    const from = String(el.attrs.from ?? "");
    if (!from.startsWith(`${this.#opts.room}/`)) return;
    const nick = from.slice(this.#opts.room.length + 1);
    if (el.name === "presence") {
      const item = el.getChild("x", NS.mucUser)?.getChild("item");
      if (item?.attrs.affiliation === "owner" && el.attrs.type !== "unavailable") this.#relayNicks.add(nick);
      else this.#relayNicks.delete(nick);
      return;
    }
    if (el.name !== "message" || el.attrs.type !== "groupchat" || !this.#relayNicks.has(nick)) return;
    const bundleEl = el.getChild("bundle", NS.deckcast);
    if (!bundleEl) return;
    const decoded = decodeBundle(bundleEl);
    if (!decoded.ok || decoded.value.seq === undefined) return;
    this.#receive(decoded.value as StampedBundle);
  };

  #receive(b: StampedBundle) {
    if (b.seq <= this.seq) return;
    this.#pending.set(b.seq, b);
    if (this.state) this.#drain().catch((err: Error) => this.emit("error", err));
  }

  /** Applies pending bundles in order; asks the archive for whatever is missing. */
  async #drain(): Promise<void> {
    if (this.#syncing || !this.state) return;
    this.#syncing = true;
    try {
      for (;;) {
        for (const s of [...this.#pending.keys()]) if (s <= this.seq) this.#pending.delete(s);
        const next = this.#pending.get(this.seq + 1);
        if (next) {
          this.#pending.delete(next.seq);
          this.#apply(next);
          continue;
        }
        if (this.#pending.size === 0) return;
        const lowest = Math.min(...this.#pending.keys());
        await this.#fill(this.seq + 1, lowest - 1);
      }
    } finally {
      this.#syncing = false;
    }
  }

  /** Fetches [from, to] (to = the room's last when undefined) from the archive and applies it. */
  async #fill(from: number, to: number | undefined): Promise<void> {
    for (;;) {
      const attrs: Record<string, string> = { xmlns: NS.deckcast, from: String(from) };
      if (to !== undefined) attrs.to = String(to);
      let res: Element;
      try {
        res = await this.#xmpp.iqCaller.request(xml("iq", { type: "get", to: this.#opts.meeting }, xml("range", attrs)));
      } catch (err) {
        // out-of-range: nothing newer exists yet. Recognised by its code, never by its text.
        const refused = (err as { element?: Element }).element;
        if (to === undefined && refused && decodeError(refused).code === "out-of-range") return;
        throw err;
      }
      const range = res.getChild("range", NS.deckcast)!;
      for (const el of range.getChildren("bundle", NS.deckcast)) {
        const d = decodeBundle(el);
        if (d.ok && d.value.seq === this.seq + 1) this.#apply(d.value as StampedBundle);
      }
      const served = Number(range.attrs.to);
      const end = to ?? Number(range.attrs.last);
      if (served >= end || served < from) return;
      from = served + 1;
    }
  }

  #apply(b: StampedBundle) {
    this.state = applyBundle(this.state!, b);
    this.emit("bundle", b, this.state);
  }
}
