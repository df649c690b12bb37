/**
 * Video export on the wire (docs/archive.md §Video export): the owner's IQs to the
 * component — `<export-start session format width/>` (queues a job), `<export-status
 * session/>` (its state), `<export-cancel session/>` — the answer `<export/>`, and the
 * export's stable error codes (ExportError; recognised by code, never by message). Pure:
 * readers return Results and never throw on input.
 */
import xml, { type Element } from "@xmpp/xml";
import { NS } from "./namespaces.ts";
import type { Result } from "./types.ts";

export type ExportFormat = "mp4" | "webm";
export const EXPORT_FORMATS: readonly ExportFormat[] = ["mp4", "webm"];
/** Frame widths an export may ask for (even, within the page images' widths). */
export const EXPORT_WIDTH = { min: 320, max: 2560, default: 1920 } as const;

export type ExportState = "queued" | "running" | "done" | "failed" | "canceled";

/** Why an export failed; stable codes. */
export const EXPORT_ERRORS = {
  "no-session": "There is no such session.",
  "bad-archive": "The session's archive cannot be read.",
  "missing-deck": "A deck the session showed is no longer on the server.",
  "disk-full": "The disk is full: the video could not be written.",
  "encoder-failed": "The video encoder failed.",
  canceled: "The export was canceled.",
  busy: "Too many exports are waiting; try again later.",
  "bad-request": "The export request is not valid.",
} as const;
export type ExportErrorCode = keyof typeof EXPORT_ERRORS;

/** An export failure: `code` is what callers check. */
export class ExportError extends Error {
  override name = "ExportError";
  constructor(readonly code: ExportErrorCode, message: string = EXPORT_ERRORS[code]) {
    super(message);
  }
}

export function isExportFormat(s: unknown): s is ExportFormat {
  return s === "mp4" || s === "webm";
}

export function validExportWidth(w: number): boolean {
  return Number.isInteger(w) && w >= EXPORT_WIDTH.min && w <= EXPORT_WIDTH.max && w % 2 === 0;
}

export interface ExportJob {
  session: string;
  format: ExportFormat;
  width: number;
  state: ExportState;
  /** 0..1 of the session rendered. */
  progress: number;
  /** Bytes of the finished file (state done). */
  bytes?: number;
  /** Failure code (state failed). */
  error?: ExportErrorCode;
}

// ---- requests ----

export const exportStartRequest = (session: string, format: ExportFormat = "mp4", width: number = EXPORT_WIDTH.default): Element =>
  xml("export-start", { xmlns: NS.deckcast, session, format, width: String(width) });
export const exportStatusRequest = (session: string): Element => xml("export-status", { xmlns: NS.deckcast, session });
export const exportCancelRequest = (session: string): Element => xml("export-cancel", { xmlns: NS.deckcast, session });

export function decodeExportStart(el: Element): Result<{ session: string; format: ExportFormat; width: number }, string> {
  const { session, format = "mp4", width = String(EXPORT_WIDTH.default) } = el.attrs as Record<string, string | undefined>;
  const w = Number(width);
  if (typeof session !== "string" || session.length === 0 || session.length > 64) return { ok: false, error: "session" };
  if (!isExportFormat(format)) return { ok: false, error: "format" };
  if (!/^\d{3,4}$/.test(width) || !validExportWidth(w)) return { ok: false, error: "width" };
  return { ok: true, value: { session, format, width: w } };
}

// ---- answer ----

export function encodeExportJob(j: ExportJob | null, session: string): Element {
  if (!j) return xml("export", { xmlns: NS.deckcast, session, state: "none" });
  const attrs: Record<string, string> = { xmlns: NS.deckcast, session: j.session, format: j.format, width: String(j.width), state: j.state, progress: j.progress.toFixed(3) };
  if (j.bytes !== undefined) attrs.bytes = String(j.bytes);
  if (j.error !== undefined) attrs.error = j.error;
  return xml("export", attrs);
}

const STATES: readonly string[] = ["queued", "running", "done", "failed", "canceled"];

/** The `<export/>` answer; `null` when the session has no export. */
export function decodeExportJob(el: Element | undefined): Result<ExportJob | null, string> {
  const e = el?.name === "export" ? el : el?.getChild("export", NS.deckcast);
  if (!e) return { ok: false, error: "no <export/>" };
  const a = e.attrs as Record<string, string | undefined>;
  if (typeof a.session !== "string") return { ok: false, error: "session" };
  if (a.state === "none") return { ok: true, value: null };
  if (!STATES.includes(a.state ?? "") || !isExportFormat(a.format)) return { ok: false, error: "state" };
  const progress = Number(a.progress);
  const width = Number(a.width);
  const job: ExportJob = { session: a.session, format: a.format, width, state: a.state as ExportState, progress: Number.isFinite(progress) ? Math.min(1, Math.max(0, progress)) : 0 };
  if (a.bytes !== undefined && /^\d+$/.test(a.bytes)) job.bytes = Number(a.bytes);
  if (a.error !== undefined && Object.hasOwn(EXPORT_ERRORS, a.error)) job.error = a.error as ExportErrorCode;
  return { ok: true, value: job };
}

/** The export's file name inside the session folder. */
export function exportFileName(format: ExportFormat): string {
  return `export.${format}`;
}
