/**
 * The presenter's microphone: capture with opus-recorder 8.0.5 (its encoder runs as an
 * AudioWorklet, libopus in WebAssembly), Ogg Opus pages streamed as they are made, each
 * turned into an `<audio>` chunk on the session clock (chunk-times.ts).
 *
 * Encoding (docs/protocol.md §Audio): 48 kHz mono, 20 ms frames, 24 kb/s voice, pages of
 * 5 frames (100 ms): a page can only leave once its last frame is encoded, so the page
 * length is paid in full by the first word of every page; 100 ms keeps mouth-to-ear well
 * inside 300 ms while a bundle a page stays under 1 KB.
 *
 * Also: choosing the input device, mute (the recording pauses; the meter keeps showing the
 * voice so a muted presenter sees they are muted), and a level for the meter.
 */
import type { AudioChunk } from "../../../protocol/types.ts";
import { Emitter } from "../../../client-core/emitter.ts";
import { ChunkTimes } from "./chunk-times.ts";
import { ContextClock } from "./context-clock.ts";
import { micProblem } from "./mic-errors.ts";

export type MicState = "off" | "starting" | "live" | "muted";

export interface MicEvents extends Record<string, unknown[]> {
  /** An audio chunk to send (header pages ride with the first). */
  chunk: [AudioChunk];
  /** state, error or device changed. */
  change: [];
}

export interface MicInput {
  id: string;
  label: string;
}

export const MIC_ENCODING = { encoderSampleRate: 48000, encoderFrameSize: 20, maxFramesPerPage: 5, encoderApplication: 2048, encoderBitRate: 24000, numberOfChannels: 1 } as const;

/**
 * What the browser does to the voice before encoding: no echo cancellation (nothing plays on
 * the presenter's page, and it adds delay), noise suppression and gain control on (laptop
 * microphones in meeting rooms).
 */
const PROCESSING = { echoCancellation: false, noiseSuppression: true, autoGainControl: true };

type RecorderModule = typeof import("opus-recorder");

/** How often the microphone reads its clock (context-clock.ts keeps the last 8: 2 s). */
const CLOCK_READ_MS = 250;

export class Microphone extends Emitter<MicEvents> {
  state: MicState = "off";
  /** Why the microphone is off, in plain words ("" when nothing went wrong). */
  error = "";
  /** The input in use (or last chosen); null = the browser's default. */
  deviceId: string | null = null;
  #context: AudioContext | null = null;
  #stream: MediaStream | null = null;
  #source: MediaStreamAudioSourceNode | null = null;
  #analyser: AnalyserNode | null = null;
  #samples = new Float32Array(1024);
  #recorder: InstanceType<RecorderModule["default"]> | null = null;
  #times = new ChunkTimes();
  #clock: ContextClock | null = null;
  #clockTimer: ReturnType<typeof setInterval> | undefined;
  readonly #now: () => number;

  /** `now`: the session clock, ms since the session started (not rounded, not clamped). */
  constructor(now: () => number) {
    super();
    this.#now = now;
  }

  /** The microphones the browser offers (labels only once the person allowed one). */
  static async inputs(): Promise<MicInput[]> {
    if (!navigator.mediaDevices?.enumerateDevices) return [];
    const all = await navigator.mediaDevices.enumerateDevices();
    return all.filter((d) => d.kind === "audioinput" && d.deviceId).map((d, i) => ({ id: d.deviceId, label: d.label || `Microphone ${i + 1}` }));
  }

  /** The captured sound before encoding (the level meter's and the tests' tap). */
  get source(): MediaStreamAudioSourceNode | null {
    return this.#source;
  }

  /** Session time (ms) of the sample the capture graph processes at context time `at` (s). */
  sessionTimeOf(at: number): number {
    return this.#clock ? this.#clock.sessionTimeOf(at) : this.#now();
  }

  /** Starts a new recording from `deviceId` (default: the last chosen). Call from a click. */
  async start(deviceId: string | null = this.deviceId): Promise<void> {
    if (this.state !== "off") await this.stop();
    this.deviceId = deviceId;
    this.error = "";
    this.#set("starting");
    try {
      await this.#open(deviceId);
    } catch (err) {
      await this.#close();
      this.error = micProblem(err);
      this.#set("off");
    }
  }

