/**
 * The TypeScript reference client of the phone protocol (docs/phone-protocol.md): what a
 * phone app does, in Node, over the `ws` package. The tests and the benchmark drive it.
 *
 * It keeps the room's state (the welcome's or a snapshot's, with every `events` frame applied
 * by the same reducer the web client uses), checks that seqs come each exactly once in order
 * (`problems` lists any gap or repeat), collects the audio (the header and the pages, in
 * order) and resumes after a cut with the last seq it applied. `prefetch` is the open deck's
 * list of page images to fetch ahead of need (absolute URLs with their sha256), the latest sent.
 */
import { WebSocket } from "ws";
import { applyBundle } from "../../protocol/reducer.ts";
import { decodeAudioFrame, AUDIO_KIND, PHONE_PROTOCOL, type AudioFrame, type BridgeFrame, type ChatOutFrame, type EventsFrame, type HelloFrame, type PhoneState, type PrefetchFrame, type SnapshotFrame, type WelcomeFrame } from "../../protocol/phone.ts";
import type { RoomState } from "../../protocol/types.ts";
import { Emitter } from "../../client-core/emitter.ts";

export interface PhoneClientOptions {
  /** ws://host:port (the path /phone is added) or the whole ws URL ending in /phone. */
  url: string;
  meeting: string;
  /** A guest's name, or an account's user and login token. */
  name?: string;
  user?: string;
  token?: string;
  /** false: events only. */
  audio?: boolean;
  /** Width in pixels the phone draws pages at (its prefetch lists are at it, snapped). Default: the bridge's, 1280. */
  width?: number;
}

export interface PhoneClientEvents extends Record<string, unknown[]> {
  welcome: [WelcomeFrame];
  /** A bundle applied; `state` is the room after it. */
  events: [EventsFrame, PhoneState];
  snapshot: [SnapshotFrame];
  chat: [ChatOutFrame];
  /** The open deck's images to fetch ahead of need (after the welcome, and when another deck opens). */
  prefetch: [PrefetchFrame];
  frame: [BridgeFrame];
  audio: [AudioFrame];
  /** The socket closed (`code` as the bridge sent it; 1006 for a cut). */
  close: [number, string];
}

/** The bridge closed the socket before its welcome. */
export class PhoneRefused extends Error {
  constructor(
    readonly code: number,
    readonly reason: string,
  ) {
    super(`the bridge closed the socket: ${code} ${reason}`);
    this.name = "PhoneRefused";
  }
}

export class PhoneClient extends Emitter<PhoneClientEvents> {
  state: PhoneState | null = null;
  seq = 0;
  resumeId: string | null = null;
  welcome: WelcomeFrame | null = null;
  /** The latest prefetch list (its `deck` may trail the state's deck for a moment after a change). */
  prefetch: PrefetchFrame | null = null;
  /** Every events seq applied, in order (a state from a welcome or snapshot is not in it). */
  readonly applied: number[] = [];
  /** Gaps and repeats seen (should stay empty). */
  readonly problems: string[] = [];
  /** The stream's header pages (the last kind-1 frame), and the audio pages frames in order. */
  header: Uint8Array | null = null;
  readonly audio: AudioFrame[] = [];
  /** Every text frame received, in order. */
  readonly frames: BridgeFrame[] = [];
  ws: WebSocket | null = null;
  readonly opts: PhoneClientOptions;

  constructor(opts: PhoneClientOptions) {
    super();
    this.opts = opts;
  }

  get url(): string {
    return this.opts.url.endsWith(PHONE_PROTOCOL.path) ? this.opts.url : `${this.opts.url.replace(/\/$/, "")}${PHONE_PROTOCOL.path}`;
  }

  /** Opens a socket and says hello (resuming when it has followed before); resolves with the welcome. */
  connect(): Promise<WelcomeFrame> {
    const hello: HelloFrame = { type: "hello", v: 1, meeting: this.opts.meeting };
    if (this.opts.name !== undefined) hello.name = this.opts.name;
    if (this.opts.token !== undefined) {
      hello.user = this.opts.user!;
      hello.token = this.opts.token;
    }
    if (this.opts.audio === false) hello.audio = false;
    if (this.opts.width !== undefined) hello.width = this.opts.width;
    if (this.resumeId !== null && this.state !== null) hello.resume = { id: this.resumeId, seq: this.seq };
    return this.open(JSON.stringify(hello));
  }

