/**
 * Where a meeting's bundles come from. The meeting view (meeting-view.ts) does not care: the
 * live room over XMPP (live-room.ts), an archive's journal (journal-source.ts) and, with the
 * phone bridge, a gateway subscription all offer the same three things: a snapshot to start
 * from, bundles as they come (in any order, possibly twice), and ranges by sequence number to
 * fill whatever is missing. Ordering and gap filling are the view's (bundle-order.ts), so
 * every source gets them alike.
 */
import type { RangeAnswer, StateAnswer } from "../protocol/catch-up.ts";
import type { StampedBundle } from "../protocol/types.ts";

export type { RangeAnswer };

/** What a source starts from: a state, the audio header as of it, and how far the source already reaches. */
export interface Snapshot extends StateAnswer {
  /** The source's newest seq when above `state.seq` (an archive opened at its start): the view catches up to it. */
  last?: number;
}

export interface BundleSourceEvents extends Record<string, unknown[]> {
  /** A bundle as it arrived (not yet ordered: the view checks its seq). */
  bundle: [StampedBundle];
  /** The source may now hold bundles the view has not seen (a reconnect, a journal that grew): ask with range(). */
  behind: [];
  /** Something went wrong that the source is handling itself (a failed rejoin it retries); for the person to see. */
  error: [Error];
}

export interface BundleSource {
  on<K extends keyof BundleSourceEvents>(event: K, fn: (...args: BundleSourceEvents[K]) => void): () => void;
  /** Starts (joins the room, opens the journal) and resolves with the state to start from. */
  open(): Promise<Snapshot>;
  /**
   * Bundles `from`..`to` (to the newest when `to` is undefined), or the first part of them
   * (`answer.to` says where it stopped); null when nothing at `from` exists yet.
   */
  range(from: number, to?: number): Promise<RangeAnswer | null>;
  /** Stops; no events after it resolves. */
  close(): Promise<void>;
}
