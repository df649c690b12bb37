/**
 * One meeting at the bridge and the phones following it: the meeting's one upstream
 * (meeting-upstream.ts), opened on the first phone's hello and closed `lingerMs` after the
 * last phone left; the resume ring (resume-ring.ts); and the fan-out: each bundle is encoded
 * once (its `events` JSON, its audio frame) and queued to every phone, so a slow phone only
 * ever fills its own queue (send-queue.ts). When a deck is open, each phone gets its prefetch
 * list (prefetch.ts) after the welcome, and every phone a new one when another deck opens.
 */
import { randomBytes } from "node:crypto";
import type { Logger } from "pino";
import { headerPages } from "../../protocol/ogg.ts";
import { AUDIO_KIND, encodeAudioFrame, helloWidth, phoneState, prefetchFrame, PHONE_PROTOCOL, type ChatOutFrame, type EventsFrame, type HelloFrame, type WelcomeFrame } from "../../protocol/phone.ts";
import type { RoomState, StampedBundle } from "../../protocol/types.ts";
import type { Timers } from "../../client-core/timers.ts";
import type { BridgeLimits } from "./limits.ts";
import { MeetingUpstream, OpenFailed, type RoomChat } from "./meeting-upstream.ts";
import type { PhoneSocket } from "./phone-socket.ts";
import { isAbsoluteBase, type ManifestSource } from "./prefetch.ts";
import { ResumeRing } from "./resume-ring.ts";
import type { UpstreamConnector } from "./xmpp-connect.ts";

const newId = () => randomBytes(16).toString("base64url");


export class MeetingHub {
  readonly upstream: MeetingUpstream;
  readonly phones = new Set<PhoneSocket>();
  readonly ring: ResumeRing;
  #opening: Promise<RoomState> | null = null;
  #header: Uint8Array | null = null;
  /** Resume ids this meeting gave out, the last maxResumeIds (oldest first): only those resume. */
  readonly #resumeIds = new Set<string>();
  #lingerTimer: unknown = null;
  #participantsTimer: unknown = null;
  #lastCount = -1;
  #closed = false;
  /** Our chat messages not yet echoed: stanza id → the phone and its own id. */
  #sentChat = new Map<string, { phone: PhoneSocket; id: string | undefined }>();
  #snapshotCache: { seq: number; json: string } | null = null;
  /** The deck open now (prefetch lists are sent when it changes). */
  #deck: string | null = null;
  /** The open deck's prefetch frames by width and base, encoded once. */
  #prefetch = new Map<string, Promise<string | null>>();

