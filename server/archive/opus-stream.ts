/**
 * The session's audio as ONE Ogg Opus stream (docs/protocol.md §Audio): whatever the
 * presenters' recordings look like (a new serial, header pages and granule positions from 0
 * each time a mic is switched on), the component re-stamps their packets into one logical
 * stream with one serial, one OpusHead and OpusTags, continuous page sequence numbers and
 * granule positions, and Opus silence wherever nobody was recorded. Output sample s (after
 * pre-skip) plays at session time s / 48 ms, so the stream follows the session clock.
 *
 * Placing a chunk whose recording has pre-skip p at session time t (its first packet at
 * sample 48·t − p, so what the mic heard at t plays at t):
 * - continuing audio (the next page of a recording already placed) is appended as is,
 *   unless it starts more than JITTER after the stream's end (a pause: silence fills it);
 * - new audio (a new recording, a gap in its page numbers, or the first chunk after a
 *   restart) is placed at t: silence fills any gap of 2.5 ms or more; if it starts up to
 *   JITTER before the stream's end it is appended at the end; if more, the packets lying
 *   wholly before the stream's end are dropped (time already covered: a duplicate) and the
 *   rest appended. The stream never goes backwards.
 *
 * Nothing changes until the plan is committed (after the archive has the bytes).
 */
import { randomBytes } from "node:crypto";
import { LIMITS } from "../../protocol/namespaces.ts";
import type { AudioChunk, Result } from "../../protocol/types.ts";
import { packPages } from "../../protocol/ogg.ts";
import { buildOpusHead, buildOpusTags, SAMPLES_PER_MS, silencePackets } from "./opus.ts";
import { readChunk, type AudioPacket, type InputStream } from "./opus-input.ts";

/** How far (60 ms) a chunk's time may disagree with the stream before it counts. */
export const JITTER_SAMPLES = 60 * SAMPLES_PER_MS;
/** Audio pages hold up to 200 ms, silence pages up to 1 s. */
const AUDIO_PAGE_SAMPLES = 200 * SAMPLES_PER_MS;
const SILENCE_PAGE_SAMPLES = 1000 * SAMPLES_PER_MS;
const SMALLEST_GAP = 120; // 2.5 ms, the shortest Opus frame
export const VENDOR = "deckcast";

/** Everything needed to go on writing the stream (recoverable from the file itself, except `inputs`). */
export interface OpusStreamState {
  serial: number;
  /** Sequence number of the next page. */
  sequence: number;
  /** Granule position at the stream's end (48 kHz samples, pre-skip included). */
  granule: number;
  /** From the first recording's OpusHead; null until then. */
  channels: number | null;
  preSkip: number;
  /** The OpusHead and OpusTags pages, once written. */
  headers: Uint8Array | null;
  /** An end-of-stream page was written: nothing more can follow. */
  ended: boolean;
  /** Recordings seen (to tell continuing audio from new). */
  inputs: ReadonlyMap<number, InputStream>;
}

/** What one append (or finish) would write. */
export interface AudioPlan {
  /** Chunks of whole pages, in order, each at most `maxBytes`; possibly none. */
  parts: AudioChunk[];
  /** Makes parts[0..upTo] part of the stream (default: all of them). Call after they are archived, in order. */
  commit(upTo?: number): void;
}

export interface OpusSessionStream {
  readonly state: Readonly<OpusStreamState>;
  /** Session time (ms) the stream has reached. */
  readonly position: number;
  /** Plans writing a presenter's chunk; refuses malformed or incompatible audio with a precise reason. */
  append(chunk: AudioChunk): Result<AudioPlan, string>;
  /** Plans the stream's end: silence up to session time `t`, then the end-of-stream flag. */
  finish(t: number): AudioPlan;
}

export interface OpusStreamOptions {
  /** Random when not given. */
  serial?: number;
  /** Written as the TITLE comment. */
  title?: string;
  /** Continue a stream (see recoverOpusSessionStream). */
  state?: OpusStreamState;
  maxBytes?: number;
}

