/**
 * The one reducer every reader shares: live followers, late joiners' snapshots, replay
 * seeking and video export all fold events with `apply`, so they always agree.
 *
 * Pure: inputs are never mutated (unchanged parts are shared). The state stays
 * JSON-serialisable and canonical — no empty arrays in `ink` — so deep equality means
 * "looks the same". Stroke ids are read with Object.hasOwn, since ids such as
 * "constructor" are valid.
 */

import { LIMITS } from "./namespaces.ts";
import type { Bundle, DeckEvent, RoomState, Stroke } from "./types.ts";

/** The state of a room before anything happened. */
export function initialState(title = ""): RoomState {
  return {
    title,
    presenter: null,
    started: false,
    ended: false,
    deck: null,
    page: 1,
    ink: {},
    drawing: {},
    pointer: null,
    recording: null,
    clock: 0,
    seq: 0,
  };
}

type Drawing = RoomState["drawing"];

/** `ink` with page's strokes replaced; an empty list removes the page's key. */
function withInk(ink: RoomState["ink"], page: number, strokes: Stroke[]): RoomState["ink"] {
  const { [page]: _old, ...rest } = ink;
  return strokes.length > 0 ? { ...rest, [page]: strokes } : rest;
}

function pageInk(s: RoomState, page: number): Stroke[] {
  return Object.hasOwn(s.ink, page) ? (s.ink[page] ?? []) : [];
}

/** `drawing` without the entries `drop` selects (the same object when none is). */
function dropDrawing(d: Drawing, drop: (id: string, page: number) => boolean): Drawing {
  const entries = Object.entries(d);
  const kept = entries.filter(([id, st]) => !drop(id, st.page));
  return kept.length === entries.length ? d : Object.fromEntries(kept);
}

function applyEvent(s: RoomState, e: DeckEvent): RoomState {
  switch (e.type) {
    case "session-start":
      return { ...s, started: true, title: e.title, presenter: e.presenter };
    case "session-stop":
      return { ...s, ended: true };
    case "deck-open":
      return { ...s, deck: { ...e.deck }, page: 1, ink: {}, drawing: {}, pointer: null };
    case "page": {
      if (e.page < 1) return s;
      return { ...s, page: s.deck ? Math.min(e.page, s.deck.pages) : e.page };
    }
    case "ink-progress": {
      // Bounded as the state that carries it is (maxPointNumbers a <drawing>, maxDrawing of
      // them): past either, the points are ignored until the stroke's <ink-stroke>. Unbounded,
      // one long stroke made every late joiner's <state> unreadable, and each event copied it.
      const { stroke, tool, color, width, page } = e;
      const cur = Object.hasOwn(s.drawing, stroke) ? s.drawing[stroke] : undefined;
      if (!cur && Object.keys(s.drawing).length >= LIMITS.maxDrawing) return s;
      const had = cur?.points ?? [];
      const room = LIMITS.maxPointNumbers - had.length;
      if (cur && (room <= 0 || e.points.length === 0)) return s;
      const added = e.points.length <= room ? e.points : e.points.slice(0, room);
      const next = cur ? { ...cur, points: [...had, ...added] } : { stroke, tool, color, width, points: [...added], page };
      return { ...s, drawing: { ...s.drawing, [stroke]: next } };
    }
    case "ink-stroke": {
      const done: Stroke = { stroke: e.stroke, tool: e.tool, color: e.color, width: e.width, points: [...e.points] };
      const strokes = pageInk(s, e.page);
      const at = strokes.findIndex((st) => st.stroke === e.stroke);
      const next = at < 0 ? [...strokes, done] : strokes.map((st, i) => (i === at ? done : st));
      return { ...s, ink: withInk(s.ink, e.page, next), drawing: dropDrawing(s.drawing, (id) => id === e.stroke) };
    }
    case "ink-erase": {
      const gone = new Set(e.strokes);
      const strokes = pageInk(s, e.page);
      const next = strokes.filter((st) => !gone.has(st.stroke));
      const ink = next.length === strokes.length ? s.ink : withInk(s.ink, e.page, next);
      return { ...s, ink, drawing: dropDrawing(s.drawing, (id, page) => page === e.page && gone.has(id)) };
    }
    case "ink-undo": {
      const strokes = pageInk(s, e.page);
      return strokes.length === 0 ? s : { ...s, ink: withInk(s.ink, e.page, strokes.slice(0, -1)) };
    }
    case "ink-clear":
      return { ...s, ink: withInk(s.ink, e.page, []), drawing: dropDrawing(s.drawing, (_, page) => page === e.page) };
    case "pointer":
      return { ...s, pointer: e.x === undefined || e.y === undefined ? null : { page: e.page, x: e.x, y: e.y } };
    case "presenter": {
      // Who presents is this event's word alone: an event without a JID (archived before it
      // had one) leaves no JID behind from an earlier presenter.
      const { presenterJid: _earlier, ...rest } = s;
      return e.jid === undefined ? { ...rest, presenter: e.nick } : { ...rest, presenter: e.nick, presenterJid: e.jid };
    }
    case "recording": {
      const { state, bytes, duration, reason } = e;
      return { ...s, recording: reason === undefined ? { state, bytes, duration } : { state, bytes, duration, reason } };
    }
  }
}

/** The state after one event; `clock` becomes the latest session time seen. */
export function apply(s: RoomState, e: DeckEvent): RoomState {
  const next = applyEvent(s, e);
  return e.t > next.clock ? { ...next, clock: e.t } : next;
}

/**
 * The state after a bundle: its events in order, `seq` set to the bundle's (when stamped)
 * and `clock` the latest of the bundle's, its events' and its audio's times.
 */
export function applyBundle(s: RoomState, b: Bundle): RoomState {
  let next = b.events.reduce(apply, s);
  const clock = Math.max(next.clock, b.t, b.audio?.t ?? 0);
  if (clock !== next.clock) next = { ...next, clock };
  if (b.seq !== undefined && b.seq !== next.seq) next = { ...next, seq: b.seq };
  return next;
}

/**
 * The room as it was at session time `t`, from `s` and the bundles after it (in seq order):
 * whole bundles while every event is at or before `t`, then the events of the next bundle up
 * to the first one after `t` (as the playout shows them), then nothing more. Replay seeking,
 * rewinding and video export use this, so each shows at `t` what a live follower saw at `t`.
 * `seq` is the last bundle applied whole; `events` how many of the next bundle's were applied.
 */
export function applyUntil(s: RoomState, bundles: readonly Bundle[], t: number): { state: RoomState; seq: number; events: number } {
  let state = s;
  for (const b of bundles) {
    const due = b.events.findIndex((e) => e.t > t);
    if (due === -1 && b.t <= t && (b.audio?.t ?? 0) <= t) {
      state = applyBundle(state, b);
      continue;
    }
    const head = due === -1 ? b.events : b.events.slice(0, due);
    return { state: head.reduce(apply, state), seq: state.seq, events: head.length };
  }
  return { state, seq: state.seq, events: 0 };
}
