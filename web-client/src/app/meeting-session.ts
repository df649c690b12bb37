/**
 * One person's part in one meeting: follows the room (session/follower.ts), knows who is
 * there and what is said, and while this person holds the presenter role sends their
 * events (session/presenter.ts).
 *
 * The view a person sees is always `view`: the room state the relay confirmed, with this
 * presenter's own not-yet-relayed events applied on top by the same reducer (optimistic),
 * so a page turn or a stroke shows at once and presenter and followers render from the
 * same state. When the relay echoes a bundle of ours, its events leave the pending list;
 * when the component refuses one for good, its events are dropped and the view snaps back.
 *
 * A follower's view goes through the Playout (playout.ts): while they listen, events are
 * shown when their audio is heard (sync mode); otherwise as they arrive. Relayed audio is
 * passed on (`audio` events) for a player; the stream's header pages are kept for a player
 * that starts late. A presenter's microphone chunks go out with `sendAudio`.
 */
import type { Client } from "@xmpp/client";
import type { Element } from "@xmpp/xml";
import { apply } from "../../../protocol/reducer.ts";
import { isServerBundle } from "../../../protocol/server-bundles.ts";
import type { DecodedError } from "../../../protocol/stanza-error.ts";
import type { AudioChunk, DeckEvent, RoomState, StampedBundle } from "../../../protocol/types.ts";
import { headerPages } from "../audio/ogg-pages.ts";
import { Follower } from "../session/follower.ts";
import { PresenterSender } from "../session/presenter.ts";
import { Emitter } from "../../../client-core/emitter.ts";
import { RoomChat, type ChatMessage } from "./chat.ts";
import { describeDecoded, describeError } from "./errors.ts";
import { endMeeting, handOver } from "./meeting-api.ts";
import { Occupants, type Occupant } from "./occupants.ts";
import { Playout, type PlayoutClock } from "./playout.ts";
import { uploadDeck, type UploadProgress } from "./upload.ts";

export type ConnectionState = "connecting" | "online" | "reconnecting" | "ended";

export interface MeetingSessionOptions {
  room: string;
  meeting: string;
  nick: string;
  /** Session clock origin when known (the creator gets it from <meeting started/>). */
  started?: number;
  /** Where deck upload slots are asked for. */
  componentDomain: string;
}

export interface MeetingSessionEvents extends Record<string, unknown[]> {
  /** Anything in view, occupants, chat or connection changed. */
  change: [];
  /** A sentence for the person (a refused change, a failed reconnect...). */
  problem: [string];
  /** A relayed bundle was applied (the confirmed state changed; `view` may show it later). */
  bundle: [StampedBundle];
  /** Relayed audio, in seq order (the session's Ogg Opus stream). */
  audio: [AudioChunk];
}

/** While the microphone is live, events wait this long at most for the next 100 ms audio page. */
const HOLD_FOR_AUDIO_MS = 150;

/** Events only a presenter's own view holds until the relay confirms them. */
type Pending = DeckEvent;


export class MeetingSession extends Emitter<MeetingSessionEvents> {
  confirmed: RoomState | null = null;
  view: RoomState | null = null;
  connection: ConnectionState = "connecting";
  readonly occupants: Occupants;
  readonly chat: RoomChat;
  readonly nick: string;
  /** The session audio stream's OpusHead and OpusTags pages, once known. */
  audioHeader: Uint8Array | null = null;

  #pending: Pending[] = [];
  #playout = new Playout();
  #micLive = false;
  #sender: PresenterSender | null = null;
  #started: number | null;
  #wasOnline = false;
  #rejoining = false;
  readonly #xmpp: Client;
  readonly #follower: Follower;
  readonly #opts: MeetingSessionOptions;
  readonly #unsubscribe: (() => void)[] = [];

