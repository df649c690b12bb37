/**
 * The rules of the wire protocol, applied to plain objects. The codec decodes XML into
 * objects and calls these, so every rule lives here once (docs/protocol.md §Events, §Bundle).
 * A validator returns a fresh, normalised object holding only the known fields.
 */

import { attrAt, Checker, describe, getter, isRecord, textAt, type Getter } from "./check.ts";
import { LIMITS } from "./namespaces.ts";
import { fail } from "./result.ts";
import {
  INK_SCALE,
  INK_TOOLS,
  RECORDING_STATES,
  type AudioChunk,
  type Bundle,
  type DeckEvent,
  type EventType,
  type Result,
} from "./types.ts";

type EventOf<K extends EventType> = Extract<DeckEvent, { type: K }>;
type Builder<K extends EventType> = (c: Checker, f: Getter, p: string) => EventOf<K>;

const t = (c: Checker, f: Getter, p: string): number => c.int(f("t"), attrAt(p, "t"));
const page = (c: Checker, f: Getter, p: string): number => c.page(f("page"), attrAt(p, "page"));

function stroke<K extends "ink-progress" | "ink-stroke">(type: K): Builder<K> {
  return (c, f, p) =>
    ({
      type,
      t: t(c, f, p),
      page: page(c, f, p),
      stroke: c.id(f("stroke"), attrAt(p, "stroke"), LIMITS.maxStrokeId),
      tool: c.oneOf(f("tool"), attrAt(p, "tool"), INK_TOOLS),
      color: c.color(f("color"), attrAt(p, "color")),
      width: c.int(f("width"), attrAt(p, "width"), 1, LIMITS.maxWidth),
      points: c.points(f("points"), textAt(p, "points")),
    }) as EventOf<K>;
}

function pageOnly<K extends "ink-undo" | "ink-clear" | "page">(type: K): Builder<K> {
  return (c, f, p) => ({ type, t: t(c, f, p), page: page(c, f, p) }) as EventOf<K>;
}

const BUILDERS: { [K in EventType]: Builder<K> } = {
  "session-start": (c, f, p) => ({
    type: "session-start",
    t: t(c, f, p),
    title: c.text(f("title"), textAt(p, "title"), LIMITS.maxTitle),
    presenter: c.nick(f("presenter"), attrAt(p, "presenter")),
  }),
  "session-stop": (c, f, p) => ({ type: "session-stop", t: t(c, f, p) }),
  "deck-open": (c, f, p) => {
    const time = t(c, f, p);
    const deck = f("deck");
    if (!isRecord(deck)) c.fail(attrAt(p, "deck").path, `deck must be an object, got ${describe(deck)}`);
    const d = getter(isRecord(deck) ? deck : {});
    return {
      type: "deck-open",
      t: time,
      deck: {
        id: c.hex64(d("id"), attrAt(p, "deck")),
        pages: c.page(d("pages"), attrAt(p, "pages")),
        title: c.text(d("title"), textAt(p, "title"), LIMITS.maxTitle),
      },
    };
  },
  page: pageOnly("page"),
  "ink-progress": stroke("ink-progress"),
  "ink-stroke": stroke("ink-stroke"),
  "ink-erase": (c, f, p) => ({
    type: "ink-erase",
    t: t(c, f, p),
    page: page(c, f, p),
    strokes: c.idList(f("strokes"), attrAt(p, "strokes"), LIMITS.maxStrokeId, LIMITS.maxErasedStrokes),
  }),
  "ink-undo": pageOnly("ink-undo"),
  "ink-clear": pageOnly("ink-clear"),
  pointer: (c, f, p) => {
    const base = { type: "pointer" as const, t: t(c, f, p), page: page(c, f, p) };
    const x = f("x");
    const y = f("y");
    if (x === undefined && y === undefined) return base;
    if (x === undefined || y === undefined) {
      const missing = x === undefined ? "x" : "y";
      c.fail(attrAt(p, missing).path, `pointer needs both x and y (or neither, to hide it); ${missing} is missing`);
    }
    return { ...base, x: c.int(x, attrAt(p, "x"), 0, INK_SCALE), y: c.int(y, attrAt(p, "y"), 0, INK_SCALE) };
  },
  presenter: (c, f, p) => {
    const jid = f("jid");
    return { type: "presenter", t: t(c, f, p), nick: c.nick(f("nick"), attrAt(p, "nick")), ...(jid === undefined ? {} : { jid: c.jid(jid, attrAt(p, "jid")) }) };
  },
  recording: (c, f, p) => {
    const reason = f("reason");
    return {
      type: "recording",
      t: t(c, f, p),
      state: c.oneOf(f("state"), attrAt(p, "state"), RECORDING_STATES),
      bytes: c.int(f("bytes"), attrAt(p, "bytes")),
      duration: c.int(f("duration"), attrAt(p, "duration")),
      ...(reason === undefined ? {} : { reason: c.text(reason, attrAt(p, "reason"), LIMITS.maxReason) }),
    };
  },
};

