/**
 * The live room as a bundle source (docs/protocol.md §Follow): joins the MUC room, takes the
 * room state from the component, and passes on the bundles the component relays. Bundles
 * are trusted only from the occupant with owner affiliation (the component). Ranges are
 * asked of the component's archive.
 *
 * After the connection comes back ("online" again) it rejoins the room, retrying with
 * backoff while the join fails (a guest's previous session may hold the nick until the
 * server notices it is gone), then says it is `behind` so the view catches up.
 */
import { decodeRangeAnswer, decodeStateAnswer, rangeRequest, stateRequest, type RangeAnswer } from "../protocol/catch-up.ts";
import { decodeBundle } from "../protocol/codec.ts";
import { affiliationOf, joinPresence, leavePresence, occupantNick, readJoinAnswer } from "../protocol/muc.ts";
import { NS } from "../protocol/namespaces.ts";
import { decodeError } from "../protocol/stanza-error.ts";
import type { StampedBundle } from "../protocol/types.ts";
import type { Element } from "../protocol/xml-read.ts";
import type { BundleSource, BundleSourceEvents, Snapshot } from "./bundle-source.ts";
import { Emitter } from "./emitter.ts";
import { systemTimers, type Timers } from "./timers.ts";
import type { XmppLike } from "./xmpp-like.ts";

export interface LiveRoomOptions {
  /** MUC room JID, code@rooms.host */
  room: string;
  /** The meeting's JID at the component, code@deckcast.host */
  meeting: string;
  nick: string;
  timers?: Timers;
}

/** First wait before joining again after a failed rejoin; it doubles up to REJOIN_MAX_MS. */
const REJOIN_FIRST_MS = 1000;
const REJOIN_MAX_MS = 10_000;

/**
 * The room refused the join. `element` is the room's <error/>, read by its code (bad-nick) or
 * condition (conflict, gone) like any stanza error (decodeError), never by this message.
 */
export class JoinRefused extends Error {
  readonly element: Element | undefined;
  constructor(room: string, element: Element | undefined) {
    const e = element ? decodeError(element) : null;
    super(`could not join ${room}: ${e?.code ?? e?.condition ?? "error"}`);
    this.name = "JoinRefused";
    this.element = element;
  }
}

/** Resolves on our own presence in the room (status 110); rejects with JoinRefused on an error presence, or after `timeoutMs`. */
export function joinRoom(xmpp: Pick<XmppLike, "send" | "on" | "off">, room: string, nick: string, timeoutMs = 15_000, timers: Pick<Timers, "set" | "clear"> = systemTimers): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = timers.set(() => finish(new Error(`no answer joining ${room}`)), timeoutMs);
    const onPresence = (p: Element) => {
      const answer = readJoinAnswer(p, room, nick);
      if (answer?.kind === "refused") finish(new JoinRefused(room, answer.error));
      else if (answer?.kind === "joined") finish(null);
    };
    const finish = (err: Error | null) => {
      timers.clear(timer);
      xmpp.off("stanza", onPresence);
      if (err) reject(err);
      else resolve();
    };
    xmpp.on("stanza", onPresence);
    xmpp.send(joinPresence({ room, nick })).catch(finish);
  });
}

export class LiveRoomSource extends Emitter<BundleSourceEvents> implements BundleSource {
  /** Nicks of the room's owner occupants (the component), once seen. */
  #relayNicks = new Set<string>();
  #opened = false;
  #closed = false;
  /** Counts "online" events: a rejoin retry loop stops when a newer one starts. */
  #online = 0;
  readonly #xmpp: XmppLike;
  readonly #opts: LiveRoomOptions;
  readonly #timers: Timers;

  constructor(xmpp: XmppLike, opts: LiveRoomOptions) {
    super();
    this.#xmpp = xmpp;
    this.#opts = opts;
    this.#timers = opts.timers ?? systemTimers;
    xmpp.on("stanza", this.#onStanza);
    xmpp.on("online", this.#onOnline);
  }

  async open(): Promise<Snapshot> {
    await joinRoom(this.#xmpp, this.#opts.room, this.#opts.nick, undefined, this.#timers);
    const res = await this.#xmpp.iqCaller.request(stateRequest(this.#opts.meeting));
    const answer = decodeStateAnswer(res);
    if (!answer.ok) throw new Error(`bad state from the component: ${answer.error.message}`);
    this.#opened = true;
    return answer.value;
  }

  async range(from: number, to?: number): Promise<RangeAnswer | null> {
    let res: Element;
    try {
      res = await this.#xmpp.iqCaller.request(rangeRequest(this.#opts.meeting, from, to));
    } catch (err) {
      // out-of-range without `to`: nothing newer exists yet. Recognised by its code, never by its text.
      const refused = (err as { element?: Element }).element;
      if (to === undefined && refused && decodeError(refused).code === "out-of-range") return null;
      throw err;
    }
    const answer = decodeRangeAnswer(res);
    if (!answer.ok) throw new Error(`bad range from the component: ${answer.error.message}`);
    return answer.value;
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.#xmpp.off("stanza", this.#onStanza);
    this.#xmpp.off("online", this.#onOnline);
    await this.#xmpp.send(leavePresence({ room: this.#opts.room, nick: this.#opts.nick })).catch(() => undefined);
  }

  #onOnline = () => {
    if (this.#closed || !this.#opened) return;
    const attempt = ++this.#online;
    const rejoin = (delay: number) => {
      joinRoom(this.#xmpp, this.#opts.room, this.#opts.nick, undefined, this.#timers)
        .then(() => {
          if (!this.#closed && attempt === this.#online) this.emit("behind");
        })
        .catch((err: Error) => {
          if (this.#closed || attempt !== this.#online) return;
          this.emit("error", err);
          this.#timers.set(() => {
            if (!this.#closed && attempt === this.#online) rejoin(Math.min(delay * 2, REJOIN_MAX_MS));
          }, delay);
        });
    };
    rejoin(REJOIN_FIRST_MS);
  };

  #onStanza = (el: Element) => {
    const nick = occupantNick(el, this.#opts.room);
    if (nick === null) return;
    if (el.name === "presence") {
      if (affiliationOf(el) === "owner" && el.attrs.type !== "unavailable") this.#relayNicks.add(nick);
      else this.#relayNicks.delete(nick);
      return;
    }
    if (el.name !== "message" || el.attrs.type !== "groupchat" || !this.#relayNicks.has(nick)) return;
    const bundleEl = el.getChild("bundle", NS.deckcast);
    if (!bundleEl) return;
    const decoded = decodeBundle(bundleEl);
    if (!decoded.ok || decoded.value.seq === undefined || decoded.value.ts === undefined || decoded.value.from === undefined) return;
    this.emit("bundle", decoded.value as StampedBundle);
  };
}
