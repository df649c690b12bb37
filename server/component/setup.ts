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
import { setupExpiry } from "./features/expiry.ts";
import { setupNickGuard } from "./features/nicks.ts";
import { setupChatLog } from "./features/chat-log.ts";

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
  /** Per-account and per-meeting limits; see MEETING_LIMITS for the defaults. */
  limits?: Partial<MeetingLimits>;
}



export interface DeckcastComponent {
  link: ComponentLink;
  meetings: Meetings;
  lifecycle: Lifecycle;
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
  const recording = setupRecording({ meetings, lifecycle, log, ...(opts.recordingReportMs !== undefined ? { everyMs: opts.recordingReportMs } : {}) });

  return {
    link,
    meetings,
    lifecycle,
    async start() {
      await lifecycle.restore();
      await link.start();
    },
    async stop() {
      recording.stop();
      expiry.stop();
      nicks.stop();
      chatLog.stop();
      await link.stop();
      await lifecycle.stop();
    },
  };
}