  constructor(xmpp: Client, opts: MeetingSessionOptions) {
    super();
    this.#xmpp = xmpp;
    this.#opts = opts;
    this.nick = opts.nick;
    this.#started = opts.started ?? null;
    this.occupants = new Occupants(opts.room, opts.nick);
    this.chat = new RoomChat(xmpp, opts.room, opts.nick, opts.meeting);
    this.#follower = new Follower(xmpp, { room: opts.room, meeting: opts.meeting, nick: opts.nick });

    this.#unsubscribe.push(
      this.#follower.on("state", (s) => this.#onConfirmed(s)),
      this.#follower.on("bundle", (b, s) => this.#onBundle(b, s)),
      // While reconnecting, failed rejoin attempts are retried by the follower; the banner says enough.
      this.#follower.on("error", (err) => {
        if (this.connection !== "reconnecting") this.emit("problem", describeError(err));
      }),
      this.occupants.on("change", () => this.emit("change")),
      this.occupants.on("destroyed", () => this.#setConnection("ended")),
      this.chat.on("change", () => this.emit("change")),
      this.#playout.on("change", () => this.#recompute()),
    );
    xmpp.on("stanza", this.#onStanza);
    xmpp.on("status", this.#onStatus);
  }

  /** True while this person holds the presenter role. */
  get presenting(): boolean {
    return !!this.confirmed && !this.confirmed.ended && this.confirmed.presenter === this.nick;
  }

  get messages(): ChatMessage[] {
    return this.chat.messages;
  }

  get people(): Occupant[] {
    return this.occupants.list;
  }

  /** Session clock for new events: ms since the session started, never behind the room. */
  clock(): number {
    const floor = Math.max(this.view?.clock ?? 0, this.confirmed?.clock ?? 0);
    return this.#started === null ? floor : Math.max(floor, Math.round(Date.now() - this.#started));
  }

  /** The session clock as it runs (ms since the session started, not rounded or clamped): audio is stamped with it. */
  now(): number {
    return this.#started === null ? (this.confirmed?.clock ?? 0) : Date.now() - this.#started;
  }

  /** Events still waiting for their audio to be heard. */
  get held(): number {
    return this.#playout.held;
  }

  /** Sync mode: show events when `clock` says they are heard (null: as they arrive). */
  setPlayoutClock(clock: PlayoutClock | null): void {
    this.#playout.setClock(clock);
  }

  /** The playout clock moved (buffer shift, mute): recheck what is due. */
  retimePlayout(): void {
    this.#playout.retime();
  }

  /** Sends a chunk of the presenter's audio with the events queued since the last one. */
  sendAudio(chunk: AudioChunk): void {
    this.#sender?.send([], chunk);
  }

  /** While the microphone is live, events wait for the next audio chunk (so they share a bundle). */
  setMicLive(live: boolean): void {
    this.#micLive = live;
    if (this.#sender) this.#sender.holdForAudioMs = live ? HOLD_FOR_AUDIO_MS : 0;
  }

  async join(): Promise<void> {
    await this.#follower.join();
    this.#wasOnline = true;
    this.#setConnection("online");
    this.#catchUpChat(); // a reload or a late joiner sees what was said
  }

  /** Loads the chat this person has not seen from the meeting's record (never blocks the meeting). */
  #catchUpChat() {
    this.chat.catchUp().catch(() => {
      if (this.connection === "online") this.emit("problem", "Earlier chat messages could not be loaded; new ones still show.");
    });
  }

  /** Shows events at once and sends them (presenter only; ignored otherwise). */
  present(events: DeckEvent[]): void {
    if (!this.#sender || events.length === 0) return;
    this.#pending.push(...events);
    this.#recompute();
    this.#sender.send(events);
  }

  sendChat(text: string): Promise<void> {
    return this.chat.send(text);
  }

  handOver(nick: string): Promise<void> {
    return handOver(this.#xmpp, this.#opts.meeting, nick);
  }

  /** Uploads and converts a deck; resolves with the deck to open (upload.ts). */
  upload(file: File, onProgress: (p: UploadProgress) => void) {
    return uploadDeck(this.#xmpp, this.#opts.componentDomain, file, onProgress);
  }

  end(): Promise<void> {
    return endMeeting(this.#xmpp, this.#opts.meeting);
  }

  /** Waits until every change sent so far is acknowledged (or refused). */
  async flush(): Promise<void> {
    await this.#sender?.flush();
  }

  async leave(): Promise<void> {
    this.#sender?.stop();
    this.#xmpp.off("stanza", this.#onStanza);
    this.#xmpp.off("status", this.#onStatus);
    for (const off of this.#unsubscribe) off();
    await this.#follower.leave();
  }

  #onStanza = (el: Element) => {
    if (this.#rejoining && el.name === "presence" && el.attrs.from === `${this.#opts.room}/${this.nick}` && !el.attrs.type) {
      this.#rejoining = false;
      this.#setConnection("online");
      this.#catchUpChat(); // what was said while we were away
    }
    this.occupants.onStanza(el);
    this.chat.onStanza(el, (nick) => this.occupants.isRelay(nick));
  };

  #onStatus = (status: string) => {
    if (this.connection === "ended") return;
    if (status === "disconnect" || status === "connecting" || status === "offline") {
      if (this.#wasOnline) this.#setConnection("reconnecting");
    } else if (status === "online" && this.#wasOnline) {
      // A new session (the server offers no stream resumption): the follower rejoins and catches up; the room resends
      // every occupant's presence, so the list starts over. Back online once we are in the room.
      this.occupants.reset();
      this.#rejoining = true;
    }
  };

  #setConnection(c: ConnectionState) {
    if (this.connection === c) return;
    this.connection = c;
    this.emit("change");
  }

  #onConfirmed(state: RoomState) {
    this.confirmed = state;
    this.audioHeader = this.#follower.audioHeader;
    this.#playout.reset(state);
    if (this.#started === null) this.#started = Date.now() - state.clock;
    this.#syncRole();
    this.#recompute();
  }

  #onBundle(b: StampedBundle, state: RoomState) {
    // Server-originated bundles carry the server's clock in both t and ts: the best origin.
    if (isServerBundle(b) || this.#started === null) this.#started = b.ts - b.t;
    if (b.from === this.nick && !isServerBundle(b)) this.#pending.splice(0, b.events.length);
    if (state.ended) this.#setConnection("ended");
    this.confirmed = state;
    if (b.audio) this.audioHeader ??= headerPages(b.audio.data);
    this.#syncRole();
    this.#playout.push(b, state);
    this.#recompute();
    this.emit("bundle", b);
    if (b.audio) this.emit("audio", b.audio);
  }

  /** Starts or stops sending as the presenter role comes and goes. */
  #syncRole() {
    if (this.presenting && !this.#sender) {
      const sender = new PresenterSender(this.#xmpp, { meeting: this.#opts.meeting, clock: () => this.clock() });
      sender.on("refused", (bundle, error) => this.#onRefused(bundle.events, error));
      sender.holdForAudioMs = this.#micLive ? HOLD_FOR_AUDIO_MS : 0;
      this.#sender = sender;
    } else if (!this.presenting && this.#sender) {
      this.#sender.stop();
      this.#sender = null;
      this.#pending = [];
    }
  }

  #onRefused(events: DeckEvent[], error: DecodedError) {
    const refused = new Set(events);
    this.#pending = this.#pending.filter((e) => !refused.has(e));
    this.#recompute();
    this.emit("problem", describeDecoded(error));
  }

  #recompute() {
    this.view = this.presenting ? this.confirmed && this.#pending.reduce(apply, this.confirmed) : this.#playout.state;
    this.emit("change");
  }
}
