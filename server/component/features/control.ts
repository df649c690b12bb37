/**
 * Session control by the presenter or the meeting's owner (who can always take the role back):
 * <presenter nick="…"/> hands the presenter role to another occupant, as a bundle of its own
 * so followers, late joiners and the archive all see it; <end/> ends the session.
 *
 * A hand-over is one committed `presenter` event carrying the new presenter's bare JID, and
 * nothing else: the room state (which the rights checks read) and the manifest (which the
 * archive folds from the event) both follow from it, inside the serialised commit, where the
 * asker's right is checked again and the bundle's id is numbered. docs/protocol.md §Hand over, §End.
 */
import type { Logger } from "pino";
import { LIMITS, NS } from "../../../protocol/namespaces.ts";
import { validateEvent } from "../../../protocol/validate.ts";
import { encodeError, encodeRefusal } from "../../../protocol/stanza-error.ts";
import { clip, type ComponentLink } from "../link.ts";
import type { Lifecycle } from "../lifecycle.ts";
import { CommitRefused, type Meeting, type Meetings } from "../meetings.ts";
import { bareJid } from "../muc.ts";

const HAND_OVER_REFUSED = "Only the presenter or the meeting's owner can hand over the presenter role.";

/** The presenter (by the room state) and the owner may hand over and end. */
const mayControl = (m: Meeting, jid: string) => jid === m.presenter || jid === m.owner;

export function setupControl({ link, meetings, lifecycle, log }: { link: ComponentLink; meetings: Meetings; lifecycle: Lifecycle; log: Logger }) {
  link.onIq("set", NS.deckcast, "presenter", async (req) => {
    const m = meetings.get(req.local);
    if (!m) return encodeError("unknown-room");
    if (m.state.ended) return encodeError("session-ended");
    const asker = bareJid(req.from);
    if (!mayControl(m, asker)) return encodeError("not-owner", HAND_OVER_REFUSED);
    const nick = String(req.element.attrs.nick ?? "");
    // The presenter's nick goes into every later bundle's `from` and into the state: it must be
    // one the protocol's reader accepts, or followers would refuse everything after it.
    const t = lifecycle.clock(m);
    if (!validateEvent({ type: "presenter", t, nick }, "presenter").ok) {
      return encodeError("bad-nick", `A presenter's name must be 1 to ${LIMITS.maxNick} characters of plain text; “${clip(nick, 80)}” is not.`);
    }
    const target = m.occupants.get(nick);
    if (!target?.jid) return encodeError("unknown-occupant", `Nobody called “${clip(nick, 80)}” is in the meeting.`);
    const jid = bareJid(target.jid);
    // Asked again at the bundle's turn: with hand-overs crossing, the asker may have handed
    // the role on (or been handed it) while this one waited.
    const allowed = (now: Meeting) => (mayControl(now, asker) ? null : { code: "not-owner" as const, message: HAND_OVER_REFUSED });
    try {
      await meetings.commit(m, { id: "srv-presenter", t, events: [{ type: "presenter", t, nick, jid }] }, meetings.nickOf(m, req.from) ?? nick, { serverId: "srv-presenter", allowed });
    } catch (err) {
      if (err instanceof CommitRefused) return encodeRefusal(err.refusal);
      log.error({ room: m.code, err: (err as Error).message }, "hand-over failed");
      return encodeError("archive-failed");
    }
    log.info({ room: m.code, nick }, "presenter handed over");
    return undefined;
  });

  link.onIq("set", NS.deckcast, "end", async (req) => {
    const asker = bareJid(req.from);
    const m = meetings.get(req.local);
    if (!m) {
      // Ending is idempotent: an <end/> repeated (or crossing the first one) is answered as done.
      const gone = meetings.ended(req.local);
      if (gone && (asker === gone.presenter || asker === gone.owner)) return undefined;
      return encodeError("unknown-room");
    }
    if (!mayControl(m, asker)) return encodeError("not-owner", "Only the presenter or the meeting's owner can end the meeting.");
    try {
      await lifecycle.end(m, "The presenter ended the meeting.");
    } catch (err) {
      log.error({ room: m.code, err: (err as Error).message }, "ending the meeting failed");
      return encodeError("archive-failed", "The end of the meeting could not be archived; it is still live. Try again.");
    }
    return undefined;
  });
}
