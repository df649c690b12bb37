/**
 * The phone protocol, version 1 (docs/phone-protocol.md): what a phone and the phone bridge
 * (android-bridge/) say over one WebSocket. JSON text frames for control (hello/welcome, the
 * room's state and events, chat, the participant count, recording status, errors) and
 * binary frames for audio (the room's Ogg Opus pages with their seq and session time).
 *
 * Pure: shapes, limits, the close codes, a reader for every frame a phone may send (phones
 * are untrusted: every field is checked, nothing throws) and the binary audio framing both
 * sides use. The bridge validates with these; the reference clients build with them.
 */
import { CHAT_LIMITS } from "./chat-limits.ts";
import { isRecord } from "./check.ts";
import type { DeckManifest, DeckManifestEntry } from "./deck-prefetch.ts";
import { DEFAULT_IMAGE_WIDTH, snapWidth, type ImageWidth } from "./deck-urls.ts";
import { isLoginToken } from "./login-token.ts";
import { LIMITS } from "./namespaces.ts";
import type { RecordingStatus } from "./recording-status.ts";
import type { DeckEvent, RoomState } from "./types.ts";

export const PHONE_PROTOCOL = { name: "deckcast-phone", version: 1, path: "/phone" } as const;

export const PHONE_LIMITS = {
  /** Bytes of one text frame from a phone. */
  maxFrameBytes: 8 * 1024,
  /** Frames a phone may send: a bucket of `burst`, refilled `perSecond`. */
  burst: 20,
  perSecond: 5,
  /** Sockets open at once from one IP address. */
  maxSocketsPerAddress: 50,
  /** A phone must say hello within this long after the socket opens. */
  helloTimeoutMs: 10_000,
  /** The bridge pings every `pingMs`; a socket that answers no ping for `deadMs` is closed. */
  pingMs: 10_000,
  deadMs: 30_000,
  /** Bytes queued for one phone before its audio is dropped; events are never dropped. */
  audioDropBytes: 256 * 1024,
  /** Bytes queued for one phone before it gets a snapshot instead of its backlog. */
  snapshotBytes: 1024 * 1024,
  /** Bundles a bridge keeps per meeting for resumes; an older `seq` gets a fresh snapshot. */
  resumeBundles: 5000,
  /** Chat messages one phone may send: a bucket of `chatBurst`, refilled `chatPerSecond` (over it: error chat-rate). */
  chatBurst: 5,
  chatPerSecond: 1,
  /** A phone whose slow-reader snapshot still cannot be written after this long is closed (slowReader). */
  slowReaderMs: 20_000,
  /** Display names, in code points. */
  maxName: LIMITS.maxNick,
  /** Chat text, in code points (the room's own cap). */
  maxChat: CHAT_LIMITS.maxBodyChars,
} as const;

/** WebSocket close codes the bridge uses (4000–4999 are the application's, RFC 6455 §7.4.2). */
export const PHONE_CLOSE = {
  /** A frame that is not JSON, not an object, of an unknown type, or with a bad field. */
  badFrame: 4000,
  /** A frame over maxFrameBytes (or a binary frame: phones send none). */
  tooLarge: 4001,
  /** More frames than the rate allows. */
  rateLimited: 4002,
  /** The meeting code names no live meeting. */
  unknownMeeting: 4003,
  /** A phone tried to present (send events or audio): phones follow only. */
  notAllowed: 4004,
  /** Too many sockets from this address. */
  tooManySockets: 4005,
  /** No hello in time, a second hello, a hello of another version. */
  badHello: 4006,
  /** The phone could not keep up even with snapshots. */
  slowReader: 4007,
  /** The meeting ended (after the `ended` frame). */
  meetingEnded: 4008,
  /** The login token was refused. */
  badToken: 4009,
  /** Heartbeats went unanswered for deadMs. */
  dead: 4010,
  /** The bridge could not reach the meeting's server (try again later). */
  unavailable: 4011,
} as const;

export type PhoneCloseName = keyof typeof PHONE_CLOSE;