export const EVENT_TYPES = Object.keys(BUILDERS) as EventType[];

export function isEventType(s: unknown): s is EventType {
  return typeof s === "string" && Object.hasOwn(BUILDERS, s);
}

/**
 * Checks one event against the protocol's rules and returns a normalised copy (colour in
 * lowercase, unknown fields dropped). `path` locates the event in error reports, e.g.
 * "bundle/page[2]"; field errors append "@attr" or "/text()".
 */
/**
 * The wire path of each event of a bundle: `bundle/<type>[n]`, counting each element name on
 * its own (protocol.md: `bundle/page[2]` is the second `<page>`); `bundle/events[i]` for an
 * entry that is not an event at all.
 */
export function eventPaths(events: readonly unknown[]): string[] {
  const seen = new Map<string, number>();
  return events.map((e, i) => {
    const type = isRecord(e) ? getter(e)("type") : undefined;
    if (!isEventType(type)) return `bundle/events[${i + 1}]`;
    const n = (seen.get(type) ?? 0) + 1;
    seen.set(type, n);
    return `bundle/${type}[${n}]`;
  });
}

export function validateEvent(e: unknown, path: string): Result<DeckEvent> {
  if (!isRecord(e)) return fail("bad-bundle", `an event must be an object, got ${describe(e)}`, path);
  const type = getter(e)("type");
  if (!isEventType(type)) return fail("bad-bundle", `unknown event type ${describe(type)}`, path);
  const c = new Checker("bad-bundle");
  const build = BUILDERS[type] as Builder<EventType>;
  return c.result<DeckEvent>(build(c, getter(e), path));
}

function validateAudio(a: unknown, c: Checker): AudioChunk | undefined {
  const path = "bundle/audio[1]";
  if (a === undefined) return undefined;
  if (!isRecord(a)) {
    c.fail(path, `audio must be an object, got ${describe(a)}`);
    return undefined;
  }
  const f = getter(a);
  const data = f("data");
  const at = textAt(path, "audio").path;
  if (!(data instanceof Uint8Array)) c.fail(at, `audio data must be a Uint8Array, got ${describe(data)}`);
  else if (data.length === 0) c.fail(at, "audio must not be empty");
  else if (data.length > LIMITS.maxAudioBytes) {
    c.fail(at, `audio holds ${data.length} bytes; at most ${LIMITS.maxAudioBytes} allowed`);
  }
  return { t: c.int(f("t"), attrAt(path, "t")), data: data instanceof Uint8Array ? data : new Uint8Array() };
}

/**
 * Checks a whole bundle: its attributes, every event (paths count events per element
 * name, like XPath: "bundle/ink-stroke[3]"), the audio chunk and the limits.
 */
export function validateBundle(b: unknown): Result<Bundle> {
  if (!isRecord(b)) return fail("bad-bundle", `a bundle must be an object, got ${describe(b)}`, "bundle");
  const f = getter(b);
  const c = new Checker("bad-bundle");
  const id = c.id(f("id"), attrAt("bundle", "id"), LIMITS.maxBundleId);
  const time = c.int(f("t"), attrAt("bundle", "t"));
  const stamp = validateStamp(f, c);
  const raw = f("events");
  if (!Array.isArray(raw)) c.fail("bundle", `events must be an array, got ${describe(raw)}`);
  else if (raw.length > LIMITS.maxEventsPerBundle) {
    c.fail("bundle", `the bundle holds ${raw.length} events; at most ${LIMITS.maxEventsPerBundle} allowed`);
  }
  const audio = validateAudio(f("audio"), c);
  if (c.failed || !Array.isArray(raw)) return c.result<Bundle>({ id, t: time, events: [] });

  const events: DeckEvent[] = [];
  const paths = eventPaths(raw);
  for (const [i, e] of raw.entries()) {
    const r = validateEvent(e, paths[i]!);
    if (!r.ok) return r;
    events.push(r.value);
  }
  return c.result<Bundle>({ id, t: time, events, ...(audio ? { audio } : {}), ...stamp });
}

function validateStamp(f: Getter, c: Checker): { seq: number; ts: number; from: string } | object {
  const present = (["seq", "ts", "from"] as const).filter((k) => f(k) !== undefined);
  if (present.length === 0) return {};
  if (present.length < 3) {
    const missing = (["seq", "ts", "from"] as const).find((k) => f(k) === undefined) ?? "seq";
    c.fail(attrAt("bundle", missing).path, `seq, ts and from go together on a stamped bundle; ${missing} is missing`);
  }
  return {
    seq: c.int(f("seq"), attrAt("bundle", "seq"), 1),
    ts: c.int(f("ts"), attrAt("bundle", "ts")),
    from: c.nick(f("from"), attrAt("bundle", "from")),
  };
}
