/**
 * The meetings the component runs: one MUC room and one session archive each.
 *
 * `commit` is the heart of the relay (docs/architecture.md §Page turn): stamp the next
 * room-wide sequence number, append to the archive (durably), fold into the room state,
 * and only then send to the room. Commits of one meeting run one at a time, so sequence
 * order, archive order and send order are the same.
 *
 * Events: "committed" (meeting, bundle) after a bundle is archived and sent; "ended".
 */
import { EventEmitter } from "node:events";
import type { Logger } from "pino";
import { applyBundle, initialState } from "../../protocol/reducer.ts";
import type { Bundle, RoomState, StampedBundle } from "../../protocol/types.ts";
import type { SessionArchive } from "../archive/session-archive.ts";
import type { ComponentLink } from "./link.ts";
import { trackPresence, bareJid, type Occupant } from "./muc.ts";
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
  state: RoomState;
  /** Bare JID of the account that created it; it can always take the presenter role back. */
  owner: string;
  /** Bare JID of the current presenter. */
  presenter: string;
  occupants: Map<string, Occupant>;
  /** Recently accepted bundle ids → seq, so a resent bundle is acknowledged, not applied twice. */
  recent: Map<string, Ack>;
  joined: boolean;
  /** Serialises commits. */
  tail: Promise<unknown>;
}

export interface MeetingsEvents {
  committed: [Meeting, StampedBundle];
  ended: [Meeting];
}

const RECENT_IDS = 1000;

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
  remove(code: string): void;
  /** Stamps, archives, applies and relays a bundle. Rejects (and changes nothing) if the archive write fails. */
  commit(m: Meeting, bundle: Bundle, from: string): Promise<Ack>;
  /** Nick of the occupant whose real bare JID is `jid`, if present. */
  nickOf(m: Meeting, jid: string): string | null;
  /** Handles a presence addressed to one of our occupants. */
  onPresence(p: import("@xmpp/xml").Element): Meeting | null;
}

export function createMeetings({ link, log }: { link: ComponentLink; log: Logger }): Meetings {
  const byCode = new Map<string, Meeting>();
  const events = new EventEmitter<MeetingsEvents>();

  async function commitNow(m: Meeting, bundle: Bundle, from: string): Promise<Ack> {
    const seen = m.recent.get(bundle.id);
    if (seen) return { ...seen, duplicate: true };
    const stamped: StampedBundle = { ...bundle, seq: m.archive.journal.lastSeq + 1, ts: Date.now(), from };
    await m.archive.append(stamped);
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
    return { seq: stamped.seq, ts: stamped.ts };
  }

  return Object.assign(events, {
    get: (code: string) => byCode.get(code),
    all: () => [...byCode.values()],
    add(m: Meeting) {
      byCode.set(m.code, m);
    },
    remove(code: string) {
      byCode.delete(code);
    },
    commit(m: Meeting, bundle: Bundle, from: string) {
      const next = m.tail.then(() => commitNow(m, bundle, from));
      m.tail = next.catch(() => undefined);
      return next;
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
      trackPresence(m.occupants, m.room, p);
      return m;
    },
  }) as Meetings;
}

/** Rebuilds a meeting's state and recent ids from its journal (after a restart). */
export async function replayJournal(archive: SessionArchive): Promise<{ state: RoomState; recent: Map<string, Ack> }> {
  let state = initialState(archive.manifest.title);
  const recent = new Map<string, Ack>();
  for (const line of await archive.journal.readAll()) {
    state = applyBundle(state, { id: line.id, t: line.t, seq: line.seq, events: line.events });
    recent.set(line.id, { seq: line.seq, ts: line.ts });
    if (recent.size > RECENT_IDS) recent.delete(recent.keys().next().value!);
  }
  return { state, recent };
}
