/**
 * deckcast wire model: the events a presenter (or the component) emits, the bundles
 * that carry them, and the room state every reader derives from them.
 *
 * Everything here is plain data: no I/O, no clocks, no XMPP. The codec (codec.ts) maps
 * it to XML, validate.ts checks it, reducer.ts folds it into RoomState.
 * docs/protocol.md is the normative description; keep the two in step.
 */

/** Session clock: milliseconds since the session started, on the presenter's clock. */
export type SessionMs = number;

/** Ink coordinates are integers in 0..INK_SCALE across the page's width and height. */
export const INK_SCALE = 10000;

export type InkTool = "pen" | "highlighter";
export const INK_TOOLS: readonly InkTool[] = ["pen", "highlighter"];

export type RecordingState = "recording" | "paused" | "stopped" | "failed";
export const RECORDING_STATES: readonly RecordingState[] = ["recording", "paused", "stopped", "failed"];

/** A deck as rooms refer to it: its content address and what a viewer needs to lay it out. */
export interface DeckRef {
  /** sha256 of the uploaded source, lowercase hex (64 chars); the deck's content address. */
  id: string;
  pages: number;
  title: string;
}

export interface SessionStartEvent { type: "session-start"; t: SessionMs; title: string; presenter: string }
export interface SessionStopEvent { type: "session-stop"; t: SessionMs }
export interface DeckOpenEvent { type: "deck-open"; t: SessionMs; deck: DeckRef }
/** Page turn; pages are 1-based. */
export interface PageEvent { type: "page"; t: SessionMs; page: number }

interface StrokeStyle {
  page: number;
  /** Stroke id chosen by the presenter, unique within the session ([A-Za-z0-9_-]{1,32}). */
  stroke: string;
  tool: InkTool;
  /** "#rrggbb" */
  color: string;
  /** Line width in ink units (1..1000). */
  width: number;
}
/** Points added to a stroke still being drawn (flat [x0,y0,x1,y1,…] in ink units). */
export interface InkProgressEvent extends StrokeStyle { type: "ink-progress"; t: SessionMs; points: number[] }
/** A finished stroke with all its points; replaces any in-progress stroke of the same id. */
export interface InkStrokeEvent extends StrokeStyle { type: "ink-stroke"; t: SessionMs; points: number[] }
export interface InkEraseEvent { type: "ink-erase"; t: SessionMs; page: number; strokes: string[] }
/** Removes the most recently finished stroke on the page. */
export interface InkUndoEvent { type: "ink-undo"; t: SessionMs; page: number }
export interface InkClearEvent { type: "ink-clear"; t: SessionMs; page: number }
/** Laser pointer; x/y absent means the pointer is hidden. */
export interface PointerEvent { type: "pointer"; t: SessionMs; page: number; x?: number; y?: number }
/**
 * Emitted by the component when the presenter role changes hands: the one record of who
 * presents. `jid` is the new presenter's bare JID (rights go by it); events archived before
 * it was added lack it.
 */
export interface PresenterEvent { type: "presenter"; t: SessionMs; nick: string; jid?: string }
export interface RecordingEvent {
  type: "recording";
  t: SessionMs;
  state: RecordingState;
  /** Bytes of audio archived so far. */
  bytes: number;
  /** Milliseconds of audio archived so far. */
  duration: number;
  reason?: string;
}

export type DeckEvent =
  | SessionStartEvent
  | SessionStopEvent
  | DeckOpenEvent
  | PageEvent
  | InkProgressEvent
  | InkStrokeEvent
  | InkEraseEvent
  | InkUndoEvent
  | InkClearEvent
  | PointerEvent
  | PresenterEvent
  | RecordingEvent;

export type EventType = DeckEvent["type"];

/** Ogg Opus pages recorded over an interval, starting at session time `t`. */
export interface AudioChunk { t: SessionMs; data: Uint8Array }

/**
 * What a presenter sends: events of one interval, optionally with the audio of that
 * interval. The component adds seq/ts/from when it accepts it.
 */
export interface Bundle {
  /** Sender-chosen id ([A-Za-z0-9_-]{1,64}); a resend with the same id is not applied twice. */
  id: string;
  /** Session clock at the start of the interval. */
  t: SessionMs;
  events: DeckEvent[];
  audio?: AudioChunk;
  /** Room-wide sequence number, 1-based, stamped by the component. */
  seq?: number;
  /** Server time (Unix ms) when the component accepted the bundle. */
  ts?: number;
  /** Occupant nick of the presenter who sent it. */
  from?: string;
}

/** A bundle as it exists after the component accepted it. */
export interface StampedBundle extends Bundle { seq: number; ts: number; from: string }

export interface Stroke {
  stroke: string;
  tool: InkTool;
  color: string;
  width: number;
  points: number[];
}

/** Everything a late joiner needs to draw the room as it is now. */
export interface RoomState {
  title: string;
  /** Nick of the current presenter, null before the session starts. */
  presenter: string | null;
  /**
   * Bare JID of the presenter named by the last `presenter` event; absent until the first
   * hand-over (the meeting's owner presents) and after an event that carries none.
   */
  presenterJid?: string;
  started: boolean;
  ended: boolean;
  deck: DeckRef | null;
  /** Current page (1-based); 1 when no deck is open. */
  page: number;
  /** Finished strokes per page, in drawing order. Keys are page numbers. */
  ink: Record<number, Stroke[]>;
  /** Strokes being drawn right now, by stroke id, with their page. */
  drawing: Record<string, Stroke & { page: number }>;
  pointer: { page: number; x: number; y: number } | null;
  recording: { state: RecordingState; bytes: number; duration: number; reason?: string } | null;
  /** Session clock of the last applied event. */
  clock: SessionMs;
  /** Sequence number of the last applied bundle (0 = none). */
  seq: number;
}

/** Result type used across the protocol layer: errors are values. */
export type Result<T, E = ProtocolError> = { ok: true; value: T } | { ok: false; error: E };

/** A precise, stable reason why input was refused. */
export interface ProtocolError {
  /** Stable code from ERRORS in errors.ts. */
  code: import("./errors.ts").ErrorCode;
  /** Human-readable, names the offending element/attribute. */
  message: string;
  /** Where in the input, e.g. "bundle/page[2]@page". */
  path?: string;
}
