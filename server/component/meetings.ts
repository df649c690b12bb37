/**
 * The meetings the component runs: one MUC room and one session archive each.
 *
 * `commit` is the heart of the relay (docs/architecture.md §Page turn): re-stamp the
 * bundle's audio into the session's one Ogg Opus stream (meeting-audio.ts), stamp the next
 * room-wide sequence number, append to the archive (durably), fold into the room state,
 * and only then send to the room. Commits of one meeting run one at a time, so sequence
 * order, archive order, audio order and send order are the same.
 *
 * Events: "committed" (meeting, bundle) after a bundle is archived and sent;
 * "commit-failed" (meeting, bundle, error) when the archive could not be written; "ended".
 */
import { EventEmitter } from "node:events";
import type { Logger } from "pino";
import { ERRORS } from "../../protocol/errors.ts";
import { applyBundle, initialState } from "../../protocol/reducer.ts";
import { isServerBundle } from "../../protocol/server-bundles.ts";
import { validateBundle } from "../../protocol/validate.ts";
import type { Bundle, DeckEvent, ProtocolError, Result, RoomState, StampedBundle } from "../../protocol/types.ts";
import type { OpusSessionStream } from "../archive/opus-stream.ts";
import type { SessionArchive } from "../archive/session-archive.ts";
import type { ComponentLink } from "./link.ts";
import { trackPresence, bareJid, type Occupant } from "./muc.ts";
import { planAudio } from "./meeting-audio.ts";
import { sendToRoom } from "./room-messages.ts";

export interface Meeting {
  code: string;
  /** MUC room JID, code@rooms.host */
  room: string;
  /** The meeting's address at the component, code@deckcast.host */
  jid: string;
  /** The component's full JID inside this room. */
  occupantJid: string;
  /** Our nick in the room. */
  nick: string;
  archive: SessionArchive;
  /** The session's audio stream (audio.opus), continued from the file after a restart; an error when it could not be. */
  audio: Result<OpusSessionStream, string>;
  state: RoomState;
  /** Bare JID of the account that created it; it can always take the presenter role back (from the manifest). */
  readonly owner: string;
  /**
   * Bare JID of the current presenter: the room state's (the last `presenter` event's JID),
   * else the owner's (nobody has been handed the role). A hand-over is a committed
   * `presenter` event and nothing else: the manifest follows it inside the commit.
   */
  readonly presenter: string;
  occupants: Map<string, Occupant>;
  /** Recently accepted bundle ids → seq, so a resent bundle is acknowledged, not applied twice. */
  recent: Map<string, Ack>;
  /** Serialises commits. */
  tail: Promise<unknown>;
  /** Set while the meeting is being ended: a second <end/> waits for the same one. */
  ending?: Promise<void>;
}

export interface MeetingsEvents {
  /** An occupant joined, changed or left (`present` false) the meeting's room. */
  occupant: [Meeting, Occupant, { present: boolean }];
  committed: [Meeting, StampedBundle];
  "commit-failed": [Meeting, Bundle, Error];
  ended: [Meeting];
}

/** A bundle refused while committing (its audio does not fit the session's stream): nothing changed. */
export class CommitRefused extends Error {
  constructor(readonly refusal: ProtocolError) {
    super(refusal.message);
    this.name = "CommitRefused";
  }
}

/** How a bundle is committed, beyond the bundle itself. */
export interface CommitOptions {
  /** What the archive alone keeps with the bundle (never relayed): who holds rights from it on. */
  rights?: { owner?: string; presenter?: string };
  /**
   * Checked inside the serialised commit, against the state every earlier commit left (a
   * right checked before queueing can be gone by the bundle's turn: two hand-overs at once).
   * A refusal rejects the commit with CommitRefused; nothing is numbered, archived or sent.
   */
  allowed?: (m: Meeting) => ProtocolError | null;
  /**
   * A server bundle numbered by the commit: its id becomes `<serverId>-<seq>`, built inside
   * the serialised commit (two hand-overs at once once built the same id outside it, and the
   * second was taken for a resend).
   */
  serverId?: string;
}

/**
 * The component never stores or relays what the protocol's own reader refuses (a 65-character
 * nick once made every follower drop every later bundle): the stamped bundle passes the same
 * validation a follower applies, or nothing of it is numbered, archived or sent. A presenter's
 * events were validated when relay.ts decoded them (the only way they reach a commit), so for
 * them only what the component adds is checked again (id, t, the stamp, the re-stamped audio);
 * the component's own bundles are checked whole.
 */
