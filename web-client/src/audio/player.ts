/**
 * Playing the session's audio in a follower's browser: relayed `<audio>` chunks →
 * stream-reader (timed Opus packets) → decoder (opus-decoder.ts) → AudioBuffers scheduled
 * on an AudioContext (scheduler.ts) at session time + the jitter buffer's offset (jitter.ts).
 *
 * It also answers the question the slides need in sync mode: when will session time t be
 * heard (`heardAt`, on the performance.now() clock)? null means "not listening": muted, not
 * started, or no audio yet; then events are shown as they arrive.
 *
 * Create it from a user gesture (a click): browsers start audio only then.
 */
import type { AudioChunk } from "../../../protocol/types.ts";
import { Emitter } from "../../../client-core/emitter.ts";
import { JitterPolicy } from "./jitter.ts";
import { canDecodeOpus, createOpusDecoder, type OpusDecoder, type Pcm } from "./opus-decoder.ts";
import { BufferScheduler } from "./scheduler.ts";
import { OpusStreamReader } from "./stream-reader.ts";

export interface PlayerEvents extends Record<string, unknown[]> {
  /** `heardAt` answers differently now (the buffer moved, mute changed, playing started). */
  timing: [];
  /** Something went wrong with playback, in plain words. */
  problem: [string];
}

export interface PlayerStats {
  chunks: number;
  /** Packets not played: too late (a backlog after a reconnect) or skipped to catch up. */
  dropped: number;
  /** The last chunk's lead: how long before it was due it arrived (ms). */
  lead: number;
}

export class AudioPlayer extends Emitter<PlayerEvents> {
  readonly context: AudioContext;
  /** The player's output (after volume and mute), connected to the speakers. */
  readonly output: GainNode;
  readonly #stats = { chunks: 0, dropped: 0, lead: 0 };
  #reader = new OpusStreamReader();
  #jitter = new JitterPolicy();
  #decoder: OpusDecoder | null = null;
  #channels = 0;
  readonly #scheduler: BufferScheduler;
  #volume = 1;
  #muted = false;
  #closed = false;

  constructor() {
    super();
    this.context = new AudioContext({ latencyHint: "interactive" });
    this.output = this.context.createGain();
    this.output.connect(this.context.destination);
    this.#scheduler = new BufferScheduler(this.context, this.output);
    this.context.addEventListener("statechange", () => this.emit("timing"));
  }

  static supported(): boolean {
    return typeof AudioContext === "function" && canDecodeOpus();
  }

  /** Starts the context (call from the click that asked to listen). */
  async resume(): Promise<void> {
    await this.context.resume();
  }

  get stats(): PlayerStats {
    return { ...this.#stats, dropped: this.#stats.dropped + this.#scheduler.dropped };
  }

  get muted(): boolean {
    return this.#muted;
  }

  set muted(on: boolean) {
    if (on === this.#muted) return;
    this.#muted = on;
    this.#applyGain();
    this.emit("timing");
  }

  get volume(): number {
    return this.#volume;
  }

  set volume(v: number) {
    this.#volume = Math.min(1, Math.max(0, v));
    this.#applyGain();
  }

  /** The stream's header pages (a late joiner's `<audio-header>`). */
  header(bytes: Uint8Array): void {
    this.#read(bytes);
  }

  /** A relayed chunk, in seq order. */
  push(chunk: AudioChunk): void {
    if (this.#closed) return;
    const packets = this.#read(chunk.data);
    if (!this.#ensureDecoder() || packets.length === 0) return;
    this.#stats.chunks++;
    const before = this.#jitter.offset;
    const last = packets[packets.length - 1]!;
    const place = this.#jitter.place(this.context.currentTime, packets[0]!.at, last.at + last.samples / 48);
    if ("drop" in place) {
      this.#stats.dropped += packets.length;
      return;
    }
    this.#stats.lead = place.lead;
    if (before !== null && place.offset < before) this.#scheduler.reschedule(place.offset);
    if (place.offset !== before) this.emit("timing");
    for (const p of packets) {
      // Not worth decoding what would play nothing (due already, or time skipped to catch up).
      if (this.#scheduler.covers(p.at / 1000 + place.offset + p.samples / 48000)) this.#stats.dropped++;
      else this.#decoder!.decode(p);
    }
  }

  /**
   * When session time `t` (ms) reaches the listener's ears, on the performance.now() clock;
   * null when not listening (muted, suspended, no audio yet).
   */
  heardAt(t: number): number | null {
    const offset = this.#jitter.offset;
    if (this.#muted || offset === null || this.context.state !== "running") return null;
    const at = t / 1000 + offset;
    const ts = this.context.getOutputTimestamp();
    if (ts.contextTime && ts.performanceTime) return ts.performanceTime + (at - ts.contextTime) * 1000;
    const ahead = this.context.baseLatency + (this.context.outputLatency || 0);
    return performance.now() + (at - this.context.currentTime + ahead) * 1000;
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.#decoder?.close();
    this.#decoder = null;
    await this.context.close().catch(() => undefined);
  }

  #read(bytes: Uint8Array) {
    try {
      return this.#reader.read(bytes);
    } catch (err) {
      this.emit("problem", `Some of the presenter's audio could not be read (${(err as Error).message}).`);
      return [];
    }
  }

  /** A decoder for the stream's channel count, once its OpusHead is known. */
  #ensureDecoder(): boolean {
    const head = this.#reader.head;
    if (!head) return false;
    if (this.#decoder && this.#channels === head.channels) return true;
    this.#decoder?.close();
    this.#channels = head.channels;
    this.#decoder = createOpusDecoder(head.channels, (pcm) => this.#play(pcm), (err) => {
      this.#decoder = null;
      this.emit("problem", `The presenter's audio could not be decoded (${err.message}).`);
    });
    return true;
  }

  #play(pcm: Pcm) {
    const first = pcm.channels[0];
    const offset = this.#jitter.offset;
    if (!first || offset === null || this.#closed) return;
    const buffer = this.context.createBuffer(pcm.channels.length, first.length, 48000);
    pcm.channels.forEach((plane, c) => buffer.copyToChannel(plane, c));
    this.#scheduler.play(buffer, pcm.at, offset);
  }

  #applyGain() {
    const target = this.#muted ? 0 : this.#volume;
    this.output.gain.setTargetAtTime(target, this.context.currentTime, 0.01);
  }
}
