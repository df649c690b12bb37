/**
 * The reader's requests to a meeting (docs/protocol.md §Join late, §Fill a gap, §Send a
 * bundle) and their answers: `<state/>` for the room as it is now, `<range/>` for archived
 * bundles by sequence number, and a presenter's bundle with its `<ack/>`. Clients build and
 * read these here, never by hand; decoders check every attribute and never throw.
 */
import xml from "@xmpp/xml";
import { decodeAudioHeader } from "./audio-header.ts";
import { decodeBundle, encodeBundle } from "./codec.ts";
import { NS } from "./namespaces.ts";
import { fail, ok } from "./result.ts";
import { decodeState } from "./state-codec.ts";
import type { Bundle, Result, RoomState, StampedBundle } from "./types.ts";
import { attr, type Element } from "./xml-read.ts";

/** The room now, and the session audio stream's header pages when audio has been relayed. */
export interface StateAnswer {
  state: RoomState;
  audioHeader: Uint8Array | null;
}

/** One `<range/>` answer: bundles `from`..`to` in order; `last` is the room's newest seq. */
export interface RangeAnswer {
  bundles: StampedBundle[];
  from: number;
  to: number;
  last: number;
}

export interface Ack {
  id: string;
  seq: number;
  ts: number;
  duplicate: boolean;
}

export function stateRequest(meeting: string): Element {
  return xml("iq", { type: "get", to: meeting }, xml("state", { xmlns: NS.deckcast }));
}

/** Bundles `from`..`to`; without `to`, up to the room's last. */
export function rangeRequest(meeting: string, from: number, to?: number): Element {
  const attrs: Record<string, string> = { xmlns: NS.deckcast, from: String(from) };
  if (to !== undefined) attrs.to = String(to);
  return xml("iq", { type: "get", to: meeting }, xml("range", attrs));
}

export function bundleRequest(meeting: string, bundle: Bundle): Element {
  return xml("iq", { type: "set", to: meeting }, encodeBundle(bundle));
}

const wholeAttr = (el: Element, name: string, min: number): number | null => {
  const v = attr(el, name);
  if (v === undefined || !/^\d{1,16}$/.test(v)) return null;
  const n = Number(v);
  return Number.isSafeInteger(n) && n >= min ? n : null;
};

/** Reads the result of a state request (the IQ result, or its `<state/>` child). */
export function decodeStateAnswer(res: Element): Result<StateAnswer> {
  const el = res.name === "state" ? res : res.getChild("state", NS.deckcast);
  if (!el) return fail("bad-request", "the answer holds no <state/>");
  const state = decodeState(el);
  if (!state.ok) return state;
  const header = decodeAudioHeader(el);
  return ok({ state: state.value, audioHeader: header.ok ? header.value : null });
}

/**
 * Reads the result of a range request. Every bundle must be stamped, and they must run
 * `from`, `from`+1, … `to` without a gap: anything else is refused whole.
 */
export function decodeRangeAnswer(res: Element): Result<RangeAnswer> {
  const el = res.name === "range" ? res : res.getChild("range", NS.deckcast);
  if (!el) return fail("bad-request", "the answer holds no <range/>");
  const from = wholeAttr(el, "from", 1);
  const to = wholeAttr(el, "to", 0);
  const last = wholeAttr(el, "last", 0);
  if (from === null || to === null || last === null || to > last) return fail("bad-request", "range@from, to and last must be whole numbers with to ≤ last", "range");
  const bundles: StampedBundle[] = [];
  for (const child of el.getChildren("bundle", NS.deckcast)) {
    const d = decodeBundle(child);
    if (!d.ok) return d;
    const b = d.value;
    if (b.seq !== from + bundles.length || b.ts === undefined || b.from === undefined) return fail("bad-request", `range: bundle ${bundles.length + 1} is not stamped with seq ${from + bundles.length}`, "range/bundle");
    bundles.push(b as StampedBundle);
  }
  if (bundles.length > 0 && from + bundles.length - 1 !== to) return fail("bad-request", "range@to is not the last bundle's seq", "range");
  return ok({ bundles, from, to, last });
}

/** Reads the `<ack/>` of an accepted bundle. */
export function decodeAck(res: Element): Result<Ack> {
  const el = res.name === "ack" ? res : res.getChild("ack", NS.deckcast);
  if (!el) return fail("bad-request", "the answer holds no <ack/>");
  const id = attr(el, "id");
  const seq = wholeAttr(el, "seq", 1);
  const ts = wholeAttr(el, "ts", 0);
  if (id === undefined || seq === null || ts === null) return fail("bad-request", "ack@id, seq and ts are required", "ack");
  return ok({ id, seq, ts, duplicate: attr(el, "duplicate") === "true" });
}
