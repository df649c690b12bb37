/**
 * Opus packets → PCM with WebCodecs' AudioDecoder (codec "opus", 48 kHz), which Chromium,
 * Edge, Firefox and Safari have; elsewhere with opus-recorder's decoder worker
 * (worker-decoder.ts). Each packet comes back as planar float samples with its session time.
 *
 * No `description` (OpusHead) is passed: the decoder then trims no pre-skip, and timing
 * stays entirely ours (stream-reader.ts already subtracts the pre-skip from every time).
 * Outputs come one per packet, in order, but Chromium stamps them by counting samples from
 * the first input: after packets were skipped (a backlog not worth playing) its timestamps
 * lag behind the stream's. So each output takes the time of the packet it came from, from
 * a queue of what was sent in.
 */
import type { TimedPacket } from "./stream-reader.ts";
import { createWorkerDecoder } from "./worker-decoder.ts";

export interface Pcm {
  /** Session time (ms) of the first sample. */
  at: number;
  /** One array per channel, 48 kHz. */
  channels: Float32Array<ArrayBuffer>[];
}

export interface OpusDecoder {
  decode(packet: TimedPacket): void;
  close(): void;
}

export function hasWebCodecs(): boolean {
  return typeof AudioDecoder === "function" && typeof EncodedAudioChunk === "function";
}

export function canDecodeOpus(): boolean {
  return hasWebCodecs() || (typeof Worker === "function" && typeof WebAssembly === "object");
}

export function createOpusDecoder(channels: number, onPcm: (pcm: Pcm) => void, onError: (err: Error) => void): OpusDecoder {
  return hasWebCodecs() ? createWebCodecsDecoder(channels, onPcm, onError) : createWorkerDecoder(channels, onPcm, onError);
}

function createWebCodecsDecoder(channels: number, onPcm: (pcm: Pcm) => void, onError: (err: Error) => void): OpusDecoder {
  const sent: number[] = [];
  const decoder = new AudioDecoder({
    output: (data) => {
      try {
        const at = sent.shift();
        if (at === undefined) return;
        const planes: Float32Array<ArrayBuffer>[] = [];
        for (let c = 0; c < data.numberOfChannels; c++) {
          const plane = new Float32Array(data.numberOfFrames);
          data.copyTo(plane, { planeIndex: c, format: "f32-planar" });
          planes.push(plane);
        }
        onPcm({ at, channels: planes });
      } finally {
        data.close();
      }
    },
    error: (e) => onError(e instanceof Error ? e : new Error(String(e))),
  });
  decoder.configure({ codec: "opus", sampleRate: 48000, numberOfChannels: channels });
  return {
    decode(p) {
      if (decoder.state !== "configured") return;
      sent.push(p.at);
      decoder.decode(new EncodedAudioChunk({ type: "key", timestamp: Math.round(p.at * 1000), duration: Math.round((p.samples / 48) * 1000), data: p.data }));
    },
    close() {
      if (decoder.state !== "closed") decoder.close();
    },
  };
}
