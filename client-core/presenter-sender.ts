/**
 * Sending as the presenter (docs/protocol.md §Send a bundle): events are queued and sent as
 * bundles one at a time; whatever queues while a bundle is in flight goes into the next
 * one. A bundle is retried with the same id until the component acknowledges it (so a
 * component restart loses nothing and a resend is never applied twice) or refuses it for
 * good (not the presenter, malformed, ...), which is reported as an error.
 *
 * Audio (docs/protocol.md §Audio): each audio chunk (a page of the presenter's recording)
 * goes out with the events queued since the previous one, so a bundle holds one interval's
 * events and voice. While the microphone is live (`holdForAudioMs` > 0), events wait for the
 * next chunk, at most that long. Chunks that queued while a bundle was in flight and go on
 * the same recording are sent together in one `<audio>`, so a slow round trip never makes
 * the audio fall further behind. Audio not yet sent is bounded (MAX_QUEUED_AUDIO_BYTES, ~10
 * minutes of voice): past it, in a long outage, the oldest chunks that start no stream are
 * dropped (never the header pages; events are never dropped) and `audio-dropped` says how many.
 */
import { bundleRequest, decodeAck, type Ack } from "../protocol/catch-up.ts";
import { encodeBundle } from "../protocol/codec.ts";
import { BUNDLE_SIZE, LIMITS } from "../protocol/namespaces.ts";
import { startsStream } from "../protocol/ogg.ts";
import { decodeError, type DecodedError } from "../protocol/stanza-error.ts";
import type { AudioChunk, Bundle, DeckEvent } from "../protocol/types.ts";
import type { Element } from "../protocol/xml-read.ts";
import { Emitter } from "./emitter.ts";
import { sleep, systemTimers, type Timers } from "./timers.ts";
import type { XmppLike } from "./xmpp-like.ts";

export interface PresenterEvents extends Record<string, unknown[]> {
  ack: [Ack];
  /** The component refused a bundle for good; its events are dropped. */
  refused: [Bundle, DecodedError];
  /** Audio chunks dropped unsent (the queue was full: a long outage), and their session time span. */
  "audio-dropped": [{ chunks: number; from: number; to: number }];
}

export interface PresenterOptions {
  /** The meeting's JID at the component. */
  meeting: string;
  /** Session clock (ms since the session started). */
  clock: () => number;
  /** Per-attempt timeout. Default 5000 ms. */
  timeoutMs?: number;
  /** The hold for audio and the waits between resends run on these (default: the system's). */
  timers?: Timers;
}

/** Largest bundle this sender builds, serialised: BUNDLE_SIZE.presenter (protocol/namespaces.ts). */
export const MAX_BUNDLE_CHARS = BUNDLE_SIZE.presenter;
/** Audio merged into one bundle at most (base64 makes it 4/3 larger): a quarter of the bundle. */
const MAX_AUDIO_BYTES = Math.min(LIMITS.maxAudioBytes, 24 * 1024);

/** Audio queued unsent at most (24 kb/s voice: about 11 minutes); the oldest goes first past it. */
export const MAX_QUEUED_AUDIO_BYTES = 2 * 1024 * 1024;

/** Error conditions worth retrying: the component is away or briefly unable. */
const TRANSIENT = new Set(["service-unavailable", "remote-server-not-found", "remote-server-timeout", "recipient-unavailable", "resource-constraint", "internal-server-error"]);

export class PresenterSender extends Emitter<PresenterEvents> {
  #queue: DeckEvent[] = [];
  #audio: AudioChunk[] = [];
  /** Bytes of the chunks in #audio. */
  #audioBytes = 0;
  #inFlight: Promise<void> | null = null;
  #n = 0;
  readonly #prefix = Math.random().toString(36).slice(2, 8);
  readonly #xmpp: Pick<XmppLike, "iqCaller">;
  readonly #opts: PresenterOptions;
  #stopped = false;
  #hold = 0;
  #holdTimer: unknown = null;
  /** The hold ran out while a bundle was in flight: the next bundle goes without waiting. */
  #expired = false;

  readonly #timers: Timers;

  constructor(xmpp: Pick<XmppLike, "iqCaller">, opts: PresenterOptions) {
    super();
    this.#xmpp = xmpp;
    this.#opts = opts;
    this.#timers = opts.timers ?? systemTimers;
  }