// ---- phone → bridge ----

export interface HelloFrame {
  type: "hello";
  v: 1;
  /** The meeting code (the part before @ in the room JID, as in the join link). */
  meeting: string;
  /** A guest's display name; or `user` and `token` for an account (then the account's name is used). */
  name?: string;
  /** The account's user name (the part before @), with `token`. */
  user?: string;
  /** A login token of `user` (protocol/login-token.ts), issued by the web client's login. */
  token?: string;
  /** Resume: the `resume` id from an earlier welcome and the last seq the phone applied. */
  resume?: { id: string; seq: number };
  /** false: events only, no audio frames (an app in the background). Default true. */
  audio?: boolean;
  /** Width in pixels the phone draws pages at: its prefetch lists are at this width, snapped. Default 1280. */
  width?: number;
}

export interface ChatFrame {
  type: "chat";
  text: string;
  /** The phone's own id for the message (echoed back), 1–64 characters. */
  id?: string;
}

export interface ModeFrame {
  type: "mode";
  audio: boolean;
}

export type PhoneFrame = HelloFrame | ChatFrame | ModeFrame;

// ---- bridge → phone ----

/** The room as phones see it: the reducer's state without account JIDs. */
export type PhoneState = Omit<RoomState, "presenterJid">;

export interface WelcomeFrame {
  type: "welcome";
  v: 1;
  /** Give this back in a later hello's `resume` to continue where this socket stopped. */
  resume: string;
  /** The name this phone's chat messages carry. */
  nick: string;
  /** True when `resume` was honoured: no state here, the missed frames follow. */
  resumed: boolean;
  /** The room now; absent when `resumed`. */
  state?: PhoneState;
  /** Base URL of the deck store for page images ("" = the origin of this WebSocket). */
  decks: string;
  participants: number;
  recording: RecordingStatus | null;
}

export interface EventsFrame {
  type: "events";
  /** The bundle's room seq: always the previous frame's + 1 (else a snapshot comes). */
  seq: number;
  t: number;
  ts: number;
  from: string;
  events: DeckEvent[];
  /** The session time of the bundle's audio, when it had audio (whether or not this phone gets audio frames). */
  audioT?: number;
}

export interface SnapshotFrame {
  type: "snapshot";
  state: PhoneState;
  /** Why: "slow-reader" (its backlog was dropped), "upstream" (the bridge rejoined the room). */
  reason: "slow-reader" | "upstream";
}

export interface ChatOutFrame {
  type: "chat";
  nick: string;
  text: string;
  ts: number;
  /** Present on the echo of this phone's own message. */
  id?: string;
  /** Sent from a phone: `nick` is the phone user's name, given by a bridge. */
  phone?: true;
  /** The room occupant (a bridge) that sent it, when not this bridge: show "nick (phone, via <via>)". */
  via?: string;
}

export interface ParticipantsFrame {
  type: "participants";
  count: number;
}

export interface RecordingFrame extends RecordingStatus {
  type: "recording";
}

export interface AudioDroppedFrame {
  type: "audio-dropped";
  /** The first and last seq whose audio this phone did not get. */
  from: number;
  to: number;
}

export interface ErrorFrame {
  type: "error";
  /** Stable: one of PHONE_ERRORS. */
  code: PhoneErrorCode;
  message: string;
  /** The refused chat's id, when it had one. */
  id?: string;
}

export interface EndedFrame {
  type: "ended";
}

/**
 * The open deck's images to fetch ahead of need (the deck manifest, protocol/deck-prefetch.ts,
 * with absolute URLs): sent after the welcome when a deck is open, and again whenever another
 * deck opens. Each image's bytes must have exactly `bytes` length and sha256 `sha256` (else
 * refuse them). A frame for a deck no longer open may arrive late: keep the latest deck's.
 */
export interface PrefetchFrame {
  type: "prefetch";
  deck: string;
  /** The hello's width, snapped (protocol/deck-urls.ts). */
  width: ImageWidth;
  /** One per page, in page order; `url` absolute. */
  pages: DeckManifestEntry[];
  /** The 240 px thumbnails, one per page. */
  thumbs: DeckManifestEntry[];
}

