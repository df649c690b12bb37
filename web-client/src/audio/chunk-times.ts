/**
 * The presenter's audio on the session clock (docs/protocol.md §Audio, "What a presenter
 * sends"): opus-recorder streams Ogg pages whose granule positions count the samples
 * recorded; this turns each audio page into an `<audio>` chunk whose `t` is the session
 * time of its first sample.
 *
 * A recording is a series of spans: it starts at session time t0 (granule 0), and after
 * each mute it resumes at the session time of the unmute (the granule position goes on
 * where it stopped, the time does not). A page starting at granule g in the span that began
 * at (t, g0) has t + (g − g0) / 48. The header pages (OpusHead, OpusTags) ride with the
 * first audio page.
 */
import type { AudioChunk } from "../../../protocol/types.ts";
import { readPages } from "./ogg-pages.ts";
import { LIBOPUS_DELAY_SAMPLES, SAMPLES_PER_MS, withPreSkip } from "./opus-info.ts";

export class ChunkTimes {
  #span = { t: 0, granule: 0 };
  /** Granule position at the end of the last audio page (the next page starts there). */
  #granule = 0;
  #headers: Uint8Array[] = [];

  #startAt: (() => number) | null = null;

  /**
   * The recording starts (first sample at session time `t`). A function is read when the
   * first audio page is stamped, ~100 ms later: the microphone's clock has settled by then
   * (context-clock.ts).
   */
  start(t: number | (() => number)): void {
    this.#startAt = typeof t === "function" ? t : null;
    this.#span = { t: typeof t === "function" ? 0 : t, granule: 0 };
    this.#granule = 0;
    this.#headers = [];
  }

  /** The recording resumes after a mute; its next sample is at session time `t`. */
  resume(t: number): void {
    this.#startAt = null;
    this.#span = { t, granule: this.#granule };
  }

  /** One page from opus-recorder → the chunk to send, or null (held header pages, empty pages). */
  page(page: Uint8Array): AudioChunk | null {
    const [view] = readPages(page);
    if (!view) return null;
    if (view.granule <= 0) {
      // OpusHead (with opus-recorder's fixed 80 ms pre-skip corrected) and OpusTags.
      this.#headers.push(view.bos ? withPreSkip(page, LIBOPUS_DELAY_SAMPLES) : page);
      return null;
    }
    if (this.#startAt) {
      this.#span = { t: this.#startAt(), granule: 0 };
      this.#startAt = null;
    }
    const t = Math.round(this.#span.t + (this.#granule - this.#span.granule) / SAMPLES_PER_MS);
    this.#granule = view.granule;
    const data = this.#headers.length ? concat([...this.#headers, page]) : page;
    this.#headers = [];
    return { t, data };
  }
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  parts.reduce((at, p) => (out.set(p, at), at + p.length), 0);
  return out;
}
