/**
 * Video exports for session owners (docs/archive.md §Video export): the IQs to the component
 * domain — `<export-start session format width/>` (queue a job: at most one per core run at
 * once), `<export-status session/>` (its state and progress; a finished export found on
 * disk after a restart counts as done), `<export-cancel session/>` — each answered with
 * `<export/>` (protocol/export.ts). The video is written into the session's folder as
 * `export.<format>` (temp name, renamed when whole), so deleting the session deletes it;
 * it is downloaded over the replay API (`/api/replay/<token>/export.<format>`).
 *
 * As for every archive IQ, a session the asker does not own is `unknown-archive`, exactly
 * like one that does not exist; a session still live cannot be exported yet.
 */
import { readdir, rm, stat } from "node:fs/promises";
import path from "node:path";
import type { Logger } from "pino";
import { isSessionId } from "../../../protocol/archive.ts";
import { decodeExportStart, encodeExportJob, EXPORT_FORMATS, exportFileName, ExportError, type ExportJob } from "../../../protocol/export.ts";
import { NS } from "../../../protocol/namespaces.ts";
import { encodeError } from "../../../protocol/stanza-error.ts";
import type { Manifest } from "../../archive/manifest.ts";
import { archivesDir } from "../../archive/session-archive.ts";
import { createExportQueue, OwnerBusy, type ExportQueue } from "../../export/export-queue.ts";
import { exportSession, isExportLeftover } from "../../export/export-session.ts";
import type { ExportDecks } from "../../export/frames.ts";
import type { ComponentLink } from "../link.ts";
import type { Domains } from "../lifecycle.ts";
import { bareJid } from "../muc.ts";
import type { Archives } from "./archives.ts";

export interface Exports {
  queue: ExportQueue;
  stop(): Promise<void>;
}

export function setupExports({ link, archives, decks, domains, dataDir, log, concurrency }: { link: ComponentLink; archives: Archives; decks: ExportDecks; domains: Pick<Domains, "accounts">; dataDir: string; log: Logger; concurrency?: number }): Exports {
  const { sources } = archives;
  const queue = createExportQueue({
    ...(concurrency !== undefined ? { concurrency } : {}),
    run: async (job, signal, onProgress) => {
      const source = await sources.open(job.session);
      if (!source) throw new ExportError("bad-archive");
      // Temp files of an export cut short by a restart (this process runs one job per session at a time).
      for (const name of await readdir(source.dir).catch(() => [] as string[])) {
        if (EXPORT_FORMATS.some((f) => isExportLeftover(name, exportFileName(f)))) await rm(path.join(source.dir, name), { force: true });
      }
      const r = await exportSession({ source, decks, out: path.join(source.dir, exportFileName(job.format)), format: job.format, width: job.width, signal, onProgress, log, threads: 1, oneProcess: true });
      return { bytes: r.bytes };
    },
    onEnd: (job, err) => {
      if (job.state === "done") log.info({ session: job.session, format: job.format, bytes: job.bytes }, "export done");
      else log.warn({ session: job.session, state: job.state, code: job.error, err: err instanceof Error ? err.message : undefined }, "export did not finish");
    },
  });
  // A session deleted while it exports: the job is canceled (ffmpeg stopped, temp files gone) before its folder goes.
  archives.beforeRemove((session) => queue.cancel(session));

  const isAccount = (jid: string) => jid.slice(jid.indexOf("@") + 1) === domains.accounts;

  async function owned(asker: string, session: unknown): Promise<Manifest | null> {
    if (!isAccount(asker) || !isSessionId(session)) return null;
    const m = await sources.manifest(session);
    return m && m.owner === asker && m.record !== false ? m : null;
  }

  /** The job in memory, else a finished export on disk, else none. */
  async function status(m: Manifest): Promise<ExportJob | null> {
    const job = queue.get(m.session);
    if (job && job.state !== "canceled" && job.state !== "failed") return job;
    const dir = path.join(archivesDir(dataDir), m.session);
    for (const format of EXPORT_FORMATS) {
      const s = await stat(path.join(dir, exportFileName(format))).catch(() => null);
      if (s?.isFile()) return { session: m.session, format, width: 0, state: "done", progress: 1, bytes: s.size };
    }
    return job;
  }

  link.onIq("set", NS.deckcast, "export-start", async (req) => {
    const r = decodeExportStart(req.element);
    if (!r.ok) return encodeError("bad-request", `export-start: bad ${r.error}`);
    const m = await owned(bareJid(req.from), r.value.session);
    if (!m) return encodeError("unknown-archive");
    if (m.endedAt === null || archives.liveMeeting(m.session)) return encodeError("bad-request", "The meeting is still live: end it before exporting.");
    try {
      const job = queue.start(m.session, r.value.format, r.value.width, m.owner);
      log.info({ session: m.session, format: job.format, width: job.width }, "export queued");
      return encodeExportJob(job, m.session);
    } catch (err) {
      if (err instanceof OwnerBusy) return encodeError("quota-exceeded", `You have ${err.limit} exports under way; wait for one to finish, or cancel one.`);
      if (err instanceof ExportError && err.code === "busy") return encodeError("quota-exceeded", "Too many exports are waiting; try again later.");
      throw err;
    }
  });

  link.onIq("get", NS.deckcast, "export-status", async (req) => {
    const m = await owned(bareJid(req.from), req.element.attrs.session);
    if (!m) return encodeError("unknown-archive");
    return encodeExportJob(await status(m), m.session);
  });

  link.onIq("set", NS.deckcast, "export-cancel", async (req) => {
    const m = await owned(bareJid(req.from), req.element.attrs.session);
    if (!m) return encodeError("unknown-archive");
    if (await queue.cancel(m.session)) log.info({ session: m.session }, "export canceled");
    return encodeExportJob(queue.get(m.session), m.session);
  });

  return { queue, stop: () => queue.stop() };
}
