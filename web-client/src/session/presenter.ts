/**
 * Sending as the presenter (docs/protocol.md §Send a bundle): events are queued and sent as
 * bundles one at a time; whatever queues while a bundle is in flight goes into the next
 * one. A bundle is retried with the same id until the component acknowledges it (so a
 * component restart loses nothing and a resend is never applied twice) or refuses it for
 * good (not the presenter, malformed, ...), which is reported as an error.
 */
import xml, { type Element } from "@xmpp/xml";
import { encodeBundle } from "../../../protocol/codec.ts";
import { NS, LIMITS } from "../../../protocol/namespaces.ts";
import { decodeError, type DecodedError } from "../../../protocol/stanza-error.ts";
import type { AudioChunk, Bundle, DeckEvent } from "../../../protocol/types.ts";
import { Emitter, type XmppLike } from "./xmpp-like.ts";

export interface PresenterEvents extends Record<string, unknown[]> {
  ack: [{ id: string; seq: number; ts: number; duplicate: boolean }];
  /** The component refused a bundle for good; its events are dropped. */
  refused: [Bundle, DecodedError];
}

export interface PresenterOptions {
  /** The meeting's JID at the component. */
  meeting: string;
  /** Session clock (ms since the session started). */
  clock: () => number;
  /** Per-attempt timeout. Default 5000 ms. */
  timeoutMs?: number;
}

/** Largest bundle this sender builds: well under the component's 200 KiB and Prosody's 256 KiB. */
export const MAX_BUNDLE_CHARS = 128 * 1024;

/** Error conditions worth retrying: the component is away or briefly unable. */
const TRANSIENT = new Set(["service-unavailable", "remote-server-not-found", "remote-server-timeout", "recipient-unavailable", "resource-constraint", "internal-server-error"]);

export class PresenterSender extends Emitter<PresenterEvents> {
  #queue: DeckEvent[] = [];
  #audio: AudioChunk[] = [];
  #inFlight: Promise<void> | null = null;
  #n = 0;
  readonly #prefix = Math.random().toString(36).slice(2, 8);
  readonly #xmpp: XmppLike;
  readonly #opts: PresenterOptions;
  #stopped = false;

  constructor(xmpp: XmppLike, opts: PresenterOptions) {
    super();
    this.#xmpp = xmpp;
    this.#opts = opts;
  }

  /** Queues events (and optionally audio) and sends as soon as the previous bundle is acknowledged. */
  send(events: DeckEvent[], audio?: AudioChunk): void {
    this.#queue.push(...events);
    if (audio) this.#audio.push(audio);
    this.#pump();
  }

  /** Resolves once everything queued so far is acknowledged or refused. */
  async flush(): Promise<void> {
    while (this.#inFlight) await this.#inFlight;
  }

  stop(): void {
    this.#stopped = true;
  }

  #pump() {
    if (this.#inFlight || this.#stopped || (this.#queue.length === 0 && this.#audio.length === 0)) return;
    const events = this.#queue.splice(0, LIMITS.maxEventsPerBundle);
    const bundle: Bundle = { id: `${this.#prefix}-${++this.#n}`, t: events[0]?.t ?? this.#audio[0]?.t ?? this.#opts.clock(), events };
    const audio = this.#audio.shift();
    if (audio) bundle.audio = audio;
    // After an outage the queue can hold more than one stanza may carry: put the later half
    // back until the bundle fits (the component refuses bundles over MAX_BUNDLE_CHARS).
    while (bundle.events.length > 1 && encodeBundle(bundle).toString().length > MAX_BUNDLE_CHARS) {
      this.#queue.unshift(...bundle.events.splice(Math.ceil(bundle.events.length / 2)));
    }
    this.#inFlight = this.#deliver(bundle).finally(() => {
      this.#inFlight = null;
      this.#pump();
    });
  }

  async #deliver(bundle: Bundle): Promise<void> {
    const iq = () => xml("iq", { type: "set", to: this.#opts.meeting }, encodeBundle(bundle));
    for (let attempt = 0; !this.#stopped; attempt++) {
      try {
        const res: Element = await this.#xmpp.iqCaller.request(iq(), this.#opts.timeoutMs ?? 5000);
        const ack = res.getChild("ack", NS.deckcast);
        this.emit("ack", { id: bundle.id, seq: Number(ack?.attrs.seq), ts: Number(ack?.attrs.ts), duplicate: ack?.attrs.duplicate === "true" });
        return;
      } catch (err) {
        const stanza = (err as { element?: Element }).element;
        const decoded = stanza ? decodeError(stanza) : null;
        if (decoded && !TRANSIENT.has(decoded.condition)) {
          this.emit("refused", bundle, decoded);
          return;
        }
        // Timeout, disconnect, or the component is away: wait and resend the same id.
        await new Promise((r) => setTimeout(r, Math.min(4000, 100 * 2 ** Math.min(attempt, 6))));
      }
    }
  }
}
