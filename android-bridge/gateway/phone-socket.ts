/**
 * One phone's WebSocket at the bridge: reads its frames (protocol/phone.ts readPhoneFrame:
 * every field checked), limits their rate (a token bucket per socket), closes it when the
 * hello does not come in time, and writes to it through its bounded queue (send-queue.ts).
 * Heartbeats are the gateway's (one timer for all sockets): `alive` says when it last
 * answered. What a frame means (join, chat, mode) is the gateway's and the meeting's.
 */
import type { WebSocket } from "ws";
import { encodeAudioFrame, AUDIO_KIND, PHONE_CLOSE, readPhoneFrame, type BridgeFrame, type PhoneCloseName, type PhoneFrame } from "../../protocol/phone.ts";
import type { Timers } from "../../client-core/timers.ts";
import { SendQueue, type FrameKind } from "./send-queue.ts";
import { TokenBucket } from "./token-bucket.ts";
import type { BridgeLimits } from "./limits.ts";

export type PhoneStage = "hello" | "joining" | "joined" | "closed";

export interface PhoneHandlers {
  frame(phone: PhoneSocket, frame: PhoneFrame): void;
  closed(phone: PhoneSocket): void;
}

export class PhoneSocket {
  stage: PhoneStage = "hello";
  /** Monotonic ms of the last pong (or frame). */
  alive: number;
  /** Audio frames wanted (hello/mode `audio`). */
  audio = true;
  /** The meeting this socket is in, once joined. */
  meeting: string | null = null;
  /** Its chat name and resume id, once joined. */
  nick = "";
  /** Width its prefetch lists are at (hello `width`, snapped). */
  width = 1280;
  /** http(s)://host its WebSocket reached ("" when unknown): the base of its prefetch URLs when the bridge has no decks URL. */
  origin = "";
  resumeId = "";
  readonly chatBucket: TokenBucket;
  readonly queue: SendQueue;
  #headerSent: Uint8Array | null = null;
  readonly #bucket: TokenBucket;
  #helloTimer: unknown;

  constructor(
    readonly ws: WebSocket,
    readonly address: string,
    readonly limits: BridgeLimits,
    readonly timers: Timers,
    readonly handlers: PhoneHandlers,
    snapshot: () => { json: string; seq: number },
  ) {
    this.alive = timers.now();
    this.#bucket = new TokenBucket(limits.burst, limits.perSecond, timers.now);
    this.chatBucket = new TokenBucket(limits.chatBurst, limits.chatPerSecond, timers.now);
    this.queue = new SendQueue(
      { buffered: () => ws.bufferedAmount, write: (data, done) => ws.send(data, { binary: typeof data !== "string" }, () => done()) },
      { audioDropBytes: limits.audioDropBytes, snapshotBytes: limits.snapshotBytes, slowReaderMs: limits.slowReaderMs, highWater: limits.highWater },
      timers,
      snapshot,
      () => this.close("slowReader", "cannot keep up"),
    );
    this.#helloTimer = timers.set(() => {
      if (this.stage === "hello") this.close("badHello", "no hello in time");
    }, limits.helloTimeoutMs);
    ws.on("pong", () => (this.alive = this.timers.now()));
    ws.on("message", (data, isBinary) => this.#onMessage(data as Buffer | Buffer[] | ArrayBuffer, isBinary));
    ws.on("close", () => this.#onClosed());
    ws.on("error", () => this.#onClosed());
  }

  /** A text frame (events frames carry their seq for the queue's accounting). */
  send(frame: BridgeFrame | string, kind: FrameKind = "control", seq = 0): boolean {
    if (this.stage === "closed") return false;
    return this.queue.push(typeof frame === "string" ? frame : JSON.stringify(frame), kind, seq);
  }

  /** An audio pages frame (kind 2), preceded once per socket by the stream's header (kind 1). */
  sendAudio(frame: Uint8Array, seq: number, header: Uint8Array | null): void {
    if (!this.audio || this.stage === "closed") return;
    if (header && this.#headerSent !== header) {
      if (!this.queue.push(encodeAudioFrame({ kind: AUDIO_KIND.header, seq: 0, t: 0, pages: header }), "audio", seq)) return;
      this.#headerSent = header;
    }
    this.queue.push(frame, "audio", seq);
  }

  /** Sends the header now if audio is on and it has not been sent on this socket. */
  sendHeader(header: Uint8Array | null): void {
    if (!this.audio || !header || this.#headerSent === header || this.stage === "closed") return;
    if (this.queue.push(encodeAudioFrame({ kind: AUDIO_KIND.header, seq: 0, t: 0, pages: header }), "audio", 0)) this.#headerSent = header;
  }

  close(name: PhoneCloseName | "goingAway", reason: string): void {
    if (this.stage === "closed") return;
    this.#onClosed();
    const code = name === "goingAway" ? 1001 : PHONE_CLOSE[name];
    try {
      this.ws.close(code, reason.slice(0, 120));
    } catch {
      this.ws.terminate();
    }
    // A peer that never answers the close handshake is cut after a while.
    const t = this.timers.set(() => this.ws.terminate(), 5_000);
    this.ws.once("close", () => this.timers.clear(t));
  }

  #onMessage(data: Buffer | Buffer[] | ArrayBuffer, isBinary: boolean) {
    if (this.stage === "closed") return;
    this.alive = this.timers.now();
    if (!this.#bucket.take()) return this.close("rateLimited", "too many frames");
    const buf = Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data as ArrayBuffer);
    if (isBinary) return this.close("tooLarge", "phones send no binary frames");
    const read = readPhoneFrame(buf.length > this.limits.maxFrameBytes ? "" : buf.toString("utf8"), buf.length);
    if (!read.ok) return this.close(read.close, read.reason);
    const frame = read.frame;
    if (frame.type === "hello") {
      if (this.stage !== "hello") return this.close("badHello", "a second hello");
      this.timers.clear(this.#helloTimer);
      this.stage = "joining";
    } else if (this.stage === "hello") {
      return this.close("badHello", "the first frame must be hello");
    }
    this.handlers.frame(this, frame);
  }

  #onClosed() {
    if (this.stage === "closed") return;
    this.stage = "closed";
    this.timers.clear(this.#helloTimer);
    this.queue.close();
    this.handlers.closed(this);
  }
}
