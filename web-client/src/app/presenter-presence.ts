/**
 * Whether the presenter is in the room, as a follower sees it: "here", "reconnecting" (the
 * presenter's occupant is gone but the meeting is live) and, after PRESENTER_GONE_MS without
 * them, "left". A view over the session's occupants and confirmed state; it says nothing
 * (here) while this person presents, while their own connection is not online (the
 * connection banner speaks then), before a state is known, and once the meeting ended.
 */
import { Emitter } from "../../../client-core/emitter.ts";
import type { MeetingSession } from "./meeting-session.ts";

export type PresenterPresence = "here" | "reconnecting" | "left";

/** A presenter away this long is said to have left (a reload or a network change takes seconds). */
export const PRESENTER_GONE_MS = 60_000;

type Watched = Pick<MeetingSession, "confirmed" | "connection" | "presenting" | "occupants" | "on">;

export class PresenterWatch extends Emitter<{ change: [PresenterPresence] }> {
  presence: PresenterPresence = "here";
  #awayNick: string | null = null;
  #timer: ReturnType<typeof setTimeout> | undefined;
  readonly #session: Watched;
  readonly #goneMs: number;
  readonly #off: () => void;

  constructor(session: Watched, { goneMs = PRESENTER_GONE_MS } = {}) {
    super();
    this.#session = session;
    this.#goneMs = goneMs;
    this.#off = session.on("change", () => this.#check());
    this.#check();
  }

  stop(): void {
    this.#off();
    clearTimeout(this.#timer);
  }

  #check() {
    const s = this.#session;
    const state = s.confirmed;
    const presenter = state && !state.ended && s.connection === "online" && !s.presenting ? state.presenter : "";
    const away = presenter && !s.occupants.has(presenter) ? presenter : null;
    if (away === this.#awayNick) return;
    this.#awayNick = away;
    clearTimeout(this.#timer);
    if (away) this.#timer = setTimeout(() => this.#set("left"), this.#goneMs);
    this.#set(away ? "reconnecting" : "here");
  }

  #set(p: PresenterPresence) {
    if (p === this.presence) return;
    this.presence = p;
    this.emit("change", p);
  }
}