  constructor(
    readonly code: string,
    connector: UpstreamConnector,
    readonly limits: BridgeLimits,
    readonly timers: Timers,
    readonly log: Logger,
    readonly decks: string,
    /** Deck manifests for the phones' prefetch lists; null: none are sent. */
    readonly manifest: ManifestSource | null,
    /** Called once when the hub is done (left after the last phone, failed, ended). */
    readonly onDone: (hub: MeetingHub) => void,
  ) {
    this.ring = new ResumeRing(limits.resumeBundles);
    this.upstream = new MeetingUpstream(code, connector, timers);
    this.upstream.on("bundle", (b, s) => this.#onBundle(b, s));
    this.upstream.on("chat", (c) => this.#onChat(c));
    this.upstream.on("chatRefused", (id) => this.#onChatRefused(id));
    this.upstream.on("occupants", () => this.#participantsChanged());
    this.upstream.on("recording", (r) => this.#broadcast(JSON.stringify({ type: "recording", ...r })));
    this.upstream.on("error", (err) => this.log.debug({ err: err.message, meeting: code }, "upstream"));
  }

  /** The audio stream's header pages, once known. */
  get header(): Uint8Array | null {
    return this.#header;
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** The `snapshot` frame of the room now, encoded once per seq for every slow phone. */
  snapshotJson = (): { json: string; seq: number } => {
    const state = this.upstream.state!;
    if (this.#snapshotCache?.seq !== state.seq) this.#snapshotCache = { seq: state.seq, json: JSON.stringify({ type: "snapshot", state: phoneState(state), reason: "slow-reader" }) };
    return this.#snapshotCache;
  };

  /** Joins a phone that said hello (`nick`: its chat name). Closes it with the right code when the meeting cannot be followed. */
  async join(phone: PhoneSocket, hello: HelloFrame, nick: string): Promise<void> {
    this.#cancelLinger();
    this.phones.add(phone); // counted from now on, so the upstream does not linger out meanwhile
    try {
      await (this.#opening ??= this.#open());
    } catch (err) {
      this.phones.delete(phone);
      const kind = err instanceof OpenFailed ? err.kind : "unavailable";
      phone.close(kind === "unknown" ? "unknownMeeting" : "unavailable", kind === "unknown" ? "no such meeting" : "meeting not reachable");
      return;
    }
    if (phone.stage !== "joining") {
      this.phones.delete(phone);
      this.#maybeEmpty();
      return;
    }
    const state = this.upstream.state!;
    if (state.ended) {
      phone.send({ type: "ended" });
      phone.close("meetingEnded", "the meeting ended");
      return;
    }
    // Synchronously from here: no bundle can come between the welcome and the live frames.
    phone.audio = hello.audio ?? true;
    phone.width = helloWidth(hello);
    phone.nick = nick;
    const known = hello.resume !== undefined && this.#resumeIds.has(hello.resume.id);
    const missed = known ? this.ring.after(hello.resume!.seq) : null;
    // An honoured resume keeps its id (and so the phone's session); a refused or unknown one is not reused.
    phone.resumeId = missed !== null && hello.resume ? hello.resume.id : this.#issueResumeId();
    phone.stage = "joined"; // counted in the welcome's participants
    phone.meeting = this.code;
    const welcome: WelcomeFrame = {
      type: "welcome",
      v: PHONE_PROTOCOL.version,
      resume: phone.resumeId,
      nick,
      resumed: missed !== null,
      ...(missed === null ? { state: phoneState(state) } : {}),
      decks: this.decks,
      participants: this.#count(),
      recording: this.upstream.recording,
    };
    phone.send(welcome);
    phone.sendHeader(this.#header);
    // A bundle's audio before its events (docs/phone-protocol.md): a phone that applied seq N holds N's audio.
    for (const e of missed ?? []) {
      if (e.audio) phone.sendAudio(e.audio, e.seq, this.#header);
      phone.send(e.events, "events", e.seq);
    }
    this.#sendPrefetch([phone]);
    this.#participantsChanged();
  }

  leave(phone: PhoneSocket): void {
    if (!this.phones.delete(phone)) return;
    for (const [id, s] of this.#sentChat) if (s.phone === phone) this.#sentChat.delete(id);
    this.#participantsChanged();
    this.#maybeEmpty();
  }

  /** A phone's chat message, to the room. */
  chat(phone: PhoneSocket, text: string, id: string | undefined): void {
    const stanzaId = `phone-${newId()}`;
    this.#sentChat.set(stanzaId, { phone, id });
    if (this.#sentChat.size > 1000) this.#sentChat.delete(this.#sentChat.keys().next().value!);
    this.upstream.sendChat(stanzaId, text, phone.nick).catch(() => {
      this.#sentChat.delete(stanzaId);
      phone.send({ type: "error", code: "chat-refused", message: "The message could not be sent.", ...(id === undefined ? {} : { id }) });
    });
  }

  /** Closes every phone (with `code`) and the upstream. */
  async close(code: "goingAway" | "meetingEnded" | "unavailable" = "goingAway"): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#cancelLinger();
    this.timers.clear(this.#participantsTimer);
    for (const p of [...this.phones]) p.close(code, code === "goingAway" ? "the bridge is stopping" : code);
    this.phones.clear();
    this.onDone(this);
    await this.upstream.close();
  }

  async #open(): Promise<RoomState> {
    try {
      const state = await this.upstream.open();
      this.ring.reset(state.seq);
      this.#deck = state.deck?.id ?? null;
      this.#header = this.upstream.audioHeader;
      this.log.info({ meeting: this.code, nick: this.upstream.nick }, "joined the meeting for phones");
      return state;
    } catch (err) {
      this.#closed = true;
      this.onDone(this);
      throw err;
    }
  }

  #onBundle(b: StampedBundle, state: RoomState) {
    const frame: EventsFrame = { type: "events", seq: b.seq, t: b.t, ts: b.ts, from: b.from, events: b.events, ...(b.audio ? { audioT: b.audio.t } : {}) };
    const events = JSON.stringify(frame);
    let audio: Uint8Array | null = null;
    if (b.audio) {
      const header = headerPages(b.audio.data);
      if (header) this.#header = header;
      const pages = header ? b.audio.data.subarray(header.length) : b.audio.data;
      if (pages.length > 0) audio = encodeAudioFrame({ kind: AUDIO_KIND.pages, seq: b.seq, t: b.audio.t, pages });
    }
    this.ring.push({ seq: b.seq, events, audio });
    for (const p of this.phones) {
      if (p.stage !== "joined") continue;
      // The audio first: a cut between the two frames then costs the phone a repeated audio
      // frame (which it drops by seq), never a lost one, since it resumes from the events it applied.
      if (audio) p.sendAudio(audio, b.seq, this.#header);
      else p.sendHeader(this.#header);
      p.send(events, "events", b.seq);
    }
    if ((state.deck?.id ?? null) !== this.#deck) {
      this.#deck = state.deck?.id ?? null;
      this.#prefetch.clear();
      this.#sendPrefetch([...this.phones]);
    }
    if (state.ended) {
      this.#broadcast(JSON.stringify({ type: "ended" }));
      void this.close("meetingEnded");
    }
  }

  /** Sends each joined phone the open deck's prefetch list at its width, once the manifest is there. */
  #sendPrefetch(phones: PhoneSocket[]) {
    const deck = this.#deck;
    const manifest = this.manifest;
    if (!deck || !manifest) return;
    for (const phone of phones) {
      const base = isAbsoluteBase(this.decks) ? this.decks : phone.origin;
      if (phone.stage !== "joined" || !base) continue;
      const key = `${phone.width} ${base}`;
      let frame = this.#prefetch.get(key);
      if (!frame) {
        if (this.#prefetch.size >= 64) this.#prefetch.clear();
        frame = manifest(deck, phone.width).then(
          (m) => (m ? JSON.stringify(prefetchFrame(m, base)) : null),
          (err: Error) => (this.log.warn({ meeting: this.code, deck, err: err.message }, "no deck manifest for phones"), null),
        );
        const made = frame;
        // A manifest that could not be had is asked for again by the next phone.
        void made.then((json) => json === null && this.#prefetch.get(key) === made && this.#prefetch.delete(key));
        this.#prefetch.set(key, frame);
      }
      void frame.then((json) => {
        if (json && this.#deck === deck && phone.stage === "joined") phone.send(json);
      });
    }
  }

  #onChat(c: RoomChat) {
    const mine = c.nick === this.upstream.nick;
    const sent = mine && c.id !== null ? this.#sentChat.get(c.id) : undefined;
    if (sent) this.#sentChat.delete(c.id!);
    const base: ChatOutFrame = { type: "chat", nick: c.phone ?? c.nick, text: c.text, ts: this.timers.wall(), ...(c.phone !== null ? { phone: true as const } : {}), ...(c.phone !== null && !mine ? { via: c.nick } : {}) };
    const json = JSON.stringify(base);
    for (const p of this.phones) {
      if (p.stage !== "joined") continue;
      if (sent && p === sent.phone && sent.id !== undefined) p.send({ ...base, id: sent.id });
      else p.send(json);
    }
  }

  #onChatRefused(stanzaId: string) {
    const sent = this.#sentChat.get(stanzaId);
    if (!sent) return;
    this.#sentChat.delete(stanzaId);
    sent.phone.send({ type: "error", code: "chat-refused", message: "The room refused the message.", ...(sent.id === undefined ? {} : { id: sent.id }) });
  }

  /** A fresh resume id, remembered (bounded: the oldest is forgotten past maxResumeIds). */
  #issueResumeId(): string {
    const id = newId();
    this.#resumeIds.add(id);
    if (this.#resumeIds.size > this.limits.maxResumeIds) this.#resumeIds.delete(this.#resumeIds.values().next().value!);
    return id;
  }

  #count(): number {
    let phones = 0;
    for (const p of this.phones) if (p.stage === "joined") phones++;
    return this.upstream.others + phones;
  }

  /** Sends the count when it changed, at most once per participantsMs. */
  #participantsChanged() {
    if (this.#participantsTimer !== null || this.#closed) return;
    this.#participantsTimer = this.timers.set(() => {
      this.#participantsTimer = null;
      if (this.#closed) return;
      const count = this.#count();
      if (count === this.#lastCount) return;
      this.#lastCount = count;
      this.#broadcast(JSON.stringify({ type: "participants", count }));
    }, this.limits.participantsMs);
  }

  #broadcast(json: string) {
    for (const p of this.phones) if (p.stage === "joined") p.send(json);
  }

  #maybeEmpty() {
    if (this.phones.size > 0 || this.#closed || this.#lingerTimer !== null) return;
    this.#lingerTimer = this.timers.set(() => {
      this.#lingerTimer = null;
      if (this.phones.size === 0) void this.close();
    }, this.limits.lingerMs);
  }

  #cancelLinger() {
    if (this.#lingerTimer === null) return;
    this.timers.clear(this.#lingerTimer);
    this.#lingerTimer = null;
  }
}
