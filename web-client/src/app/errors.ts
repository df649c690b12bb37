/**
 * Every failure the person can meet, in plain words. deckcast errors are read with
 * decodeError (protocol/stanza-error.ts) and mapped by their stable code; XMPP and network
 * failures by their condition. Nothing here shows a stack, a JID or an XML name.
 */
import type { Element } from "@xmpp/xml";
import type { ErrorCode } from "../../../protocol/errors.ts";
import { decodeError, type DecodedError } from "../../../protocol/stanza-error.ts";

const BY_CODE: Record<ErrorCode, string> = {
  "bad-bundle": "The server did not accept that change. Try again; if it keeps happening, reload the page.",
  "bad-request": "The server did not understand the request. Reload the page and try again.",
  "too-large": "That was too big to send in one go (a very long stroke?). Try a shorter one.",
  "not-presenter": "You are not the presenter any more, so your last change was not shown to the others.",
  "not-owner": "Only the presenter or the person who created the meeting can do that.",
  "guest-not-allowed": "Guests cannot do that. Log in with an account to create meetings and upload decks.",
  "unknown-room": "There is no meeting with this code. Check the link, or ask the presenter for a new one.",
  "unknown-occupant": "That person has left the meeting.",
  "session-ended": "This meeting has ended.",
  "out-of-range": "The meeting's history could not be loaded. Reload the page.",
  "archive-failed": "The server could not save the recording, so your change was not sent. Tell the person running deckcast (the disk may be full).",
  "not-ready": "The meeting server is still starting. Wait a moment and try again.",
  "unknown-deck": "The server does not have that deck any more. Upload it again.",
  "unknown-archive": "There is no such session (it may have been deleted).",
  "upload-too-large": "The file is larger than the server accepts.",
  "too-deep": "The server refused a malformed message. Reload the page and try again.",
  "bad-time": "Your computer's clock disagrees with the server's by minutes, so your change was refused. Set the clock to the right time and reload.",
  "bad-nick": "That name cannot be used in this meeting (it is too long, or it belongs to the presenter). Pick another one.",
  "quota-exceeded": "You have reached this server's limit (open meetings or uploads). End a meeting or wait for an upload to finish, then try again.",
  "rate-limited": "You are sending messages too fast. Wait a moment and try again.",
  "internal": "Something went wrong on the server. Try again in a moment.",
};

/**
 * Why an account cannot log in from another device over plain http: the server answers such a
 * login with SASL `encryption-required` (prosody/modules/mod_auth_deckcast_token.lua), and the
 * login form says it before anything is sent (dc-login.ts).
 */
export const PASSWORD_NEEDS_HTTPS = "Logging in with a password from another device needs https; ask the person running deckcast. Joining a meeting needs no password: open its link.";

/** XMPP defined conditions (RFC 6120 §8.3.3, RFC 6120 §6.5 for SASL) that can reach a person. */
const BY_CONDITION: Record<string, string> = {
  "not-authorized": "Wrong user name or password.",
  "credentials-expired": "Your password has expired. Ask the person running deckcast for a new one.",
  "account-disabled": "This account is disabled.",
  "invalid-mechanism": "The server does not accept this way of logging in.",
  "encryption-required": PASSWORD_NEEDS_HTTPS,
  "temporary-auth-failure": "Too many failed logins from this address. Wait a minute and try again.",
  "conflict": "Someone in this meeting already uses that name. Pick another one.",
  "not-allowed": "There is no meeting with this code. Check the link, or ask the presenter for a new one.",
  "item-not-found": "There is no meeting with this code. Check the link, or ask the presenter for a new one.",
  "registration-required": "This meeting only admits invited people.",
  "forbidden": "You are not allowed to do that.",
  "service-unavailable": "The meeting service is not available right now. Try again in a moment.",
  "remote-server-not-found": "The meeting service is not available right now. Try again in a moment.",
  "recipient-unavailable": "The meeting service is not available right now. Try again in a moment.",
  "internal-server-error": "Something went wrong on the server. Try again in a moment.",
  "resource-constraint": "The server is busy. Try again in a moment.",
  "policy-violation": "The server refused that as too large or too fast.",
  "jid-malformed": "That name cannot be used. Pick a simpler one.",
  // Prosody keeps a destroyed room's tombstone (muc_tombstones, 31 days): joining it gets <gone/>.
  "gone": "This meeting has ended.",
};

/** The words for an <error/> element (or the stanza holding one). */
export function describeStanzaError(el: Element): string {
  return describeDecoded(decodeError(el));
}

export function describeDecoded(d: DecodedError): string {
  if (d.code) return BY_CODE[d.code];
  return BY_CONDITION[d.condition] ?? (d.text || "The server refused the request.");
}

/**
 * True when `err` says the meeting is over: a join of its destroyed room (`gone`, the room's
 * tombstone) or a request the component refused with `session-ended`.
 */
export function isMeetingEnded(err: unknown): boolean {
  const e = err as { message?: string; element?: Element };
  if (e?.element && typeof e.element === "object" && e.element.name === "error") {
    const d = decodeError(e.element);
    return d.code === "session-ended" || d.condition === "gone";
  }
  return false;
}

/** The words for anything thrown while connecting, joining or asking the server. */
export function describeError(err: unknown): string {
  const e = err as { name?: string; message?: string; condition?: string; element?: Element };
  // A stanza error (IQ refused) carries its <error/>; a SASL failure carries <failure/> and a condition.
  if (e?.element && typeof e.element === "object" && e.element.name === "error") return describeStanzaError(e.element);
  if (e?.condition && BY_CONDITION[e.condition]) return BY_CONDITION[e.condition]!;
  const message = String(e?.message ?? err ?? "");
  if (e?.name === "TimeoutError" || /timed? ?out|no answer/i.test(message)) {
    return "The server did not answer in time. Check your connection and try again.";
  }
  if (/websocket|ECONNREFUSED|network|failed to fetch|disconnect|socket/i.test(message) || e?.name === "ConnectionError") {
    return "Cannot reach the deckcast server. Check your network connection and try again.";
  }
  return message ? `Something went wrong: ${message}` : "Something went wrong.";
}
