/**
 * One person's part in one meeting, in the browser: the meeting view of the client core
 * (client-core/meeting-view.ts) over the live room (client-core/live-room.ts), plus who is
 * there and what is said (occupants, chat), the connection as the person sees it, and, while
 * this person holds the presenter role, sending their events (client-core/presenter-sender.ts).
 *
 * `view` is what the person sees: for the presenter, the confirmed room with their own
 * not-yet-relayed events on top (a page turn shows at once; a refusal snaps it back); for a
 * follower, the confirmed room through the playout (sync mode while they listen). Relayed
 * audio is passed on (`audio` events) for a player; the stream's header pages are kept for a
 * player that starts late. A presenter's microphone chunks go out with `sendAudio`.
 */
import type { Client } from "@xmpp/client";
import type { Element } from "@xmpp/xml";
import { LiveRoomSource } from "../../../client-core/live-room.ts";
import { MeetingView } from "../../../client-core/meeting-view.ts";
import type { PlayoutClock } from "../../../client-core/playout.ts";
import { PresenterSender } from "../../../client-core/presenter-sender.ts";
import { Emitter } from "../../../client-core/emitter.ts";
import type { DecodedError } from "../../../protocol/stanza-error.ts";
import { recordingStatusOf, type RecordingStatus } from "../../../protocol/recording-status.ts";
import type { AudioChunk, DeckEvent, RoomState, StampedBundle } from "../../../protocol/types.ts";
import { RoomChat, type ChatMessage } from "./chat.ts";
import { onFallBack } from "./edge-fallback.ts";
import { describeDecoded, describeError } from "./errors.ts";
import { endMeeting, handOver, meetingRecordingStatus } from "./meeting-api.ts";
import { Occupants, type Occupant } from "./occupants.ts";
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

export class MeetingSession extends Emitter<MeetingSessionEvents> {
  connection: ConnectionState = "connecting";
  readonly occupants: Occupants;
  readonly chat: RoomChat;
  readonly nick: string;
  /**
   * The recording's health as the component last said (docs/protocol.md §Recording status):
   * asked once on joining, then every 5 s and at once on a failure, from the room. Null
   * until known (a server without it never says).
   */
  recording: RecordingStatus | null = null;

  #micLive = false;
  #sender: PresenterSender | null = null;
  #wasOnline = false;
  readonly #xmpp: Client;
  readonly #meeting: MeetingView;
  readonly #opts: MeetingSessionOptions;
  readonly #unsubscribe: (() => void)[] = [];