/** The session's single output stream. */
export function createOpusSessionStream(o: OpusStreamOptions = {}): OpusSessionStream {
  let state: OpusStreamState = o.state ?? { serial: o.serial ?? randomBytes(4).readUInt32LE(0), sequence: 0, granule: 0, channels: null, preSkip: 0, headers: null, ended: false, inputs: new Map() };
  const maxBytes = o.maxBytes ?? LIMITS.maxAudioBytes;
  const toMs = (granule: number, s: OpusStreamState) => Math.max(0, Math.round((granule - s.preSkip) / SAMPLES_PER_MS));

  /**
   * Writes into a copy of the state, collecting pages into parts of at most maxBytes. Pages
   * come in groups that end with a whole packet, and a part never splits a group, so each
   * part's end is a state the stream can stop at (`end`, what committing it installs).
   */
  function planner() {
    const st: OpusStreamState = { ...state };
    const parts: { t: number; pages: Uint8Array[]; size: number; end?: OpusStreamState }[] = [];
    /** Adds a group of pages that starts at `startGranule`; `st` already stands after it. */
    const push = (pages: Uint8Array[], startGranule: number) => {
      const size = pages.reduce((n, p) => n + p.length, 0);
      let part = parts.at(-1);
      if (!part || part.size + size > maxBytes) parts.push((part = { t: toMs(startGranule, st), pages: [], size: 0 }));
      part.pages.push(...pages);
      part.size += size;
      part.end = { ...st };
    };
    const headers = () => {
      const head = packPages([{ data: buildOpusHead({ channels: st.channels!, preSkip: st.preSkip }), granule: 0 }], { serial: st.serial, sequence: 0, bos: true });
      const tags = packPages([{ data: buildOpusTags(VENDOR, o.title ? [`TITLE=${o.title}`] : []), granule: 0 }], { serial: st.serial, sequence: 1 });
      st.sequence = 2;
      st.headers = concat([...head, ...tags]);
      push([...head, ...tags], 0);
    };
    const packets = (list: AudioPacket[], pageSamples: number, eos = false) => {
      for (let i = 0; i < list.length; ) {
        const start = st.granule;
        const group = [];
        let g = start;
        for (let n = 0; i < list.length && (n === 0 || g - start + list[i]!.samples <= pageSamples); n++, i++) {
          g += list[i]!.samples;
          group.push({ data: list[i]!.data, granule: g });
        }
        const pages = packPages(group, { serial: st.serial, sequence: st.sequence, eos: eos && i === list.length });
        st.sequence += pages.length;
        st.granule = g;
        push(pages, start);
      }
    };
    const silence = (samples: number, eos = false) =>
      packets(silencePackets(samples, st.channels!).map((s) => ({ data: s.packet, samples: s.samples })), SILENCE_PAGE_SAMPLES, eos);
    const plan = (inputs?: ReadonlyMap<number, InputStream>): AudioPlan => ({
      parts: parts.map((p) => ({ t: p.t, data: concat(p.pages) })),
      commit(upTo = parts.length - 1) {
        const last = upTo >= parts.length - 1;
        state = last ? { ...st, inputs: inputs ?? st.inputs } : parts[upTo]!.end!;
      },
    });
    return { st, headers, packets, silence, plan };
  }

  return {
    get state() {
      return state;
    },
    get position() {
      return toMs(state.granule, state);
    },

    append(chunk) {
      if (state.ended) return { ok: false, error: "the session's audio stream has ended" };
      const read = readChunk(chunk.data, state.inputs, state.channels, state.preSkip);
      if (!read.ok) return read;
      const { runs, head, inputs } = read.value;
      const w = planner();
      if (w.st.channels === null && head) Object.assign(w.st, { channels: head.channels, preSkip: head.preSkip });
      if (w.st.channels === null && runs.length > 0) return { ok: false, error: "audio before any OpusHead: a recording must begin with its OpusHead page" };
      if (w.st.channels !== null && !w.st.headers) w.headers();
      for (const [i, run] of runs.entries()) {
        let list = run.packets;
        if (i === 0) {
          // Later runs (another recording in the same chunk) follow on: t is the first run's.
          const gap = SAMPLES_PER_MS * chunk.t - run.preSkip - (w.st.granule - w.st.preSkip);
          if (gap > JITTER_SAMPLES || (gap >= SMALLEST_GAP && !run.contiguous)) w.silence(gap);
          else if (gap < -JITTER_SAMPLES && !run.contiguous) list = dropCovered(list, -gap);
        }
        w.packets(list, AUDIO_PAGE_SAMPLES);
      }
      return { ok: true, value: w.plan(inputs) };
    },

    finish(t) {
      const w = planner();
      if (state.ended || !state.headers) return w.plan();
      const gap = SAMPLES_PER_MS * t - (w.st.granule - w.st.preSkip);
      w.silence(Math.max(gap, SMALLEST_GAP), true);
      w.st.ended = true;
      return w.plan();
    },
  };
}

/** Drops leading packets that lie wholly within the first `covered` samples. */
function dropCovered(list: AudioPacket[], covered: number): AudioPacket[] {
  let i = 0;
  for (let sum = 0; i < list.length && sum + list[i]!.samples <= covered; i++) sum += list[i]!.samples;
  return list.slice(i);
}

export function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  parts.reduce((at, p) => (out.set(p, at), at + p.length), 0);
  return out;
}
