/**
 * Bundles the component makes itself (session-start, session-stop, hand-overs, recording
 * reports, audio that did not fit, placeholders for lost lines) have ids starting "srv-".
 * Presenters may not use that prefix (the component refuses it with `bad-bundle`): a
 * presenter's "srv-stop" once made the real session-stop look like a resend, so it was
 * never archived. docs/protocol.md §Bundle.
 */
export const SERVER_ID_PREFIX = "srv-";

/** True for a bundle (or bundle id) the component made. */
export function isServerBundle(b: { id: string } | string): boolean {
  return (typeof b === "string" ? b : b.id).startsWith(SERVER_ID_PREFIX);
}
