/**
 * Late joiners and gap filling: <state/> returns the room as it is now (with the audio
 * stream's header pages once there is audio); <range/> returns archived bundles by
 * sequence number. docs/protocol.md §Join late, §Fill a gap.
 */
import xml from "@xmpp/xml";
import { withAudioHeader } from "../../../protocol/audio-header.ts";
import { encodeBundle, encodeState } from "../../../protocol/codec.ts";
import { NS } from "../../../protocol/namespaces.ts";
import { encodeError } from "../../../protocol/stanza-error.ts";
import type { ComponentLink } from "../link.ts";
import type { Meetings } from "../meetings.ts";

/** A range reply stops after this many bundles or characters; the client asks again from `to`+1. */
export const RANGE_MAX_BUNDLES = 200;
export const RANGE_MAX_CHARS = 192 * 1024;
/** The `out-of-range` texts (docs/protocol.md §Fill a gap quotes them). */
export const RANGE_BAD_TEXT = "from and to must be whole numbers with 1 ≤ from ≤ to.";
export const rangeBeyondText = (last: number) => `The room's last sequence number is ${last}.`;

export function setupCatchUp({ link, meetings }: { link: ComponentLink; meetings: Meetings }) {
  link.onIq("get", NS.deckcast, "state", (req) => {
    const m = meetings.get(req.local);
    if (!m) return encodeError("unknown-room");
    // A late joiner's decoder needs the audio stream's header pages before any audio page.
    const header = m.audio.ok ? m.audio.value.state.headers : null;
    return header ? withAudioHeader(encodeState(m.state), header) : encodeState(m.state);
  });

  link.onIq("get", NS.deckcast, "range", async (req) => {
    const m = meetings.get(req.local);
    if (!m) return encodeError("unknown-room");
    const last = m.archive.journal.lastSeq;
    const from = Number(req.element.attrs.from);
    const to = req.element.attrs.to === undefined ? last : Number(req.element.attrs.to);
    if (!Number.isInteger(from) || !Number.isInteger(to) || from < 1 || to < from) {
      return encodeError("out-of-range", RANGE_BAD_TEXT);
    }
    if (from > last) return encodeError("out-of-range", rangeBeyondText(last));
    const bundles = await m.archive.journal.read(from, Math.min(to, from + RANGE_MAX_BUNDLES - 1));
    const reply = xml("range", { xmlns: NS.deckcast, from: String(from), last: String(last) });
    let chars = 0;
    let served = from - 1;
    for (const b of bundles) {
      const el = encodeBundle(b);
      chars += el.toString().length;
      if (chars > RANGE_MAX_CHARS && served >= from) break;
      reply.append(el);
      served = b.seq;
    }
    reply.attrs.to = String(served);
    return reply;
  });
}
