/**
 * The component's per-account and per-meeting limits, with their defaults. npm start reads
 * overrides from the environment (server/config.ts); docs/security.md lists them all.
 */
export interface MeetingLimits {
  /** Live meetings one account may own at once. */
  meetingsPerAccount: number;
  /** A meeting with nothing committed for this long is ended. */
  meetingIdleMs: number;
}

export const MEETING_LIMITS: Readonly<MeetingLimits> = Object.freeze({
  meetingsPerAccount: 20,
  meetingIdleMs: 24 * 3_600_000,
});
