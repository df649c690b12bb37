/**
 * The decks feature: upload slots over XMPP (XEP-0363), the upload and deck HTTP routes,
 * and the deck pipeline (sniff → LibreOffice → pdf.js → content-addressed store).
 * The entry point mounts the routers: `http.mount("/upload", uploadRouter)` and
 * `http.mount("/decks", deckRouter)`.
 */
import { rm } from "node:fs/promises";
import { join } from "node:path";
import type { Router } from "express";
import type { Logger } from "pino";
import type { ComponentLink } from "../component/link.ts";
import { createDeckRouter } from "../http/deck-routes.ts";
import { createUploadRouter } from "../http/upload-routes.ts";
import { DECK_DEFAULTS } from "../config.ts";
import { DeckService } from "./service.ts";
import { DeckManifests } from "./manifest.ts";
import { createSlotIqHandler } from "./upload/slot-iq.ts";
import { NS } from "../../protocol/namespaces.ts";
import { SlotIssuer, type UploadLimits } from "./upload/slots.ts";
import { deckStatusMessage, UploadTracker } from "./upload/status.ts";

export interface DecksOptions {
  dataDir: string;
  /** Base URL clients reach the HTTP server at, e.g. http://127.0.0.1:8080. */
  publicUrl: string;
  /** Only JIDs of this domain may upload (e.g. "localhost"); guests may not. */
  accountDomain: string;
  /** Largest upload. Default: DECK_DEFAULTS (server/config.ts), as for the rest. */
  maxUploadBytes?: number;
  /** Most pages a deck may have. Default 500. */
  maxPages?: number;
  /** LibreOffice time limit per conversion; a hung worker is killed and replaced. Default 120 s. */
  convertTimeoutMs?: number;
  /** Parallel LibreOffice workers. Default 2. */
  workers?: number;
  /** How long an upload slot may be used. Default 5 minutes. */
  slotTtlMs?: number;
  /** Per-account pending upload limits and the upload idle timeout (defaults: UPLOAD_LIMIT_DEFAULTS). */
  uploadLimits?: Partial<UploadLimits>;
  /** HMAC key for slot tokens. */
  secret: string;
  log: Logger;
}

export interface Decks {
  service: DeckService;
  /** Deck manifests (every page's hash at a width): the deck routes and the phone bridge's prefetch lists. */
  manifests: DeckManifests;
  /** Issues upload slots directly (the XMPP IQ handler uses this too). */
  slots: SlotIssuer;
  uploadRouter: Router;
  deckRouter: Router;
  stop(): Promise<void>;
}

export function setupDecks(link: Pick<ComponentLink, "domain" | "send" | "onIq">, opts: DecksOptions): Decks {
  const log = opts.log.child({ feature: "decks" });
  const maxUploadBytes = opts.maxUploadBytes ?? DECK_DEFAULTS.maxUploadBytes;
  const service = new DeckService({
    dataDir: opts.dataDir,
    maxUploadBytes,
    maxPages: opts.maxPages ?? DECK_DEFAULTS.maxPages,
    convertTimeoutMs: opts.convertTimeoutMs ?? DECK_DEFAULTS.convertTimeoutMs,
    workers: opts.workers ?? DECK_DEFAULTS.workers,
    log,
  });
  const slots = new SlotIssuer({ secret: opts.secret, publicUrl: opts.publicUrl, ttlMs: opts.slotTtlMs ?? DECK_DEFAULTS.slotTtlMs, ...(opts.uploadLimits ? { limits: opts.uploadLimits } : {}) });
  const tracker = new UploadTracker((jid, status) => {
    link.send(deckStatusMessage(link.domain, jid, status)).catch((err: Error) => {
      log.warn({ jid, slot: status.slot, state: status.state, err: err.message }, "could not send deck-status");
    });
  });

  link.onIq("get", NS.upload, "request", createSlotIqHandler({
    issueSlot: (req) => slots.issueSlot(req),
    accountDomain: opts.accountDomain,
    maxUploadBytes,
  }));

  // Partial uploads of a previous run (a crash mid-PUT) are never kept.
  const uploadDir = join(opts.dataDir, "uploads");
  const cleaned = rm(uploadDir, { recursive: true, force: true });
  const uploadRouter = createUploadRouter({ slots, service, tracker, uploadDir, ready: cleaned, log });
  const manifests = new DeckManifests(service);
  const deckRouter = createDeckRouter({ service, tracker, manifests, log });

  return {
    service,
    manifests,
    slots,
    uploadRouter,
    deckRouter,
    stop: () => service.stop(),
  };
}
