/**
 * Reading a presenter's audio chunk: Ogg Opus pages of one or more recordings (each its own
 * logical stream: serial, OpusHead, OpusTags, audio) become runs of audio packets, one run
 * per recording, with each packet's duration. Header packets are taken out (OpusHead is
 * checked against the session's channel count; a resent header is simply dropped).
 *
 * Pure: the recordings seen so far come in as a map and a new map goes out, so a chunk
 * that is refused (or whose archive write fails) changes nothing.
 */
import type { Result } from "../../protocol/types.ts";
import { pagePieces, parsePages } from "../../protocol/ogg.ts";
import { isOpusHead, isOpusTags, opusPacketSamples, parseOpusHead, type OpusHead } from "./opus.ts";

/** What is remembered of one input recording between chunks. */
export interface InputStream {
  serial: number;
  /** Sequence number of its last page read. */
  lastSequence: number;
  /** Its OpusHead's pre-skip (the session's when its OpusHead was never seen). */
  preSkip: number;
  /** The start of a packet that goes on in the recording's next page. */
  carry: Uint8Array | null;
  /** Audio packets of it have been read (so a following page continues audio already placed). */
  audio: boolean;
}

export interface AudioPacket {
  data: Uint8Array;
  samples: number;
}

/** Consecutive audio packets of one recording. */
export interface InputRun {
  serial: number;
  preSkip: number;
  /** The run goes straight on from audio of the same recording read before (its previous page). */
  contiguous: boolean;
  packets: AudioPacket[];
}

export interface ChunkPackets {
  runs: InputRun[];
  /** The first OpusHead in the chunk, if any. */
  head: OpusHead | null;
  /** The recordings known after this chunk. */
  inputs: Map<number, InputStream>;
}

/** Recordings remembered at most (a presenter makes one per mic switch-on). */
const MAX_INPUTS = 32;
const hex = (n: number) => `0x${n.toString(16).padStart(8, "0")}`;

/**
 * Splits a chunk into runs of audio packets. `channels` is the session stream's channel
 * count (null before its first OpusHead); `defaultPreSkip` applies to recordings whose
 * OpusHead was never seen (their first pages came before a component restart).
 */
export function readChunk(bytes: Uint8Array, known: ReadonlyMap<number, InputStream>, channels: number | null, defaultPreSkip: number): Result<ChunkPackets, string> {
  const parsed = parsePages(bytes);
  if (!parsed.ok) return { ok: false, error: parsed.error.message };
  if (parsed.value.length === 0) return { ok: false, error: "the audio holds no Ogg page" };
  const inputs = new Map(known);
  const runs: InputRun[] = [];
  let head: OpusHead | null = null;
  for (const [i, page] of parsed.value.entries()) {
    const where = `page ${i + 1} (serial ${hex(page.serial)}, sequence ${page.sequence})`;
    const input: InputStream = { ...(inputs.get(page.serial) ?? { serial: page.serial, lastSequence: -1, preSkip: defaultPreSkip, carry: null, audio: false }) };
    const follows = page.sequence === input.lastSequence + 1;
    const { pieces, open } = pagePieces(page);
    // A continued page: its first piece ends a packet begun on the previous page, which we
    // can only complete if we read that page; otherwise it is half a packet, dropped.
    if (page.continued) {
      const rest = pieces.shift();
      if (rest && input.carry && follows) pieces.unshift(concat(input.carry, rest));
    }
    input.carry = open ? (pieces.pop() ?? null) : null;
    for (const [k, packet] of pieces.entries()) {
      if (isOpusHead(packet)) {
        const h = parseOpusHead(packet);
        if (!h.ok) return { ok: false, error: `${where}: ${h.error}` };
        const expected = channels ?? head?.channels;
        if (expected !== undefined && h.value.channels !== expected) {
          return { ok: false, error: `${where}: the recording has ${h.value.channels} channel(s), the session's audio has ${expected}` };
        }
        head ??= h.value;
        input.preSkip = h.value.preSkip;
        continue;
      }
      if (isOpusTags(packet)) continue;
      const samples = opusPacketSamples(packet);
      if (!samples.ok) return { ok: false, error: `${where}, packet ${k + 1}: ${samples.error}` };
      let run = runs.at(-1);
      if (run?.serial !== page.serial) {
        run = { serial: page.serial, preSkip: input.preSkip, contiguous: input.audio && follows, packets: [] };
        runs.push(run);
      }
      run.packets.push({ data: packet, samples: samples.value });
      input.audio = true;
    }
    // A resent header page (sequence 0 or 1) does not take the recording back.
    input.lastSequence = Math.max(input.lastSequence, page.sequence);
    inputs.delete(page.serial);
    inputs.set(page.serial, input);
    if (inputs.size > MAX_INPUTS) inputs.delete(inputs.keys().next().value!);
  }
  return { ok: true, value: { runs, head, inputs } };
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}
