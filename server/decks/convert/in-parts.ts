/**
 * One PowerPoint deck converted by every idle LibreOffice worker at once: the deck is split
 * into parts of consecutive slides (pptx-parts.ts) and each part converts on its own
 * worker. Each part's PDF is handed to `read` (pdf.js) as soon as it is written, while the
 * other parts still convert; `unitePdfs` (poppler's pdfunite) joins the parts' PDFs in
 * slide order.
 *
 * On the 30-slide benchmark deck two workers take ~450 ms where one takes ~750 ms
 * (`npm run bench -- convert`). Answers null when the deck should be converted whole
 * instead: fewer than two idle workers, a deck that must not be split, or a part that
 * failed for a reason the whole file might not have (the caller then converts it whole).
 */
import { execFile } from "node:child_process";
import { mkdir, readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";
import type { Logger } from "pino";
import type { OfficeJob, OfficeOutcome } from "./office-worker.ts";
import type { ConverterPool } from "./pool.ts";
import { splitPptx } from "./pptx-parts.ts";

const run = promisify(execFile);
/** Joining PDFs takes tens of milliseconds; this only bounds a pathological case. */
const UNITE_TIMEOUT_MS = 30_000;

export interface InPartsInput<R> {
  /** The whole deck's job; each part gets its own output in `workDir`. */
  job: Omit<OfficeJob, "out">;
  /** Called with each part's PDF as soon as it is written (never rejects). */
  read: (pdf: string) => Promise<R>;
  /** Folder for the parts and their PDFs; removed again before this returns. */
  workDir: string;
  /** Decks with fewer visible slides convert whole (each part costs LibreOffice a fixed ~80 ms). */
  minSlides: number;
  timeoutMs?: number;
  log: Logger;
}

/** One part's PDF, the number of pages it must have, and what `read` made of it. */
export interface PartPdf<R> { pdf: string; pages: number; read: Promise<R> }

/** The parts' PDFs in slide order, inside `dir`, which the caller removes when done with them. */
export type InPartsOutcome<R> = Exclude<OfficeOutcome, { ok: true }> | { ok: true; parts: PartPdf<R>[]; dir: string };

export async function convertInParts<R>(pool: ConverterPool, input: InPartsInput<R>): Promise<InPartsOutcome<R> | null> {
  const { job, log } = input;
  const workers = pool.reserveIdle();
  if (workers.count < 2) {
    workers.release();
    return null;
  }
  const t0 = performance.now();
  const dir = join(input.workDir, "parts");
  let done = false;
  const reads: Promise<R>[] = [];
  try {
    const split = await splitPptx(await readFile(job.src), workers.count, input.minSlides);
    if (!split.ok) {
      log.debug({ reason: split.reason }, "deck converts whole");
      return null;
    }
    await mkdir(dir, { recursive: true });
    const jobs = await Promise.all(split.parts.map(async (bytes, k) => {
      const src = join(dir, `part-${k}.pptx`);
      await writeFile(src, bytes);
      return { ...job, src, out: join(dir, `part-${k}.pdf`) };
    }));
    const splitMs = performance.now() - t0;
    const converting = jobs.map(async (j, k) => {
      const o = await pool.convert(j, { timeoutMs: input.timeoutMs });
      if (o.ok) reads[k] = input.read(j.out);
      return o;
    });
    workers.release(); // the parts are submitted: the workers are busy now, not reserved
    const outcomes = await Promise.all(converting);
    const failed = outcomes.find((o) => !o.ok);
    if (failed && !failed.ok) {
      if (failed.code === "conversion-timeout") return failed; // the whole file would hang too
      log.warn({ reason: failed.message }, "a part of the deck failed to convert; converting it whole");
      return null;
    }
    log.debug({ parts: split.pages, splitMs: Math.round(splitMs), officeMs: Math.round(performance.now() - t0 - splitMs), partMs: outcomes.map((o) => (o.ok ? o.ms : null)) }, "deck converted in parts");
    done = true;
    return { ok: true, parts: jobs.map((j, k) => ({ pdf: j.out, pages: split.pages[k]!, read: reads[k]! })), dir };
  } catch (err) {
    log.warn({ err: (err as Error).message }, "converting in parts failed; converting the deck whole");
    return null;
  } finally {
    workers.release();
    if (!done) {
      await Promise.allSettled(reads); // nothing may still read a part being removed
      await rm(dir, { recursive: true, force: true });
    }
  }
}

/** Joins PDFs into `out` in the order given. */
export async function unitePdfs(pdfs: string[], out: string): Promise<void> {
  await run("pdfunite", [...pdfs, out], { timeout: UNITE_TIMEOUT_MS, killSignal: "SIGKILL" });
}