function readable(b: StampedBundle): void {
  const r = validateBundle(isServerBundle(b) ? b : { ...b, events: [] });
  if (!r.ok) throw new CommitRefused(r.error);
}

const RECENT_IDS = 1000;
/** Ended meetings remembered for idempotent <end/> and a clear `session-ended`. */
const ENDED_KEPT = 10_000;
const NO_BYTES = new Uint8Array(0);

/** A commit that has been written and sent; `durable` resolves once it is on disk. */
interface Committed {
  ack: Ack;
  durable: Promise<void>;
}

/** What the presenter is told: the bundle's place in the room's sequence. */
export interface Ack {
  seq: number;
  ts: number;
  /** True when this id had been accepted before (a resend): nothing was applied again. */
  duplicate?: boolean;
}

export interface Meetings extends EventEmitter<MeetingsEvents> {
  get(code: string): Meeting | undefined;
  all(): Meeting[];
  add(m: Meeting): void;
  /** Takes an ended meeting out; it is remembered (ended()) so repeated requests get a clear answer. */
  remove(code: string): void;
  /** Who owned and presented a meeting that ended recently (the last ENDED_KEPT), else undefined. */
  ended(code: string): { owner: string; presenter: string } | undefined;
  /**
   * Stamps, archives, applies and relays a bundle (and, before it, any audio that did not fit
   * in it: see meeting-audio.ts). Rejects with CommitRefused for audio that cannot join the
   * session's stream, or with the file system's error when the archive write fails; in both
   * cases nothing of this bundle was numbered, archived or sent.
   */
  /** A presenter's bundle must come from decodeBundle (relay.ts): its events are not validated again. */
  commit(m: Meeting, bundle: Bundle, from: string, opts?: CommitOptions): Promise<Ack>;
  /** Nick of the occupant whose real bare JID is `jid`, if present. */
  nickOf(m: Meeting, jid: string): string | null;
  /** Handles a presence addressed to one of our occupants. */
  onPresence(p: import("@xmpp/xml").Element): Meeting | null;
}

