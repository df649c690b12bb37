/**
 * The room's chat limits, as a server setting: their type and defaults, defined once here.
 * server/config.ts reads them (DECKCAST_CHAT_*) and the XMPP server's adapter enforces them
 * (Prosody: prosody/modules/mod_deckcast_guard.lua, configured from prosody/config.ts).
 * `CLIENT_CHAT_CHARS` is the longest message the web client's text box sends; a room that
 * refused it would refuse ordinary messages, so start-up checks one against the other.
 * Pure: no I/O.
 */

/**
 * Chat limits, per occupant of a room (real bare JID), on groupchat messages. The deckcast
 * component's own occupant (it relays every bundle as groupchat) is never limited.
 */
export interface ChatLimits {
  /** Messages one occupant may send at once (the token bucket's size). */
  burst: number;
  /** Messages per second the bucket refills, i.e. the sustained rate. */
  perSecond: number;
  /** Code points in one message's bodies; Prosody 0.12 has no cap of its own. */
  maxBodyChars: number;
}

/**
 * Defaults: a person typing sends well under one message a second, and a pasted burst of
 * lines is a handful; 10 at once and 2/s sustained never hinder that, while one occupant's
 * flood (1,000 messages in 10 s) is cut to 10 + 2/s. 4000 characters is twice the web
 * client's own text box (CLIENT_CHAT_CHARS).
 */
export const CHAT_LIMITS: Readonly<ChatLimits> = Object.freeze({ burst: 10, perSecond: 2, maxBodyChars: 4000 });

/** Code points the web client's chat box sends at most (web-client/src/app/chat.ts MAX_CHAT_CHARS). */
export const CLIENT_CHAT_CHARS = 2000;
