/**
 * One phone's outgoing frames, bounded (docs/phone-protocol.md §Slow phones). Frames go to
 * the socket while its own buffer is under `highWater`; the rest wait here. Counting what
 * waits here and in the socket:
 * - past `audioDropBytes` audio frames are dropped (events never): the phone gets
 *   `audio-dropped {from, to}` before the next audio that fits, or before a snapshot;
 * - past `snapshotBytes` for an events frame the whole backlog is dropped and, once the
 *   socket drains, the phone gets a snapshot of the room as it is then (`snapshot()`),
 *   followed by the events after it; events that arrive meanwhile, or are queued later for a
 *   seq it already holds (a resume's replay), are covered by it;
 * - a snapshot still unsent after `slowReaderMs` calls `onSlow` (the socket closes);
 * - control frames (chat, participants, prefetch lists) are never covered by a snapshot:
 *   past twice `snapshotBytes` a phone that cannot take even those is given up (`onSlow`) at
 *   once, so a stalled phone in a chatty room without page turns cannot grow without bound.
 * Pure logic over a sink and injected timers, so a unit test drives it by hand.
 */
import type { Timers } from "../../client-core/timers.ts";

export interface QueueSink {
  /** Bytes the socket holds not yet written. */
  buffered(): number;
  /** Writes a frame; `done` once it left (or failed). */
  write(data: string | Uint8Array, done: () => void): void;
}

export interface QueueLimits {
  audioDropBytes: number;
  snapshotBytes: number;
  slowReaderMs: number;
  /** Socket buffer under which more is written. */
  highWater: number;
}

export type FrameKind = "events" | "audio" | "control";

interface Item {
  data: string | Uint8Array;
  bytes: number;
  kind: FrameKind;
  seq: number;
  /** An `audio-dropped` frame's range (merged back if the backlog goes). */
  dropped?: { from: number; to: number };
}

export class SendQueue {
  #items: Item[] = [];
  #queued = 0;
  /** Seqs whose audio was dropped and not yet reported. */
  #dropped: { from: number; to: number } | null = null;
  #needSnapshot = false;
  #slowTimer: unknown = null;
  #closed = false;
  /** The seq of the last snapshot written: frames of seqs up to it are covered by it. */
  #covered = 0;
  /** Counters (tests, stats). */
  stats = { audioDropped: 0, snapshots: 0 };

  constructor(
    readonly sink: QueueSink,
    readonly limits: QueueLimits,
    readonly timers: Pick<Timers, "set" | "clear">,
    /** The `snapshot` frame of the room now (JSON) and the seq it is at. */
    readonly snapshot: () => { json: string; seq: number },
    readonly onSlow: () => void,
  ) {}

  /** Bytes waiting here and in the socket. */
  get size(): number {
    return this.#queued + this.sink.buffered();
  }

  get waitingForSnapshot(): boolean {
    return this.#needSnapshot;
  }

  /** Queues a frame; false when it was dropped (audio over the limit, or covered by a coming snapshot). */
  push(data: string | Uint8Array, kind: FrameKind, seq = 0): boolean {
    if (this.#closed) return false;
    const bytes = typeof data === "string" ? Buffer.byteLength(data) : data.byteLength;
    if (kind !== "control" && seq > 0 && seq <= this.#covered) return false; // the snapshot has it
    if (kind === "audio") {
      if (this.#needSnapshot || this.size + bytes > this.limits.audioDropBytes) {
        this.#drop(seq);
        return false;
      }
      this.#reportDropped();
    } else if (kind === "events") {
      if (this.#needSnapshot) return false;
      if (this.size + bytes > this.limits.snapshotBytes) {
        this.#startSnapshot();
        return false;
      }
    } else if (this.#needSnapshot && this.size + bytes > this.limits.snapshotBytes) {
      return false;
    } else if (this.size + bytes > 2 * this.limits.snapshotBytes) {
      this.close();
      this.onSlow();
      return false;
    }
    this.#enqueue({ data, bytes, kind, seq });
    this.flush();
    return true;
  }

  /** Writes what the socket takes now. */
  flush = (): void => {
    if (this.#closed) return;
    while (this.#items.length > 0 && this.sink.buffered() < this.limits.highWater) {
      const item = this.#items.shift()!;
      this.#queued -= item.bytes;
      this.sink.write(item.data, this.flush);
    }
    if (this.#needSnapshot && this.#items.length === 0 && this.sink.buffered() < this.limits.highWater) {
      this.#needSnapshot = false;
      this.timers.clear(this.#slowTimer);
      this.#slowTimer = null;
      this.stats.snapshots++;
      this.#reportDropped(true);
      const snap = this.snapshot();
      this.#covered = snap.seq;
      this.sink.write(snap.json, this.flush);
    }
  };

  close(): void {
    this.#closed = true;
    this.timers.clear(this.#slowTimer);
    this.#items = [];
    this.#queued = 0;
  }

  #enqueue(item: Item) {
    this.#items.push(item);
    this.#queued += item.bytes;
  }

  #drop(seq: number) {
    this.stats.audioDropped++;
    this.#merge({ from: seq, to: seq });
  }

  /** Queues `audio-dropped` for what was dropped (written at once when `now`). */
  #reportDropped(now = false) {
    if (!this.#dropped) return;
    const dropped = this.#dropped;
    const frame = JSON.stringify({ type: "audio-dropped", ...dropped });
    this.#dropped = null;
    if (now) this.sink.write(frame, this.flush);
    else this.#enqueue({ data: frame, bytes: frame.length, kind: "control", seq: 0, dropped });
  }

  #merge(r: { from: number; to: number }) {
    if (!this.#dropped) this.#dropped = { ...r };
    else this.#dropped = { from: Math.min(this.#dropped.from, r.from), to: Math.max(this.#dropped.to, r.to) };
  }

  #startSnapshot() {
    // The backlog goes; what audio it held counts as dropped.
    const earlier = this.#dropped;
    this.#dropped = null;
    const keep: Item[] = [];
    for (const item of this.#items) {
      if (item.dropped) this.#merge(item.dropped);
      else if (item.kind === "audio") this.#drop(item.seq);
      else if (item.kind === "control") keep.push(item);
    }
    if (earlier) this.#merge(earlier);
    this.#items = keep;
    this.#queued = keep.reduce((n, i) => n + i.bytes, 0);
    this.#needSnapshot = true;
    this.#slowTimer = this.timers.set(() => {
      if (this.#needSnapshot && !this.#closed) this.onSlow();
    }, this.limits.slowReaderMs);
    this.flush();
  }
}