  constructor(xmpp: Client, opts: MeetingSessionOptions) {
    super();
    this.#xmpp = xmpp;
    this.#opts = opts;
    this.nick = opts.nick;
    this.occupants = new Occupants(opts.room, opts.nick);
    this.chat = new RoomChat(xmpp, opts.room, opts.nick, opts.meeting);
    const source = new LiveRoomSource(xmpp, { room: opts.room, meeting: opts.meeting, nick: opts.nick });
    this.#meeting = new MeetingView(source, opts.started === undefined ? { self: opts.nick } : { self: opts.nick, started: opts.started });

    this.#unsubscribe.push(
      this.#meeting.on("state", () => this.#syncRole()),
      this.#meeting.on("bundle", (b, s) => this.#onBundle(b, s)),
      this.#meeting.on("change", () => this.emit("change")),
      this.#meeting.on("audio", (chunk) => this.emit("audio", chunk)),
      // While reconnecting, failed rejoin attempts are retried by the source; the banner says enough.
      this.#meeting.on("error", (err) => {
        if (this.connection !== "reconnecting") this.emit("problem", describeError(err));
      }),
      // Back in the room after a reconnect: the view catches up; show what was said meanwhile.
      source.on("behind", () => {
        if (this.connection === "ended") return;
        this.#setConnection("online");
        this.#catchUpChat();
      }),
      this.occupants.on("change", () => this.emit("change")),
      this.occupants.on("destroyed", () => this.#setConnection("ended")),
      this.chat.on("change", () => this.emit("change")),
      // A page from an edge that went away: the reconnect goes to the central server (connect.ts).
      onFallBack(() => this.emit("problem", "The office's edge is not answering: connected to the central server directly.")),
    );
    xmpp.on("stanza", this.#onStanza);
    xmpp.on("status", this.#onStatus);
  }

  /** The room as the relay confirmed it. */
  get confirmed(): RoomState | null {
    return this.#meeting.confirmed;
  }

  /** What this person sees (see the header). */
  get view(): RoomState | null {
    return this.#meeting.view;
  }

  /** The session audio stream's OpusHead and OpusTags pages, once known. */
  get audioHeader(): Uint8Array | null {
    return this.#meeting.audioHeader;
  }

  /** True while this person holds the presenter role. */
  get presenting(): boolean {
    return this.#meeting.presenting;
  }

  get messages(): ChatMessage[] {
    return this.chat.messages;
  }

  get people(): Occupant[] {
    return this.occupants.list;
  }

  /** Session clock for new events: ms since the session started, never behind the room. */
  clock(): number {
    return this.#meeting.clock();
  }

  /** The session clock as it runs (ms since the session started, not rounded or clamped): audio is stamped with it. */
  now(): number {
    return this.#meeting.now();
  }

  /** Events still waiting for their audio to be heard. */
  get held(): number {
    return this.#meeting.held;
  }

  /** Sync mode: show events when `clock` says they are heard (null: as they arrive). */
  setPlayoutClock(clock: PlayoutClock | null): void {
    this.#meeting.setPlayoutClock(clock);
  }

  /** The playout clock moved (buffer shift, mute): recheck what is due. */
  retimePlayout(): void {
    this.#meeting.retimePlayout();
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
    await this.#meeting.open();
    this.#wasOnline = true;
    this.#setConnection("online");
    this.#catchUpChat(); // a reload or a late joiner sees what was said
    // The status now, so the indicator shows before the next periodic one (never blocks the meeting).
    meetingRecordingStatus(this.#xmpp, this.#opts.meeting).then(
      (s) => {
        if (s && !this.recording) this.#setRecording(s);
      },
      () => undefined,
    );
  }

  #setRecording(s: RecordingStatus) {
    this.recording = s;
    this.emit("change");
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
    this.#meeting.propose(events);
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
    await this.#meeting.close();
  }

  #onStanza = (el: Element) => {
    this.occupants.onStanza(el);
    this.chat.onStanza(el, (nick) => this.occupants.isRelay(nick));
    this.#onRecordingStatus(el);
  };

  /** A `<recording-status/>` counts only from the component's occupant (like bundles). */
  #onRecordingStatus(el: Element) {
    if (el.name !== "message" || el.attrs.type !== "groupchat") return;
    const from = String(el.attrs.from ?? "");
    if (!from.startsWith(`${this.#opts.room}/`) || !this.occupants.isRelay(from.slice(this.#opts.room.length + 1))) return;
    const s = recordingStatusOf(el);
    if (s?.ok) this.#setRecording(s.value);
  }

  #onStatus = (status: string) => {
    if (this.connection === "ended") return;
    if (status === "disconnect" || status === "connecting" || status === "offline") {
      if (this.#wasOnline) this.#setConnection("reconnecting");
    } else if (status === "online" && this.#wasOnline) {
      // A new session (the server offers no stream resumption): the source rejoins and the view
      // catches up; the room resends every occupant's presence, so the list starts over.
      this.occupants.reset();
    }
  };

  #setConnection(c: ConnectionState) {
    if (this.connection === c) return;
    this.connection = c;
    this.emit("change");
  }

  #onBundle(b: StampedBundle, state: RoomState) {
    if (state.ended) this.#setConnection("ended");
    this.#syncRole();
    this.emit("bundle", b);
  }

  /** Starts or stops sending as the presenter role comes and goes. */
  #syncRole() {
    if (this.presenting && !this.#sender) {
      const sender = new PresenterSender(this.#xmpp, { meeting: this.#opts.meeting, clock: () => this.clock() });
      sender.on("refused", (bundle, error) => this.#onRefused(bundle.events, error));
      // A long outage: the oldest unsent voice goes (client-core bounds it). Said once until the link is back.
      let voiceDropSaid = false;
      sender.on("audio-dropped", () => {
        if (voiceDropSaid) return;
        voiceDropSaid = true;
        this.emit("problem", "The connection has been down for minutes: the oldest part of your voice since then could not be kept. Page turns and ink are kept.");
      });
      sender.on("ack", () => (voiceDropSaid = false));
      sender.holdForAudioMs = this.#micLive ? HOLD_FOR_AUDIO_MS : 0;
      this.#sender = sender;
    } else if (!this.presenting && this.#sender) {
      this.#sender.stop();
      this.#sender = null;
    }
  }

  #onRefused(events: DeckEvent[], error: DecodedError) {
    this.#meeting.withdraw(events);
    this.emit("problem", describeDecoded(error));
  }
}
