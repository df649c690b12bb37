/**
 * The owner's video export over XMPP (docs/archive.md §Video export): start a job, read its
 * state, cancel it; and the finished video's download URL under an owner link. Shapes and
 * readers are protocol/export.ts; a refused request rejects with its error (errors.ts words it).
 */
import xml, { type Element } from "@xmpp/xml";
import { decodeExportJob, exportCancelRequest, exportFileName, exportStartRequest, exportStatusRequest, type ExportFormat, type ExportJob } from "../../../protocol/export.ts";
import type { XmppLike } from "../../../client-core/xmpp-like.ts";

export type { ExportFormat, ExportJob };

const TIMEOUT_MS = 15_000;

async function ask(xmpp: XmppLike, component: string, type: "get" | "set", payload: Element): Promise<ExportJob | null> {
  const res = await xmpp.iqCaller.request(xml("iq", { type, to: component }, payload), TIMEOUT_MS);
  const r = decodeExportJob(res);
  if (!r.ok) throw new Error(`The server sent an answer deckcast cannot read (${r.error}).`);
  return r.value;
}

export const startExport = (xmpp: XmppLike, component: string, session: string, format: ExportFormat = "mp4", width = 1920) => ask(xmpp, component, "set", exportStartRequest(session, format, width));
export const exportStatus = (xmpp: XmppLike, component: string, session: string) => ask(xmpp, component, "get", exportStatusRequest(session));
export const cancelExport = (xmpp: XmppLike, component: string, session: string) => ask(xmpp, component, "set", exportCancelRequest(session));

/** The finished export under a replay token. */
export function exportUrl(token: string, format: ExportFormat): string {
  return `/api/replay/${token}/${exportFileName(format)}`;
}
