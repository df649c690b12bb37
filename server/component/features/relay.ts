/**
 * <bundle/>: the presenter's events (and audio) for one interval. Checked, stamped,
 * archived, then relayed to the room (meetings.commit, which also re-stamps the audio into
 * the session's stream and refuses audio that cannot join it); the IQ result is the <ack/>.
 * docs/protocol.md §Send a bundle.
 */
import xml from "@xmpp/xml";
import type { Logger } from "pino";
import { decodeBundle } from "../../../protocol/codec.ts";
import { ERRORS } from "../../../protocol/errors.ts";
import { BUNDLE_SIZE, LIMITS, NS } from "../../../protocol/namespaces.ts";
import { isServerBundle, SERVER_ID_PREFIX } from "../../../protocol/server-bundles.ts";
import { xmlSizeOver } from "../../../protocol/xml-read.ts";
import { encodeError, encodeRefusal } from "../../../protocol/stanza-error.ts";
import type { Bundle, RoomState } from "../../../protocol/types.ts";
import type { ComponentLink } from "../link.ts";
import { CommitRefused, type Meeting, type Meetings } from "../meetings.ts";
import { bareJid } from "../muc.ts";
import { eventPaths } from "../../../protocol/validate.ts";

/** Size above which a bundle is refused before decoding (BUNDLE_SIZE in protocol/namespaces.ts). */
export const MAX_BUNDLE_CHARS = BUNDLE_SIZE.component;
/** Events only the component may originate. */
const SERVER_EVENTS = new Set(["session-start", "session-stop", "presenter", "recording"]);

export interface DeckLookup {
  has(id: string): boolean;
}

export function setupRelay({ link, meetings, clock, decks, log }: { link: ComponentLink; meetings: Meetings; clock: (m: Meeting) => number; decks?: DeckLookup; log: Logger }) {
  link.onIq("set", NS.deckcast, "bundle", async (req) => {
    const m = meetings.get(req.local);
    if (!m) return encodeError(meetings.ended(req.local) ? "session-ended" : "unknown-room");
    if (m.state.ended) return encodeError("session-ended");
    // Rights by the room state (m.presenter: the last committed hand-over), here and again at
    // the bundle's turn in the commit, since a hand-over may be queued ahead of it.
    const sender = bareJid(req.from);
    if (sender !== m.presenter) return encodeError("not-presenter");
    if (xmlSizeOver(req.element, MAX_BUNDLE_CHARS)) return encodeError("too-large", `A bundle may be at most ${MAX_BUNDLE_CHARS} characters.`);
    const decoded = decodeBundle(req.element);
    if (!decoded.ok) return encodeRefusal(decoded.error);
    if (isServerBundle(decoded.value)) return encodeError("bad-bundle", `bundle@id: ids starting “${SERVER_ID_PREFIX}” are the component's own`);
    const bundle: Bundle = { id: decoded.value.id, t: decoded.value.t, events: decoded.value.events };
    if (decoded.value.audio) bundle.audio = decoded.value.audio;
    const problem = checkEvents(bundle, m.state, decks) ?? checkTimes(bundle, clock(m));
    if (problem) return problem;
    // `from` is the presenter's nick in the room; one who has not joined (an outside client
    // sending from a script) is stamped with the nick the state names as presenter.
    const from = meetings.nickOf(m, req.from) ?? m.state.presenter ?? bareJid(req.from).split("@")[0]!;
    try {
      const ack = await meetings.commit(m, bundle, from, { allowed: (now) => (sender === now.presenter ? null : { code: "not-presenter", message: ERRORS["not-presenter"].text }) });
      return xml("ack", { xmlns: NS.deckcast, id: bundle.id, seq: String(ack.seq), ts: String(ack.ts), ...(ack.duplicate ? { duplicate: "true" } : {}) });
    } catch (err) {
      if (err instanceof CommitRefused) return encodeRefusal(err.refusal);
      log.error({ room: m.code, err: (err as Error).message }, "archive write failed; bundle refused");
      return encodeError("archive-failed", `The archive could not be written (${(err as NodeJS.ErrnoException).code ?? "error"}); nothing was relayed.`);
    }
  });
}

function checkEvents(b: Bundle, state: RoomState, decks: DeckLookup | undefined) {
  let pages = state.deck?.pages ?? null;
  const paths = eventPaths(b.events);
  for (const [i, e] of b.events.entries()) {
    if (SERVER_EVENTS.has(e.type)) return encodeError("bad-bundle", `${paths[i]}: only the server sends ${e.type} events`);
    if (e.type === "deck-open") {
      if (decks && !decks.has(e.deck.id)) return encodeError("unknown-deck", `No deck ${e.deck.id} has been uploaded.`);
      pages = e.deck.pages;
    }
    if (e.type === "page" && pages !== null && e.page > pages) return encodeError("bad-bundle", `${paths[i]}@page: page ${e.page} is beyond the deck's ${pages} pages`);
  }
  return null;
}

/**
 * Times may run ahead of the session clock by LIMITS.maxClockAheadMs at most (a presenter's
 * clock skew). Without the bound one bundle at t = 2^53 made the component fill the gap with
 * silence for minutes, blocking every meeting; with it, the silence one bundle can add is at
 * most the real time since the audio stopped plus the slack.
 */
function checkTimes(b: Bundle, now: number) {
  const limit = now + LIMITS.maxClockAheadMs;
  const late = (t: number) => t > limit;
  const say = (what: string, t: number) =>
    encodeError("bad-time", `${what}: t=${t} is ${t - now} ms ahead of the session clock (${now} ms); at most ${LIMITS.maxClockAheadMs} ms ahead is accepted. Check this computer's clock.`);
  if (late(b.t)) return say("bundle@t", b.t);
  const paths = eventPaths(b.events);
  for (const [i, e] of b.events.entries()) if (late(e.t)) return say(`${paths[i]}@t`, e.t);
  if (b.audio && late(b.audio.t)) return say("bundle/audio[1]@t", b.audio.t);
  return null;
}
