/**
 * The bridge's limits: PHONE_LIMITS (protocol/phone.ts, what the document promises phones)
 * plus the bridge's own, each overridable (tests make them small to make them quick).
 */
import { PHONE_LIMITS } from "../../protocol/phone.ts";

export interface BridgeLimits {
  maxFrameBytes: number;
  burst: number;
  perSecond: number;
  chatBurst: number;
  chatPerSecond: number;
  maxSocketsPerAddress: number;
  helloTimeoutMs: number;
  pingMs: number;
  deadMs: number;
  audioDropBytes: number;
  snapshotBytes: number;
  slowReaderMs: number;
  resumeBundles: number;
  /** A phone's socket buffer under which the bridge writes more to it. */
  highWater: number;
  /** A meeting's upstream stays this long after its last phone left (a quick resume finds it). */
  lingerMs: number;
  /** Participant counts go out at most this often per meeting. */
  participantsMs: number;
  /** Resume ids a meeting remembers. */
  maxResumeIds: number;
  /** Phones' token checks (each a login at the XMPP server) under way at once; a hello past it is closed `unavailable`. */
  maxTokenChecks: number;
}

export const BRIDGE_LIMITS: BridgeLimits = {
  maxFrameBytes: PHONE_LIMITS.maxFrameBytes,
  burst: PHONE_LIMITS.burst,
  perSecond: PHONE_LIMITS.perSecond,
  chatBurst: PHONE_LIMITS.chatBurst,
  chatPerSecond: PHONE_LIMITS.chatPerSecond,
  maxSocketsPerAddress: PHONE_LIMITS.maxSocketsPerAddress,
  helloTimeoutMs: PHONE_LIMITS.helloTimeoutMs,
  pingMs: PHONE_LIMITS.pingMs,
  deadMs: PHONE_LIMITS.deadMs,
  audioDropBytes: PHONE_LIMITS.audioDropBytes,
  snapshotBytes: PHONE_LIMITS.snapshotBytes,
  slowReaderMs: PHONE_LIMITS.slowReaderMs,
  resumeBundles: PHONE_LIMITS.resumeBundles,
  highWater: 64 * 1024,
  lingerMs: 30_000,
  participantsMs: 500,
  maxResumeIds: 10_000,
  maxTokenChecks: 8,
};
