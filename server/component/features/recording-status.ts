/**
 * The recording's health, for the room (docs/protocol.md §Recording status): every `everyMs`
 * (5 s) while a meeting is live, the component sends the room a `<recording-status/>`
 * (protocol/recording-status.ts) with the archive's size (audio + events + chat), the
 * session's duration, the free space on the archive's disk (fs.statfs) and the rate the
 * archive grew over the last minute. It is about the archive, so it is never archived: a
 * groupchat message with a no-store hint, sent even while the disk takes no writes. A failed
 * archive write is sent at once (state="failed", the reason in words); the next write that
 * a presenter's bundle archived again sends "recording" again. The archived `recording` events (features/recording.ts)
 * go on beside it: they are the record's own account of what was kept.
 *
 * It also answers `<recording-status/>` gets: to the component domain (accounts only: before
 * creating a meeting, is recording available and how much room is there), and to a meeting
 * (anyone who may get its `<state/>`: its status now, so a joiner need not wait 5 s).
 */
import { constants } from "node:fs";
import { access, mkdir, stat, statfs } from "node:fs/promises";
import path from "node:path";
import xml from "@xmpp/xml";
import type { Logger } from "pino";
import { NS } from "../../../protocol/namespaces.ts";
import { encodeRecordingStatus, type RecordingStatus } from "../../../protocol/recording-status.ts";
import { encodeError } from "../../../protocol/stanza-error.ts";
import type { StampedBundle } from "../../../protocol/types.ts";
import { archivesDir } from "../../archive/session-archive.ts";
import type { ComponentLink } from "../link.ts";
import type { Domains, Lifecycle } from "../lifecycle.ts";
import type { Meeting, Meetings } from "../meetings.ts";
import { bareJid } from "../muc.ts";
import { failureReason } from "./recording.ts";

export const RECORDING_STATUS_MS = 5_000;
/** The rate is the archive's growth over this window. */
const RATE_WINDOW_MS = 60_000;
/** The files whose sizes make the archive's size (docs/archive.md). */
const ARCHIVE_FILES = ["events.jsonl", "audio.opus", "chat.jsonl"];

interface Sample {
  at: number;
  bytes: number;
}

interface Health {
  samples: Sample[];
  bytes: number;
  free: number;
  /** Set from a failed write (or a failed probe of the folder) until a write succeeds again. */
  failure: string | null;
  /** The failure came from the probe (the folder cannot be read or written): a good probe clears it. */
  probed: boolean;
  /** What the room was last told, so a change is sent at once. */
  told: string | null;
}

/** Free bytes for an unprivileged writer on the disk holding `dir`. */
async function freeBytes(dir: string): Promise<number> {
  const s = await statfs(dir);
  return Number(s.bavail) * Number(s.bsize);
}

async function archiveBytes(dir: string): Promise<number> {
  let n = 0;
  for (const f of ARCHIVE_FILES) n += await stat(path.join(dir, f)).then((s) => s.size, () => 0);
  return n;
}

export function isLiveOnly(m: Meeting): boolean {
  return m.archive.manifest.record === false;
}