  /** Queues events (and optionally audio) and sends as soon as the previous bundle is acknowledged. */
  send(events: DeckEvent[], audio?: AudioChunk): void {
    this.#queue.push(...events);
    if (audio) {
      this.#audio.push(audio);
      this.#audioBytes += audio.data.length;
      if (this.#audioBytes > MAX_QUEUED_AUDIO_BYTES) this.#dropOldAudio();
    }
    this.#pump();
  }

  /** Drops the oldest queued chunks that start no stream until the queue is within its bound. */
  #dropOldAudio(): void {
    let chunks = 0;
    let from = Infinity;
    let to = -Infinity;
    for (let i = 0; i < this.#audio.length && this.#audioBytes > MAX_QUEUED_AUDIO_BYTES; ) {
      const c = this.#audio[i]!;
      if (startsStream(c.data) || i === this.#audio.length - 1) {
        i++; // a stream's header pages, or the chunk just queued: kept
        continue;
      }
      this.#audio.splice(i, 1);
      this.#audioBytes -= c.data.length;
      chunks++;
      from = Math.min(from, c.t);
      to = Math.max(to, c.t);
    }
    if (chunks > 0) this.emit("audio-dropped", { chunks, from, to });
  }

  /**
   * While > 0, events without audio wait up to this long for the next audio chunk to ride
   * with (set it to the page duration plus a margin while the microphone is live; 0 sends
   * events at once).
   */
  set holdForAudioMs(ms: number) {
    this.#hold = Math.max(0, ms);
    if (this.#hold === 0) this.#release();
  }

  get holdForAudioMs(): number {
    return this.#hold;
  }

  /** Resolves once everything queued so far is acknowledged or refused. */
  async flush(): Promise<void> {
    while (this.#inFlight) await this.#inFlight;
  }

  stop(): void {
    this.#stopped = true;
    this.#timers.clear(this.#holdTimer);
  }

  /** Held events go out now, audio or not (the hold expired or was lifted). */
  #release() {
    this.#timers.clear(this.#holdTimer);
    this.#holdTimer = null;
    this.#expired = true;
    this.#pump();
  }

  #pump() {
    if (this.#inFlight || this.#stopped || (this.#queue.length === 0 && this.#audio.length === 0)) return;
    if (this.#audio.length === 0 && this.#hold > 0 && !this.#expired) {
      this.#holdTimer ??= this.#timers.set(() => this.#release(), this.#hold);
      return;
    }
    this.#timers.clear(this.#holdTimer);
    this.#holdTimer = null;
    this.#expired = false;
    const events = this.#queue.splice(0, LIMITS.maxEventsPerBundle);
    const audio = this.#takeAudio();
    const t = Math.min(events[0]?.t ?? Infinity, audio?.t ?? Infinity);
    const bundle: Bundle = { id: `${this.#prefix}-${++this.#n}`, t: Number.isFinite(t) ? t : this.#opts.clock(), events };
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

  /** The first queued chunk, with the chunks after it that continue the same recording (up to the size limit). */
  #takeAudio(): AudioChunk | undefined {
    const first = this.#audio.shift();
    if (!first) return undefined;
    this.#audioBytes -= first.data.length;
    const parts = [first.data];
    let size = first.data.length;
    while (this.#audio.length > 0) {
      const next = this.#audio[0]!;
      if (startsStream(next.data) || size + next.data.length > MAX_AUDIO_BYTES) break;
      parts.push(next.data);
      size += next.data.length;
      this.#audioBytes -= next.data.length;
      this.#audio.shift();
    }
    if (parts.length === 1) return first;
    const data = new Uint8Array(size);
    parts.reduce((at, p) => (data.set(p, at), at + p.length), 0);
    return { t: first.t, data };
  }

  async #deliver(bundle: Bundle): Promise<void> {
    for (let attempt = 0; !this.#stopped; attempt++) {
      try {
        const res: Element = await this.#xmpp.iqCaller.request(bundleRequest(this.#opts.meeting, bundle), this.#opts.timeoutMs ?? 5000);
        const ack = decodeAck(res);
        this.emit("ack", ack.ok ? ack.value : { id: bundle.id, seq: NaN, ts: NaN, duplicate: false });
        return;
      } catch (err) {
        const stanza = (err as { element?: Element }).element;
        const decoded = stanza ? decodeError(stanza) : null;
        if (decoded && !TRANSIENT.has(decoded.condition)) {
          this.emit("refused", bundle, decoded);
          return;
        }
        // Timeout, disconnect, or the component is away: wait and resend the same id.
        await sleep(this.#timers, Math.min(4000, 100 * 2 ** Math.min(attempt, 6)));
      }
    }
  }
}
