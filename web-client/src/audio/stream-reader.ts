/**
 * The session's Ogg Opus stream as a follower receives it (docs/protocol.md §Audio, "What
 * followers receive"): `<audio>` chunks in seq order, the OpusHead and OpusTags pages first
 * (in the first relayed audio, or as the state's `<audio-header>` for a late joiner).
 * Out come Opus packets, each with the session time of its first sample: the stream's
 * sample s, counted after the pre-skip, plays at session time s / 48 ms.
 *
 * A page's granule position is the sample count at the end of its last complete packet, so
 * packets are timed by walking back from it with each packet's duration (TOC byte). A
 * packet continued across pages is joined when both pages arrive in order.
 */
import { readPages } from "./ogg-pages.ts";
import { isOpusHead, isOpusTags, packetSamples, readOpusHead, SAMPLES_PER_MS, type OpusHeadInfo } from "./opus-info.ts";

export interface TimedPacket {
  data: Uint8Array;
  /** Session time (ms, fractional) of the packet's first sample. */
  at: number;
  /** Duration in 48 kHz samples. */
  samples: number;
}

export class OpusStreamReader {
  /** The stream's OpusHead, once read; packets before it cannot be decoded and are skipped. */
  head: OpusHeadInfo | null = null;
  #serial = -1;
  #sequence = -1;
  #carry: Uint8Array | null = null;

  /** Reads whole pages; returns the audio packets in them, timed. Header pages only update `head`. */
  read(bytes: Uint8Array): TimedPacket[] {
    const out: TimedPacket[] = [];
    for (const page of readPages(bytes)) {
      const follows = page.serial === this.#serial && page.sequence === this.#sequence + 1;
      this.#serial = page.serial;
      this.#sequence = page.sequence;
      const pieces = [...page.pieces];
      if (page.continued) {
        const rest = pieces.shift();
        if (rest && this.#carry && follows) pieces.unshift(join(this.#carry, rest));
      }
      this.#carry = page.open ? (pieces.pop() ?? null) : null;
      const audio: Uint8Array[] = [];
      for (const p of pieces) {
        if (isOpusHead(p)) this.head = readOpusHead(p);
        else if (!isOpusTags(p) && p.length > 0) audio.push(p);
      }
      if (!this.head || audio.length === 0 || page.granule < 0) continue;
      let end = page.granule;
      const timed: TimedPacket[] = [];
      for (let i = audio.length - 1; i >= 0; i--) {
        const samples = packetSamples(audio[i]!);
        end -= samples;
        timed.push({ data: audio[i]!, at: (end - this.head.preSkip) / SAMPLES_PER_MS, samples });
      }
      out.push(...timed.reverse());
    }
    return out;
  }
}

function join(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}
