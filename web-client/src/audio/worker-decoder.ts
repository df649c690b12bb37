/**
 * Opus packets → PCM with opus-recorder's decoder worker (libopus in WebAssembly), for
 * browsers without WebCodecs' AudioDecoder. The worker reads Ogg pages, initialises on a
 * BOS page with an OpusHead and decodes pages whose sequence number is above 1; it sends
 * back PCM in blocks of `BLOCK` samples of the continuous decoded stream, not per packet.
 * So each packet goes in alone in a page of its own, and each block is given back its
 * session time from a list of where each packet's samples start (a block straddling a
 * packet that followed a skip is cut in two).
 *
 * The worker and its .wasm are served from the web client's origin at fixed names
 * (`/opus-recorder/`, copied by vite.config.ts): workers must be same-origin, and the worker
 * finds its .wasm beside itself.
 */
import type { OpusDecoder, Pcm } from "./opus-decoder.ts";
import { onePacketPage } from "./ogg-pages.ts";
import type { TimedPacket } from "./stream-reader.ts";

export const DECODER_WORKER_URL = "/opus-recorder/decoderWorker.min.js";
/** Samples per block sent back: one 20 ms frame, so a block waits for no more than its packet. */
const BLOCK = 960;
const SERIAL = 1;

function opusHead(channels: number): Uint8Array {
  const head = new Uint8Array(19);
  head.set([..."OpusHead"].map((c) => c.charCodeAt(0)));
  head[8] = 1;
  head[9] = channels;
  new DataView(head.buffer).setUint32(12, 48000, true);
  return head;
}

export function createWorkerDecoder(channels: number, onPcm: (pcm: Pcm) => void, onError: (err: Error) => void): OpusDecoder {
  const worker = new Worker(DECODER_WORKER_URL);
  /** Where each packet's samples start in the decoded stream, and its session time. */
  const starts: { sample: number; at: number }[] = [];
  let decoded = 0;
  let given = 0;
  let sequence = 2;
  worker.onerror = (e) => onError(new Error(e.message || "the decoder worker failed"));
  worker.onmessage = (e: MessageEvent<Float32Array[] | null>) => {
    const planes = e.data;
    if (!planes?.[0]) return;
    let from = 0;
    while (from < BLOCK) {
      // The packet the block's sample `given` belongs to, and where the next one starts.
      while (starts.length > 1 && starts[1]!.sample <= given) starts.shift();
      const span = starts[0];
      if (!span) break;
      const next = starts[1]?.sample ?? Infinity;
      const to = Math.min(BLOCK, from + (next - given));
      onPcm({ at: span.at + (given - span.sample) / 48, channels: planes.map((p) => p.slice(from, to)) });
      given += to - from;
      from = to;
    }
  };
  worker.postMessage({ command: "init", decoderSampleRate: 48000, outputBufferSampleRate: 48000, bufferLength: BLOCK });
  worker.postMessage({ command: "decode", pages: onePacketPage(opusHead(channels), { serial: SERIAL, sequence: 0, granule: 0, bos: true }) });
  return {
    decode(p: TimedPacket) {
      starts.push({ sample: decoded, at: p.at });
      decoded += p.samples;
      worker.postMessage({ command: "decode", pages: onePacketPage(p.data, { serial: SERIAL, sequence: sequence++, granule: decoded }) });
    },
    close() {
      worker.terminate();
    },
  };
}
