/**
 * Session control by the presenter or the meeting's owner (who can always take the role back):
 * <presenter nick="…"/> hands the presenter role to another occupant, as a bundle of its own
 * so followers, late joiners and the archive all see it; <end/> ends the session.
 * docs/protocol.md §Hand over, §End.
 */
import type { Logger } from "pino";
import { NS } from "../../../protocol/namespaces.ts";
import { encodeError } from "../../../protocol/stanza-error.ts";
import type { ComponentLink } from "../link.ts";
import type { Lifecycle } from "../lifecycle.ts";
import type { Meetings } from "../meetings.ts";
import { bareJid } from "../muc.ts";

export function setupControl({ link, meetings, lifecycle, log }: { link: ComponentLink; meetings: Meetings; lifecycle: Lifecycle; log: Logger }) {
  link.onIq("set", NS.deckcast, "presenter", async (req) => {
    const m = meetings.get(req.local);
    if (!m) return encodeError("unknown-room");
    if (m.state.ended) return encodeError("session-ended");
    const asker = bareJid(req.from);
    if (asker !== m.presenter && asker !== m.owner) return encodeError("not-owner", "Only the presenter or the meeting's owner can hand over the presenter role.");
    const nick = String(req.element.attrs.nick ?? "");
    const target = m.occupants.get(nick);
    if (!target?.jid) return encodeError("unknown-occupant", `Nobody called “${nick}” is in the meeting.`);
    const previous = m.presenter;
    try {
      await m.archive.update({ presenter: bareJid(target.jid) });
      const t = lifecycle.clock(m);
      await meetings.commit(m, { id: `srv-presenter-${m.archive.journal.lastSeq + 1}`, t, events: [{ type: "presenter", t, nick }] }, meetings.nickOf(m, req.from) ?? nick);
    } catch (err) {
      await m.archive.update({ presenter: previous }).catch((e: Error) => log.error({ room: m.code, err: e.message }, "could not restore the presenter in the manifest"));
      log.error({ room: m.code, err: (err as Error).message }, "hand-over failed");
      return encodeError("archive-failed");
    }
    log.info({ room: m.code, nick }, "presenter handed over");
    return undefined;
  });

  link.onIq("set", NS.deckcast, "end", async (req) => {
    const m = meetings.get(req.local);
    if (!m) return encodeError("unknown-room");
    const asker = bareJid(req.from);
    if (asker !== m.presenter && asker !== m.owner) return encodeError("not-owner", "Only the presenter or the meeting's owner can end the meeting.");
    await lifecycle.end(m, "The presenter ended the meeting.");
    return undefined;
  });
}