  async #open(deviceId: string | null) {
    if (!window.isSecureContext) throw new DOMException("insecure", "SecurityError");
    const [{ default: Recorder }, { default: encoderPath }] = await Promise.all([import("opus-recorder"), import("opus-recorder/dist/encoderWorker.min.js?url")]);
    const ctx = (this.#context = new AudioContext({ sampleRate: 48000, latencyHint: "interactive" }));
    await ctx.resume();
    const clock = (this.#clock = new ContextClock(ctx, this.#now));
    clock.read();
    this.#clockTimer = setInterval(() => clock.read(), CLOCK_READ_MS);
    const audio: MediaTrackConstraints = { ...PROCESSING, channelCount: 1, ...(deviceId ? { deviceId: { exact: deviceId } } : {}) };
    this.#stream = await navigator.mediaDevices.getUserMedia({ audio });
    this.#stream.getAudioTracks()[0]?.addEventListener("ended", () => this.#lost());
    this.#source = ctx.createMediaStreamSource(this.#stream);
    this.#analyser = ctx.createAnalyser();
    this.#analyser.fftSize = this.#samples.length;
    this.#source.connect(this.#analyser);
    const recorder = (this.#recorder = new Recorder({ ...MIC_ENCODING, encoderPath, streamPages: true, sourceNode: this.#source }));
    recorder.ondataavailable = (page) => this.#page(page);
    // The encoder gets its first sample in the render quantum after start() connects it; which
    // session time that is, is settled when the first page is stamped (context-clock.ts).
    recorder.onstart = () => {
      const first = ctx.currentTime;
      this.#times.start(() => clock.sessionTimeOf(first));
    };
    await recorder.start();
    this.#set("live");
  }

  /** Uses input `id` from now on: a live microphone switches to it (a new recording). */
  async choose(id: string): Promise<void> {
    if (this.state === "off") {
      this.deviceId = id;
      this.emit("change");
    } else {
      await this.start(id);
    }
  }

  /** Mutes (the recording pauses, its last page is sent) or unmutes. */
  async setMuted(on: boolean): Promise<void> {
    const r = this.#recorder;
    if (!r) return;
    if (on && this.state === "live") {
      this.#set("muted");
      await r.pause(true);
    } else if (!on && this.state === "muted") {
      this.#times.resume(this.sessionTimeOf(this.#context!.currentTime));
      r.resume();
      this.#set("live");
    }
  }

  /** Ends the recording (its last pages are sent) and releases the microphone. */
  async stop(): Promise<void> {
    if (this.state === "off") return;
    await this.#recorder?.stop().catch(() => undefined);
    await this.#close();
    this.#set("off");
  }

  /** Peak level of the last ~20 ms, 0 (below −60 dBFS) … 1 (full scale). */
  level(): number {
    const a = this.#analyser;
    if (!a) return 0;
    a.getFloatTimeDomainData(this.#samples);
    let peak = 0;
    for (const s of this.#samples) peak = Math.max(peak, Math.abs(s));
    return peak <= 0.001 ? 0 : Math.min(1, (20 * Math.log10(peak) + 60) / 60);
  }

  #page(page: Uint8Array | undefined) {
    if (!page) return;
    const chunk = this.#times.page(page);
    if (chunk) this.emit("chunk", chunk);
  }

  async #lost() {
    if (this.state === "off") return;
    await this.#close();
    this.error = "The microphone was disconnected. Pick one and switch it on again.";
    this.#set("off");
  }

  async #close() {
    const recorder = this.#recorder;
    this.#recorder = null;
    await recorder?.close().catch(() => undefined);
    this.#source?.disconnect();
    for (const track of this.#stream?.getTracks() ?? []) track.stop();
    clearInterval(this.#clockTimer);
    this.#clock = null;
    await this.#context?.close().catch(() => undefined);
    this.#context = null;
    this.#stream = null;
    this.#source = null;
    this.#analyser = null;
  }

  #set(state: MicState) {
    this.state = state;
    this.emit("change");
  }
}
