/**
 * The recording's health on the wire (docs/protocol.md §Recording status): the
 * `<recording-status/>` element the component sends the room every 5 s while a meeting is
 * live, at once when an archive write fails, and as the answer to a `<recording-status/>`
 * get (to the component domain before a meeting: is recording available at all; to a
 * meeting: its status now). It is about the archive, so it is NOT archived: a groupchat
 * message with a no-store hint, never a bundle. Pure: no I/O; the decoder never throws.
 */

import xml, { type Element } from "@xmpp/xml";
import { NS } from "./namespaces.ts";
import { fail, ok } from "./result.ts";
import type { Result } from "./types.ts";
import { attr, isElement, localName, nsOf } from "./xml-read.ts";

/**
 * - `recording`: the meeting is recorded and the archive takes writes;
 * - `live-only`: created with record="false": nothing is kept once it ends;
 * - `failed`: the last archive write failed (`reason` in words);
 * - `available` / `unavailable`: before a meeting (the component domain's answer): whether a
 *   new meeting could be recorded (the archive folder is writable), `free` the disk's room.
 */
export const RECORDING_STATUS_STATES = ["recording", "live-only", "failed", "available", "unavailable"] as const;
export type RecordingStatusState = (typeof RECORDING_STATUS_STATES)[number];

export interface RecordingStatus {
  state: RecordingStatusState;
  /** Bytes of the archive so far (audio + events + chat). */
  bytes: number;
  /** Session time so far, ms. */
  duration: number;
  /** Free bytes on the archive's disk (fs.statfs), -1 when unknown. */
  free: number;
  /** Bytes per second the archive grew over the last minute. */
  rate: number;
  /** Why, in plain words (for `failed` and `unavailable`). */
  reason?: string;
}

/** Longest `reason` kept (code points). */
export const MAX_STATUS_REASON = 200;
/** The presenter is warned when the disk holds less than this much more at the current rate. */
export const LOW_HEADROOM_MS = 3_600_000;

/** Milliseconds of recording the disk still holds at the current rate (Infinity when nothing grows or free is unknown). */
export function headroomMs(s: Pick<RecordingStatus, "free" | "rate">): number {
  if (s.free < 0 || s.rate <= 0) return Infinity;
  return (s.free / s.rate) * 1000;
}

/** True when the presenter should be warned: less than an hour more at the current rate. */
export function headroomLow(s: Pick<RecordingStatus, "free" | "rate">): boolean {
  return headroomMs(s) < LOW_HEADROOM_MS;
}

const clipReason = (s: string) => [...s].slice(0, MAX_STATUS_REASON).join("");

export function encodeRecordingStatus(s: RecordingStatus): Element {
  const attrs: Record<string, string> = {
    xmlns: NS.deckcast,
    state: s.state,
    bytes: String(Math.max(0, Math.round(s.bytes))),
    duration: String(Math.max(0, Math.round(s.duration))),
    free: String(Math.round(s.free)),
    rate: String(Math.max(0, Math.round(s.rate))),
  };
  if (s.reason) attrs.reason = clipReason(s.reason);
  return xml("recording-status", attrs);
}

function intAttr(el: Element, name: string, min: number): number | null {
  const v = attr(el, name);
  if (v === undefined || !/^-?\d{1,16}$/.test(v)) return null;
  const n = Number(v);
  return Number.isSafeInteger(n) && n >= min ? n : null;
}

export function decodeRecordingStatus(el: Element): Result<RecordingStatus> {
  if (!isElement(el) || localName(el) !== "recording-status" || nsOf(el, NS.deckcast) !== NS.deckcast) return fail("bad-request", "not a recording-status", "recording-status");
  const state = attr(el, "state");
  if (!RECORDING_STATUS_STATES.includes(state as RecordingStatusState)) return fail("bad-request", "unknown state", "recording-status@state");
  const bytes = intAttr(el, "bytes", 0);
  const duration = intAttr(el, "duration", 0);
  const free = intAttr(el, "free", -1);
  const rate = intAttr(el, "rate", 0);
  if (bytes === null) return fail("bad-request", "bytes is not a count", "recording-status@bytes");
  if (duration === null) return fail("bad-request", "duration is not a count", "recording-status@duration");
  if (free === null) return fail("bad-request", "free is not a count", "recording-status@free");
  if (rate === null) return fail("bad-request", "rate is not a count", "recording-status@rate");
  const reason = attr(el, "reason");
  const s: RecordingStatus = { state: state as RecordingStatusState, bytes, duration, free, rate };
  if (reason !== undefined && reason !== "") s.reason = clipReason(reason);
  return ok(s);
}

/** The status a groupchat message (or an IQ result) carries, or null when it carries none. */
export function recordingStatusOf(stanza: Element): Result<RecordingStatus> | null {
  if (!isElement(stanza)) return null;
  const el = stanza.getChild("recording-status", NS.deckcast);
  return el ? decodeRecordingStatus(el) : null;
}