export type BridgeFrame = WelcomeFrame | EventsFrame | SnapshotFrame | ChatOutFrame | ParticipantsFrame | RecordingFrame | AudioDroppedFrame | ErrorFrame | EndedFrame | PrefetchFrame;

/** Width of a phone's prefetch lists when its hello names none. */
export const PHONE_DEFAULT_WIDTH = DEFAULT_IMAGE_WIDTH;

/** The prefetch frame of a manifest, its URLs made absolute on `base` (http(s)://host[:port]). */
export function prefetchFrame(m: DeckManifest, base: string): PrefetchFrame {
  const b = base.replace(/\/+$/, "");
  const abs = (e: DeckManifestEntry): DeckManifestEntry => ({ ...e, url: b + e.url });
  return { type: "prefetch", deck: m.deck, width: m.width, pages: m.pages.map(abs), thumbs: m.thumbs.map(abs) };
}

/** The width a hello asks prefetch lists at, snapped. */
export function helloWidth(hello: HelloFrame): ImageWidth {
  return snapWidth(hello.width ?? PHONE_DEFAULT_WIDTH);
}

/** Error frames that do not close the socket: the frame was refused and changed nothing. */
export const PHONE_ERRORS = ["chat-refused", "chat-rate", "not-joined"] as const;
export type PhoneErrorCode = (typeof PHONE_ERRORS)[number];

// ---- reading a phone's frames ----

export type ReadFrame = { ok: true; frame: PhoneFrame } | { ok: false; close: PhoneCloseName; reason: string };

const MEETING_RE = /^[a-z0-9]{4,32}$/;
const USER_RE = /^[a-z0-9][a-z0-9._-]{0,63}$/;
const RESUME_RE = /^[A-Za-z0-9_-]{16,64}$/;
const CONTROL = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/;
/** Characters XML cannot carry (the bridge puts names and chat into stanzas): controls but tab and line breaks, U+FFFE/FFFF, lone surrogates. */
const NOT_XML = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

const codePoints = (s: string) => [...s].length;
const bad = (reason: string): ReadFrame => ({ ok: false, close: "badFrame", reason });