  /** Opens a socket, sends `first` as it is (tests send bad frames with it), resolves with the welcome. */
  open(first: string | Buffer | null): Promise<WelcomeFrame> {
    const ws = new WebSocket(this.url, { perMessageDeflate: false });
    this.ws = ws;
    return new Promise((resolve, reject) => {
      let welcomed = false;
      ws.on("open", () => {
        if (first !== null) ws.send(first);
      });
      ws.on("message", (data, isBinary) => {
        if (this.ws !== ws) return;
        const buf = Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data as ArrayBuffer);
        if (isBinary) return this.#onAudio(buf);
        let frame: BridgeFrame;
        try {
          frame = JSON.parse(buf.toString("utf8")) as BridgeFrame;
        } catch {
          return void this.problems.push("a text frame that is not JSON");
        }
        this.#onFrame(frame);
        if (frame.type === "welcome" && !welcomed) {
          welcomed = true;
          resolve(frame);
        }
      });
      ws.on("error", () => undefined);
      ws.on("close", (code, reason) => {
        if (this.ws === ws) this.ws = null;
        this.emit("close", code, reason.toString());
        if (!welcomed) reject(new PhoneRefused(code, reason.toString()));
      });
    });
  }

  /** Sends a raw text frame. */
  sendRaw(data: string | Buffer): void {
    this.ws?.send(data);
  }

  chat(text: string, id?: string): void {
    this.sendRaw(JSON.stringify({ type: "chat", text, ...(id === undefined ? {} : { id }) }));
  }

  mode(audio: boolean): void {
    this.sendRaw(JSON.stringify({ type: "mode", audio }));
  }

  /** Cuts the connection as a network would (no close handshake). */
  cut(): void {
    const ws = this.ws;
    this.ws = null;
    ws?.terminate();
  }

  /** Stops reading (a stalled phone): the socket's data piles up at the bridge. */
  stall(): void {
    (this.ws as unknown as { _socket?: { pause(): void } })?._socket?.pause();
  }

  unstall(): void {
    (this.ws as unknown as { _socket?: { resume(): void } })?._socket?.resume();
  }

  /** Closes normally; resolves once closed. */
  close(): Promise<void> {
    const ws = this.ws;
    if (!ws || ws.readyState === WebSocket.CLOSED) return Promise.resolve();
    return new Promise((resolve) => {
      ws.once("close", () => resolve());
      ws.close(1000);
    });
  }

  #onFrame(frame: BridgeFrame) {
    this.frames.push(frame);
    switch (frame.type) {
      case "welcome":
        this.welcome = frame;
        this.resumeId = frame.resume;
        if (!frame.resumed) this.#setState(frame.state!);
        this.emit("welcome", frame);
        break;
      case "snapshot":
        this.#setState(frame.state);
        this.emit("snapshot", frame);
        break;
      case "events": {
        if (this.state === null) this.problems.push(`events ${frame.seq} before any state`);
        else if (frame.seq <= this.seq) this.problems.push(`seq ${frame.seq} again (at ${this.seq})`);
        else {
          if (frame.seq !== this.seq + 1) this.problems.push(`gap: ${this.seq} then ${frame.seq}`);
          // As the reducer applies a bundle: its events in order, then the clock and the seq.
          const bundle = { id: "phone", t: frame.t, seq: frame.seq, events: frame.events, ...(frame.audioT === undefined ? {} : { audio: { t: frame.audioT, data: new Uint8Array(0) } }) };
          this.state = applyBundle(this.state as RoomState, bundle) as PhoneState;
          this.seq = frame.seq;
          this.applied.push(frame.seq);
          this.emit("events", frame, this.state);
        }
        break;
      }
      case "chat":
        this.emit("chat", frame);
        break;
      case "prefetch":
        this.prefetch = frame;
        this.emit("prefetch", frame);
        break;
    }
    this.emit("frame", frame);
  }

  #setState(state: PhoneState) {
    this.state = state;
    this.seq = state.seq;
  }

  #onAudio(buf: Buffer) {
    const f = decodeAudioFrame(new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength));
    if (!f) return void this.problems.push("a binary frame that is not an audio frame");
    if (f.kind === AUDIO_KIND.header) this.header = f.pages.slice();
    // A bundle's audio comes before its events, so after a resume it may come again: kept once.
    else if (f.seq > (this.audio.at(-1)?.seq ?? 0)) this.audio.push({ ...f, pages: f.pages.slice() });
    else return;
    this.emit("audio", f);
  }
}