export function createMeetings({ link, log }: { link: ComponentLink; log: Logger }): Meetings {
  const byCode = new Map<string, Meeting>();
  const endedCodes = new Map<string, { owner: string; presenter: string }>();
  const events = new EventEmitter<MeetingsEvents>();

  async function commitNow(m: Meeting, given: Bundle, from: string, opts: CommitOptions): Promise<Committed> {
    const bundle = opts.serverId ? { ...given, id: `${opts.serverId}-${m.archive.journal.lastSeq + 1}` } : given;
    const seen = m.recent.get(bundle.id);
    if (seen) return { ack: { ...seen, duplicate: true }, durable: Promise.resolve() };
    // Checked here, inside the serialised commit: a bundle queued behind <end/> must not be
    // archived after session-stop.
    if (m.state.ended) throw new CommitRefused({ code: "session-ended", message: ERRORS["session-ended"].text });
    const refusal = opts.allowed?.(m);
    if (refusal) throw new CommitRefused(refusal);
    const audio = planAudio(m.audio, bundle);
    if (!audio.ok) throw new CommitRefused(audio.error);
    if (!audio.value) return commitOne(m, bundle, from, opts);
    const { plan, withAudio } = audio.value;
    // The whole bundle must be readable before any of its audio parts is archived.
    readable({ ...withAudio(plan.parts.at(-1)), seq: m.archive.journal.lastSeq + 1, ts: Date.now(), from });
    // Audio that does not fit in one bundle (a long silence) goes first, in bundles of its own.
    for (const [i, part] of plan.parts.slice(0, -1).entries()) {
      await commitOne(m, { id: `srv-audio-${m.archive.journal.lastSeq + 1}`, t: part.t, events: [], audio: part }, m.nick, {}, () => plan.commit(i));
    }
    return commitOne(m, withAudio(plan.parts.at(-1)), from, opts, () => plan.commit());
  }

  /** `archived` runs as soon as the archive has the bundle, before anyone can see its seq. */
  async function commitOne(m: Meeting, bundle: Bundle, from: string, opts: CommitOptions, archived?: () => void): Promise<Committed> {
    const stamped: StampedBundle = { ...bundle, seq: m.archive.journal.lastSeq + 1, ts: Date.now(), from };
    readable(stamped);
    let durable: Promise<void>;
    try {
      ({ durable } = await m.archive.append(stamped, opts.rights ? { rights: opts.rights } : undefined));
    } catch (err) {
      events.emit("commit-failed", m, bundle, err as Error);
      throw err;
    }
    archived?.();
    const before = m.state;
    m.state = applyBundle(m.state, stamped);
    m.recent.set(stamped.id, { seq: stamped.seq, ts: stamped.ts });
    if (m.recent.size > RECENT_IDS) m.recent.delete(m.recent.keys().next().value!);
    try {
      await sendToRoom(link, m, stamped, before);
    } catch (err) {
      // Archived but not sent (we are offline): followers get it by gap filling / state.
      log.warn({ room: m.code, seq: stamped.seq, err: (err as Error).message }, "relay send failed; bundle is archived");
    }
    events.emit("committed", m, stamped);
    return { ack: { seq: stamped.seq, ts: stamped.ts }, durable };
  }

  return Object.assign(events, {
    get: (code: string) => byCode.get(code),
    all: () => [...byCode.values()],
    add(m: Meeting) {
      byCode.set(m.code, m);
    },
    remove(code: string) {
      const m = byCode.get(code);
      if (!m) return;
      byCode.delete(code);
      endedCodes.set(code, { owner: m.owner, presenter: m.presenter });
      if (endedCodes.size > ENDED_KEPT) endedCodes.delete(endedCodes.keys().next().value!);
    },
    ended: (code: string) => endedCodes.get(code),
    commit(m: Meeting, bundle: Bundle, from: string, opts: CommitOptions = {}) {
      const next = m.tail.then(() => commitNow(m, bundle, from, opts));
      m.tail = next.catch(() => undefined);
      // The next commit may go ahead once this one is written and sent; only its
      // acknowledgement waits for the flush to disk.
      return next.then(async ({ ack, durable }) => {
        try {
          await durable;
        } catch (err) {
          log.error({ room: m.code, seq: ack.seq, err: (err as Error).message }, "archive flush failed after relay");
          events.emit("commit-failed", m, bundle, err as Error);
          throw err;
        }
        return ack;
      });
    },
    nickOf(m: Meeting, jid: string) {
      const bare = bareJid(jid);
      for (const o of m.occupants.values()) if (o.jid && bareJid(o.jid) === bare) return o.nick;
      return null;
    },
    onPresence(p: import("@xmpp/xml").Element) {
      const to = String(p.attrs.to ?? "");
      const m = byCode.get(to.slice(to.indexOf("/") + 1));
      if (!m || to !== m.occupantJid) return null;
      const occupant = trackPresence(m.occupants, m.room, p);
      if (occupant) events.emit("occupant", m, occupant, { present: p.attrs.type !== "unavailable" });
      return m;
    },
  }) as Meetings;
}

/**
 * A line's events, its `presenter` events given the JID its `rights` name when they carry
 * none (hand-overs archived before the event had a JID), so a meeting restored from such an
 * archive keeps its presenter's rights.
 */
function withPresenterJid(line: { events: DeckEvent[]; rights?: { presenter?: string } }): DeckEvent[] {
  const jid = line.rights?.presenter;
  if (jid === undefined || !line.events.some((e) => e.type === "presenter" && e.jid === undefined)) return line.events;
  return line.events.map((e) => (e.type === "presenter" && e.jid === undefined ? { ...e, jid } : e));
}

/** Rebuilds a meeting's state and recent ids from its journal (after a restart); holes in its seq numbers are empty bundles. */
export async function replayJournal(archive: SessionArchive): Promise<{ state: RoomState; recent: Map<string, Ack> }> {
  let state = initialState(archive.manifest.title);
  const recent = new Map<string, Ack>();
  for (const line of await archive.journal.readAll()) {
    // The audio's t counts for the clock as it did live; its bytes do not matter here.
    const audio = line.audio ? { audio: { t: line.audio.t, data: NO_BYTES } } : {};
    state = applyBundle(state, { id: line.id, t: line.t, seq: line.seq, events: withPresenterJid(line), ...audio });
    recent.set(line.id, { seq: line.seq, ts: line.ts });
    if (recent.size > RECENT_IDS) recent.delete(recent.keys().next().value!);
  }
  // A seq the journal lacks (a line set aside at recovery) reads back as an empty bundle,
  // which changes nothing but the seq: the state is the reducer over journal.read(1, lastSeq).
  if (state.seq < archive.journal.lastSeq) state = { ...state, seq: archive.journal.lastSeq };
  return { state, recent };
}
