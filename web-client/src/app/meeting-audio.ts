/**
 * The voice of one meeting, for one person: their microphone while they present
 * (audio/mic.ts → MeetingSession.sendAudio), and the presenter's voice while they follow
 * (relayed audio → audio/player.ts, which is also the clock of sync mode).
 *
 * Browser only (AudioContext, getUserMedia); the UI (<dc-mic>, <dc-listen>) shows `mic` and
 * `listening`/`muted`/`volume` and calls the methods here.
 */
import type { AudioChunk } from "../../../protocol/types.ts";
import { Microphone, type MicInput } from "../audio/mic.ts";
import { AudioPlayer } from "../audio/player.ts";
import { Emitter } from "../../../client-core/emitter.ts";
import type { MeetingSession } from "./meeting-session.ts";

export interface MeetingAudioEvents extends Record<string, unknown[]> {
  change: [];
  problem: [string];
}

export class MeetingAudio extends Emitter<MeetingAudioEvents> {
  readonly mic: Microphone;
  player: AudioPlayer | null = null;
  inputs: MicInput[] = [];
  #muted = false;
  #volume = 1;
  readonly #session: MeetingSession;
  readonly #off: (() => void)[] = [];

  constructor(session: MeetingSession) {
    super();
    this.#session = session;
    this.mic = new Microphone(() => session.now());
    this.#off.push(
      this.mic.on("chunk", (c) => session.sendAudio(c)),
      this.mic.on("change", () => {
        session.setMicLive(this.mic.state === "live");
        if (this.mic.state === "live") void this.refreshInputs();
        this.emit("change");
      }),
      session.on("audio", (c) => this.#heard(c)),
      session.on("change", () => {
        // The role went to someone else: their voice now, not ours.
        if (!session.presenting && this.mic.state !== "off") void this.mic.stop();
      }),
    );
    navigator.mediaDevices?.addEventListener?.("devicechange", this.#onDevices);
  }

  /** Following with sound on: events wait for their audio. */
  get listening(): boolean {
    return this.player !== null;
  }

  get muted(): boolean {
    return this.#muted;
  }

  get volume(): number {
    return this.#volume;
  }

  async refreshInputs(): Promise<void> {
    this.inputs = await Microphone.inputs().catch(() => []);
    this.emit("change");
  }

  /** Starts playing the presenter's voice (call from the click that asked for it). */
  async listen(): Promise<void> {
    if (this.player) return;
    if (!AudioPlayer.supported()) {
      this.emit("problem", "This browser cannot play the presenter's voice. Use a current Chrome, Edge, Firefox or Safari.");
      return;
    }
    const player = new AudioPlayer();
    player.volume = this.#volume;
    player.muted = this.#muted;
    this.player = player;
    player.on("timing", () => this.#session.retimePlayout());
    player.on("problem", (text) => this.emit("problem", text));
    if (this.#session.audioHeader) player.header(this.#session.audioHeader);
    this.#session.setPlayoutClock(player);
    this.emit("change");
    await player.resume();
  }

  setMuted(on: boolean): void {
    this.#muted = on;
    if (this.player) this.player.muted = on;
    this.emit("change");
  }

  setVolume(v: number): void {
    this.#volume = v;
    if (this.player) this.player.volume = v;
    this.emit("change");
  }

  async stop(): Promise<void> {
    for (const off of this.#off) off();
    navigator.mediaDevices?.removeEventListener?.("devicechange", this.#onDevices);
    this.#session.setPlayoutClock(null);
    await this.mic.stop();
    await this.player?.close();
    this.player = null;
  }

  #heard(chunk: AudioChunk) {
    // A presenter does not hear themselves; their view is not delayed either.
    if (this.player && !this.#session.presenting) this.player.push(chunk);
  }

  #onDevices = () => void this.refreshInputs();
}
