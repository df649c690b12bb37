/**
 * The deckcast component: its features, wired. Each feature hooks into the link (IQs it
 * answers) or the meetings registry (events it reacts to); this file is the list of them.
 */
import type { Logger } from "pino";
import { clip, setupLink, type ComponentLink } from "./link.ts";
import { MEETING_LIMITS, type MeetingLimits } from "./limits.ts";

export { MEETING_LIMITS, type MeetingLimits } from "./limits.ts";
import { createMeetings, type Meetings } from "./meetings.ts";
import { setupLifecycle, type Domains, type Lifecycle } from "./lifecycle.ts";
import { setupCreate } from "./features/create.ts";
import { setupRelay, type DeckLookup } from "./features/relay.ts";
import { setupCatchUp } from "./features/catch-up.ts";
import { setupControl } from "./features/control.ts";
import { setupDisco } from "./features/disco.ts";
import { setupRecording } from "./features/recording.ts";
import { setupRecordingStatus } from "./features/recording-status.ts";
import { setupExpiry } from "./features/expiry.ts";
import { setupNickGuard } from "./features/nicks.ts";
import { setupChatLog } from "./features/chat-log.ts";
import { setupArchives, type Archives } from "./features/archives.ts";
import { setupRetention } from "./features/retention.ts";

export interface ComponentOptions {
  /** e.g. "xmpp://127.0.0.1:5347" */
  service: string;
  secret: string;
  domains: Domains;
  dataDir: string;
  log: Logger;
  /** When given, deck-open events must name a deck this store has. */
  decks?: DeckLookup;
  /** Advertised in service discovery when deck upload is on. */
  maxUploadBytes?: number;
  /** How often the recording's size and duration are reported while audio flows (default 10 s). */
  recordingReportMs?: number;
  /** How often the room is sent the recording's health (default 5 s; features/recording-status.ts). */
  recordingStatusMs?: number;
  /** Per-account and per-meeting limits; see MEETING_LIMITS for the defaults. */
  limits?: Partial<MeetingLimits>;
  /** Ended sessions are removed this many days after they ended (features/retention.ts); default: kept. */
  retentionDays?: number | null;
}



export interface DeckcastComponent {
  link: ComponentLink;
  meetings: Meetings;
  lifecycle: Lifecycle;
  /** Past sessions: owners' IQs, replay tokens, archives opened for reading (features/archives.ts). */
  archives: Archives;
  stop(): Promise<void>;
}

/** A component built but not yet connected: other features may hook its link before `start()`. */
export interface UnstartedComponent extends DeckcastComponent {
  /** Restores open sessions from the archive, then connects. */
  start(): Promise<void>;
}

/** Builds the component, restores open sessions from the archive, then connects. */
export async function startComponent(opts: ComponentOptions): Promise<DeckcastComponent> {
  const component = createComponent(opts);
  await component.start();
  return component;
}

/** Builds the component and its features; nothing is read or connected until `start()`. */
export function createComponent(opts: ComponentOptions): UnstartedComponent {
  const log = opts.log.child({ part: "component" });
  const link = setupLink({ service: opts.service, domain: opts.domains.component, password: opts.secret, log });
  const meetings = createMeetings({ link, log });
  link.on("presence", (p) => meetings.onPresence(p));
  link.on("message", (msg) => {
    // Name the condition only: the error's content is the sender's, never logged whole.
    if (msg.attrs.type === "error") log.warn({ from: clip(msg.attrs.from), condition: clip(msg.getChild("error")?.getChildElements()[0]?.name ?? "none", 64) }, "message bounced");
  });
  const lifecycle = setupLifecycle({ link, meetings, domains: opts.domains, dataDir: opts.dataDir, log });

  const limits = { ...MEETING_LIMITS, ...opts.limits };
  setupCreate({ link, meetings, lifecycle, domains: opts.domains, maxPerAccount: limits.meetingsPerAccount, log });
  setupRelay({ link, meetings, clock: lifecycle.clock, log, ...(opts.decks ? { decks: opts.decks } : {}) });
  setupCatchUp({ link, meetings });
  setupControl({ link, meetings, lifecycle, log });
  setupDisco({ link, meetings, ...(opts.maxUploadBytes !== undefined ? { maxUploadBytes: opts.maxUploadBytes } : {}) });
  const nicks = setupNickGuard({ link, meetings, log });
  const chatLog = setupChatLog({ link, meetings, log });
  const expiry = setupExpiry({ meetings, lifecycle, idleMs: limits.meetingIdleMs, log });
  const archives = setupArchives({ link, meetings, lifecycle, domains: opts.domains, dataDir: opts.dataDir, log });
  const retention = setupRetention({ archives, days: opts.retentionDays ?? null, log });
  const recording = setupRecording({ meetings, lifecycle, log, ...(opts.recordingReportMs !== undefined ? { everyMs: opts.recordingReportMs } : {}) });
  const recordingStatus = setupRecordingStatus({ link, meetings, lifecycle, domains: opts.domains, dataDir: opts.dataDir, log, ...(opts.recordingStatusMs !== undefined ? { everyMs: opts.recordingStatusMs } : {}) });

  return {
    link,
    meetings,
    lifecycle,
    archives,
    async start() {
      await lifecycle.restore();
      await link.start();
      void retention.sweep();
    },
    async stop() {
      recording.stop();
      retention.stop();
      recordingStatus.stop();
      expiry.stop();
      nicks.stop();
      chatLog.stop();
      await link.stop();
      await lifecycle.stop();
      await archives.stop();
    },
  };
}
