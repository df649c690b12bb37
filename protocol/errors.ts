/**
 * The catalogue of deckcast errors. Each code is stable (clients switch on it) and maps to
 * an RFC 6120 stanza error type and defined condition; on the wire the code travels as an
 * application-specific condition element in NS.errors (see docs/protocol.md §Errors).
 */

export type StanzaErrorType = "auth" | "cancel" | "continue" | "modify" | "wait";

export interface ErrorSpec {
  type: StanzaErrorType;
  /** RFC 6120 defined condition. */
  condition: string;
  /** Default text when none more precise is given. */
  text: string;
}

export const ERRORS = {
  "bad-bundle": { type: "modify", condition: "bad-request", text: "The bundle is malformed." },
  "bad-request": { type: "modify", condition: "bad-request", text: "The request is malformed." },
  "too-large": { type: "modify", condition: "policy-violation", text: "The stanza is larger than allowed." },
  "not-presenter": { type: "auth", condition: "forbidden", text: "Only the presenter may send bundles to this room." },
  "not-owner": { type: "auth", condition: "forbidden", text: "Only the presenter or the meeting's owner may do that." },
  "guest-not-allowed": { type: "auth", condition: "forbidden", text: "Guests cannot create meetings; log in with an account." },
  "unknown-room": { type: "cancel", condition: "item-not-found", text: "There is no meeting with that code." },
  "unknown-occupant": { type: "cancel", condition: "item-not-found", text: "Nobody with that name is in the meeting." },
  "session-ended": { type: "cancel", condition: "not-allowed", text: "The session has ended." },
  "out-of-range": { type: "modify", condition: "bad-request", text: "The requested sequence range is not valid." },
  "archive-failed": { type: "wait", condition: "resource-constraint", text: "The archive could not be written; nothing was relayed." },
  "not-ready": { type: "wait", condition: "service-unavailable", text: "The meeting is still starting; try again." },
  "unknown-deck": { type: "cancel", condition: "item-not-found", text: "There is no deck with that id." },
  "unknown-archive": { type: "cancel", condition: "item-not-found", text: "There is no such session." },
  "upload-too-large": { type: "modify", condition: "not-acceptable", text: "The file is larger than allowed." },
  "too-deep": { type: "modify", condition: "policy-violation", text: "The stanza nests elements deeper than allowed." },
  "bad-time": { type: "modify", condition: "bad-request", text: "The session time is ahead of the session clock." },
  "bad-nick": { type: "modify", condition: "not-acceptable", text: "That nickname cannot be used in this meeting." },
  "quota-exceeded": { type: "wait", condition: "resource-constraint", text: "You have reached a limit on this server; end or finish something first." },
  "rate-limited": { type: "wait", condition: "policy-violation", text: "Too many messages; slow down." },
  "internal": { type: "wait", condition: "internal-server-error", text: "Something went wrong on the server." },
} as const satisfies Record<string, ErrorSpec>;

export type ErrorCode = keyof typeof ERRORS;

export function isErrorCode(s: string): s is ErrorCode {
  return Object.prototype.hasOwnProperty.call(ERRORS, s);
}
