/**
 * `npx deckcast convert <file> [-o out.pdf] [--json]`: runs the server's deck pipeline (type
 * check, LibreOffice conversion, pdf.js validation) on one file and prints
 *
 *   ok: 30 pages, "Quarterly review"
 *   error unknown-type: This file type is not supported. …
 *
 * Exit status 0 on success, 1 when the file is refused, 2 on a usage error. The store is a
 * temporary folder (removed afterwards) unless DECKCAST_DATA_DIR names one to keep.
 */
import { copyFile, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { basename, join, resolve } from "node:path";
import { parseArgs } from "node:util";
import pino from "pino";
import { DeckService } from "../decks/service.ts";

const USAGE = "usage: deckcast convert <file> [-o out.pdf] [--json]\n";

export default async function main(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: { out: { type: "string", short: "o" }, json: { type: "boolean" }, help: { type: "boolean", short: "h" } },
    });
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n${USAGE}`);
    return 2;
  }
  const { values, positionals } = parsed;
  if (values.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  if (positionals.length !== 1) {
    process.stderr.write(USAGE);
    return 2;
  }
  const file = resolve(positionals[0]!);
  // Logs go to stderr, quiet unless asked: stdout carries the result.
  const log = pino({ level: process.env.DECKCAST_LOG_LEVEL ?? "warn" }, pino.destination(2));
  const keep = process.env.DECKCAST_DATA_DIR;
  const dataDir = keep ? resolve(keep) : await mkdtemp(join(tmpdir(), "deckcast-convert-"));
  const service = new DeckService({ dataDir, workers: 1, lazyOffice: true, log });
  try {
    const result = await service.ingest(file, { name: basename(file) }).catch((err: Error) => {
      log.error({ err: err.message }, "convert failed");
      return { ok: false as const, error: { code: "internal" as const, message: err.message } };
    });
    if (!result.ok) {
      const { code, message } = result.error;
      process.stdout.write(values.json ? `${JSON.stringify({ ok: false, code, message })}\n` : `error ${code}: ${message}\n`);
      return 1;
    }
    const deck = result.value;
    if (values.out) await copyFile(service.pdfPath(deck.id), resolve(values.out));
    process.stdout.write(values.json
      ? `${JSON.stringify({ ok: true, id: deck.id, type: deck.sourceType, pages: deck.pages, title: deck.title })}\n`
      : `ok: ${deck.pages} ${deck.pages === 1 ? "page" : "pages"}, ${JSON.stringify(deck.title)}\n`);
    return 0;
  } finally {
    await service.stop();
    if (!keep) await rm(dataDir, { recursive: true, force: true });
  }
}