/** Reads one text frame from a phone. `bytes` is its UTF-8 length (the caller knows it). */
export function readPhoneFrame(text: string, bytes: number): ReadFrame {
  if (bytes > PHONE_LIMITS.maxFrameBytes) return { ok: false, close: "tooLarge", reason: `frame over ${PHONE_LIMITS.maxFrameBytes} bytes` };
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    return bad("not JSON");
  }
  if (!isRecord(v) || typeof v.type !== "string") return bad("not an object with a type");
  const own = (k: string) => (Object.hasOwn(v, k) ? (v as Record<string, unknown>)[k] : undefined);
  switch (v.type) {
    case "hello": {
      if (own("v") !== PHONE_PROTOCOL.version) return { ok: false, close: "badHello", reason: `version must be ${PHONE_PROTOCOL.version}` };
      const meeting = own("meeting");
      if (typeof meeting !== "string" || !MEETING_RE.test(meeting)) return bad("hello.meeting is not a meeting code");
      const frame: HelloFrame = { type: "hello", v: 1, meeting };
      const name = own("name");
      const token = own("token");
      if (name !== undefined) {
        if (typeof name !== "string" || name.trim() === "" || codePoints(name) > PHONE_LIMITS.maxName || CONTROL.test(name) || NOT_XML.test(name)) return bad(`hello.name must be 1–${PHONE_LIMITS.maxName} characters`);
        frame.name = name.trim();
      }
      if (token !== undefined) {
        if (!isLoginToken(token)) return bad("hello.token is not a login token");
        frame.token = token;
      }
      const user = own("user");
      if (user !== undefined) {
        if (typeof user !== "string" || !USER_RE.test(user)) return bad("hello.user is not a user name");
        frame.user = user;
      }
      if ((frame.token === undefined) !== (frame.user === undefined)) return bad("hello.user and hello.token come together");
      if (frame.name === undefined && frame.token === undefined) return bad("hello needs a name or a token");
      const resume = own("resume");
      if (resume !== undefined) {
        if (!isRecord(resume)) return bad("hello.resume must be {id, seq}");
        const { id, seq } = resume as Record<string, unknown>;
        if (typeof id !== "string" || !RESUME_RE.test(id) || !Number.isSafeInteger(seq) || (seq as number) < 0) return bad("hello.resume must be {id, seq}");
        frame.resume = { id, seq: seq as number };
      }
      const audio = own("audio");
      if (audio !== undefined) {
        if (typeof audio !== "boolean") return bad("hello.audio must be true or false");
        frame.audio = audio;
      }
      const width = own("width");
      if (width !== undefined) {
        if (typeof width !== "number" || !Number.isInteger(width) || width < 1 || width > 100_000) return bad("hello.width must be a width in pixels");
        frame.width = width;
      }
      return { ok: true, frame };
    }
    case "chat": {
      const text = own("text");
      if (typeof text !== "string" || text.trim() === "" || codePoints(text) > PHONE_LIMITS.maxChat) return bad(`chat.text must be 1–${PHONE_LIMITS.maxChat} characters`);
      if (NOT_XML.test(text)) return bad("chat.text holds a character XML cannot carry");
      const frame: ChatFrame = { type: "chat", text };
      const id = own("id");
      if (id !== undefined) {
        if (typeof id !== "string" || id.length < 1 || id.length > 64 || CONTROL.test(id)) return bad("chat.id must be 1–64 characters");
        frame.id = id;
      }
      return { ok: true, frame };
    }
    case "mode": {
      const audio = own("audio");
      if (typeof audio !== "boolean") return bad("mode.audio must be true or false");
      return { ok: true, frame: { type: "mode", audio } };
    }
    case "bundle":
    case "events":
    case "audio":
    case "present":
      return { ok: false, close: "notAllowed", reason: "phones follow only" };
    default:
      return bad("unknown frame type");
  }
}

// ---- binary audio frames ----

/** Binary frame kinds: the stream's header pages (OpusHead, OpusTags), then audio pages. */
export const AUDIO_KIND = { header: 1, pages: 2 } as const;
/** kind (1 byte), seq (uint32 BE), session time t (uint32 BE, ms), then Ogg pages. */
export const AUDIO_FRAME_HEADER = 9;

export interface AudioFrame {
  kind: (typeof AUDIO_KIND)[keyof typeof AUDIO_KIND];
  /** The bundle's seq (0 for the header pages). */
  seq: number;
  t: number;
  /** Whole Ogg pages. */
  pages: Uint8Array;
}

export function encodeAudioFrame(f: AudioFrame): Uint8Array {
  const out = new Uint8Array(AUDIO_FRAME_HEADER + f.pages.length);
  const view = new DataView(out.buffer);
  view.setUint8(0, f.kind);
  view.setUint32(1, f.seq >>> 0);
  view.setUint32(5, Math.max(0, Math.min(0xffffffff, Math.round(f.t))));
  out.set(f.pages, AUDIO_FRAME_HEADER);
  return out;
}

/** Reads a binary frame from the bridge; null when it is not one. */
export function decodeAudioFrame(bytes: Uint8Array): AudioFrame | null {
  if (bytes.length < AUDIO_FRAME_HEADER) return null;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const kind = view.getUint8(0);
  if (kind !== AUDIO_KIND.header && kind !== AUDIO_KIND.pages) return null;
  return { kind, seq: view.getUint32(1), t: view.getUint32(5), pages: bytes.subarray(AUDIO_FRAME_HEADER) };
}

/** The phone's view of a room state: the reducer's state without the presenter's account JID. */
export function phoneState(s: RoomState): PhoneState {
  const { presenterJid: _jid, ...rest } = s;
  return rest;
}