export function setupRecordingStatus({ link, meetings, lifecycle, domains, dataDir, log, everyMs = RECORDING_STATUS_MS, now = Date.now }: { link: ComponentLink; meetings: Meetings; lifecycle: Lifecycle; domains: Domains; dataDir: string; log: Logger; everyMs?: number; now?: () => number }) {
  const health = new Map<Meeting, Health>();
  const of = (m: Meeting): Health => {
    let h = health.get(m);
    if (!h) health.set(m, (h = { samples: [], bytes: 0, free: -1, failure: null, probed: false, told: null }));
    return h;
  };

  function statusOf(m: Meeting, h: Health): RecordingStatus {
    const first = h.samples[0];
    const last = h.samples.at(-1);
    const span = first && last ? last.at - first.at : 0;
    const rate = span > 0 ? ((last!.bytes - first!.bytes) * 1000) / span : 0;
    const base = { bytes: h.bytes, duration: lifecycle.clock(m), free: h.free, rate };
    if (h.failure) return { state: "failed", ...base, reason: h.failure };
    return { state: isLiveOnly(m) ? "live-only" : "recording", ...base };
  }

  function send(m: Meeting, h: Health): void {
    if (meetings.get(m.code) !== m || m.state.ended) return;
    const s = statusOf(m, h);
    h.told = s.state + (s.reason ?? "");
    const msg = xml("message", { type: "groupchat", from: m.occupantJid, to: m.room }, xml("no-store", { xmlns: NS.hints }), encodeRecordingStatus(s));
    link.send(msg).catch((err: Error) => log.debug({ room: m.code, err: err.message }, "recording status not sent (offline)"));
  }

  /** Reads the folder's size and the disk's room; a folder that cannot be read or written is a failure. */
  async function probe(m: Meeting, h: Health): Promise<void> {
    const dir = m.archive.dir;
    try {
      h.free = await freeBytes(dir);
      await access(dir, constants.W_OK);
      h.bytes = await archiveBytes(dir);
    } catch (err) {
      if (h.failure === null) h.probed = true;
      h.failure ??= failureReason(err as Error);
      return;
    }
    if (h.probed) {
      h.failure = null;
      h.probed = false;
    }
    const at = now();
    h.samples.push({ at, bytes: h.bytes });
    while (h.samples.length > 2 && h.samples[0]!.at < at - RATE_WINDOW_MS) h.samples.shift();
  }

  const onFailed = (m: Meeting, _b: unknown, err: Error) => {
    const h = of(m);
    const reason = failureReason(err);
    if (h.failure === reason && h.told === "failed" + reason) return;
    h.failure = reason;
    h.probed = false;
    log.warn({ room: m.code, reason }, "archive write failed: the room is told");
    send(m, h); // at once, from what is known: nothing here waits on the disk
  };
  const onCommitted = (m: Meeting, b: StampedBundle) => {
    const h = of(m);
    // The component's own bundles are small (a report fits where a presenter's audio does
    // not): only a presenter's bundle archived says the disk takes the meeting's writes again.
    if (h.failure === null || h.probed || b.id.startsWith("srv-")) return;
    h.failure = null;
    h.probed = false;
    send(m, h);
  };
  const onEnded = (m: Meeting) => health.delete(m);
  meetings.on("commit-failed", onFailed);
  meetings.on("committed", onCommitted);
  meetings.on("ended", onEnded);

  let ticking = false;
  const timer = setInterval(() => {
    if (ticking) return;
    ticking = true;
    Promise.all(
      meetings.all().map(async (m) => {
        const h = of(m);
        const wasFailed = h.failure;
        await probe(m, h);
        if (h.failure !== wasFailed && h.failure) log.warn({ room: m.code, reason: h.failure }, "the archive's folder cannot be written");
        send(m, h);
      }),
    )
      .catch((err: Error) => log.error({ err: err.message }, "recording status round failed"))
      .finally(() => (ticking = false));
  }, everyMs);
  timer.unref();

  link.onIq("get", NS.deckcast, "recording-status", async (req) => {
    if (req.local === "") {
      const bare = bareJid(req.from);
      if (bare.slice(bare.indexOf("@") + 1) !== domains.accounts) return encodeError("guest-not-allowed");
      const dir = archivesDir(dataDir);
      try {
        await mkdir(dir, { recursive: true });
        const free = await freeBytes(dir);
        await access(dir, constants.W_OK);
        return encodeRecordingStatus({ state: "available", bytes: 0, duration: 0, free, rate: 0 });
      } catch (err) {
        return encodeRecordingStatus({ state: "unavailable", bytes: 0, duration: 0, free: -1, rate: 0, reason: failureReason(err as Error) });
      }
    }
    const m = meetings.get(req.local);
    if (!m) return encodeError(meetings.ended(req.local) ? "session-ended" : "unknown-room");
    const h = of(m);
    if (h.samples.length === 0) await probe(m, h);
    return encodeRecordingStatus(statusOf(m, h));
  });

  return {
    stop() {
      clearInterval(timer);
      meetings.off("commit-failed", onFailed);
      meetings.off("committed", onCommitted);
      meetings.off("ended", onEnded);
    },
  };
}
