/**
 * Reserved nicks: nobody else can take the owner's or the presenter's name in the room.
 *
 * Rights are decided by real JID (the owner, and the presenter the room state names), but people see nicks:
 * a guest who joined as the presenter's nick while the presenter was out got the presenter
 * badge in every follower, and the owner's take-back by that nick handed the role to the
 * guest. So the component registers the nicks of the owner and the current presenter with the
 * room (XEP-0045 §9.3, muc.ts reserveNick): the room then refuses them to anyone else and
 * moves out an impostor already holding one. A reservation follows its person: it is made
 * from the session-start, from every hand-over, and whenever the owner or presenter is seen
 * under a new nick; a presenter who hands the role on (and is not the owner) loses theirs.
 */
import type { Logger } from "pino";
import type { StampedBundle } from "../../../protocol/types.ts";
import type { ComponentLink } from "../link.ts";
import type { Meeting, Meetings } from "../meetings.ts";
import { bareJid, releaseNick, reserveNick, type Occupant } from "../muc.ts";

export function setupNickGuard({ link, meetings, log }: { link: ComponentLink; meetings: Meetings; log: Logger }) {
  /** Per meeting: bare JID → the nick reserved for it (as far as we know). */
  const reserved = new Map<Meeting, Map<string, string>>();
  /** Per meeting: the presenter whose nick is reserved. */
  const presenters = new Map<Meeting, string>();

  function reserve(m: Meeting, jid: string, nick: string): void {
    let mine = reserved.get(m);
    if (!mine) reserved.set(m, (mine = new Map()));
    if (mine.get(jid) === nick || !link.online) return;
    mine.set(jid, nick);
    reserveNick(link, { room: m.room, from: m.occupantJid, jid, nick }).catch((err: Error) => {
      if (reserved.get(m)?.get(jid) === nick) reserved.get(m)!.delete(jid); // try again next time
      log.warn({ room: m.code, err: err.message }, "could not reserve a nick");
    });
  }

  function release(m: Meeting, jid: string): void {
    reserved.get(m)?.delete(jid);
    if (!link.online) return;
    releaseNick(link, { room: m.room, from: m.occupantJid, jid }).catch((err: Error) => log.warn({ room: m.code, err: err.message }, "could not release a nick"));
  }

  const onOccupant = (m: Meeting, o: Occupant, { present }: { present: boolean }) => {
    if (!presenters.has(m)) presenters.set(m, m.presenter); // a meeting restored after a restart
    if (!present || !o.jid) return;
    const jid = bareJid(o.jid);
    if (jid === m.owner || jid === m.presenter) reserve(m, jid, o.nick);
  };

  const onCommitted = (m: Meeting, b: StampedBundle) => {
    for (const e of b.events) {
      if (e.type === "session-start") {
        reserve(m, m.owner, e.presenter);
        presenters.set(m, m.presenter);
      } else if (e.type === "presenter") {
        const before = presenters.get(m);
        presenters.set(m, m.presenter);
        reserve(m, m.presenter, e.nick);
        if (before && before !== m.presenter && before !== m.owner) release(m, before);
      }
    }
  };

  const forget = (m: Meeting) => {
    reserved.delete(m);
    presenters.delete(m);
  };
  // After a reconnect the server may have lost what we reserved: reserve again as people are seen.
  const onOffline = () => reserved.clear();

  meetings.on("occupant", onOccupant);
  meetings.on("committed", onCommitted);
  meetings.on("ended", forget);
  link.on("offline", onOffline);
  return {
    stop() {
      meetings.off("occupant", onOccupant);
      meetings.off("committed", onCommitted);
      meetings.off("ended", forget);
      link.off("offline", onOffline);
    },
  };
}
