/**
 * A session as one zip (docs/archive.md §Download), streamed as it is made: yazl writes each
 * entry to the output as its turn comes, so the first bytes leave at once and nothing is
 * copied to a temporary file. Entries, in order:
 *
 *   manifest.json        the manifest, without the owner's and presenter's JIDs, plus "live"
 *   events.jsonl         the journal, without the server-only `rights`
 *   chat.jsonl           the room's chat
 *   audio.opus           the session's Ogg Opus stream (as far as the journal has it)
 *   index.jsonl          the seek index
 *   decks/<id>.pdf       each deck opened, and decks/<id>.json (its deck info, with page text)
 *   pages/<id>/<n>.jpg   page images, 1280 px wide; thumbs/<id>/<n>.jpg, 240 px
 *   replay.html, replay.js   the offline player (web-client/dist/replay-offline/), when built
 *   replay-data.js       `window.DECKCAST_REPLAY = {manifest, index, bundles, chat, decks};`
 *
 * A live session is taken as far as it is now (file sizes read first). A deck the store no
 * longer has, or a page that cannot be rendered, is left out (logged).
 */
import { createReadStream } from "node:fs";
import { readFile, stat } from "node:fs/promises";
import path from "node:path";
import type { Logger } from "pino";
import { ZipFile } from "yazl";
import type { DeckInfo } from "../../protocol/deck-info.ts";
import { THUMB_WIDTH } from "../../protocol/deck-urls.ts";
import type { StampedBundle } from "../../protocol/types.ts";
import { CHAT_FILE } from "./chat-log.ts";
import { AUDIO_FILE, type JournalLine } from "./journal.ts";
import type { Manifest } from "./manifest.ts";
import type { ReplaySource } from "./replay-source.ts";
import { INDEX_FILE } from "./seek-index.ts";

export const PAGE_WIDTH = 1280;

/** What the download needs of the deck store (server/decks/service.ts). */
export interface DeckFiles {
  get(id: string): (DeckInfo & { text?: string[] }) | null;
  pdfPath(id: string): string;
  pageImage(id: string, page: number, width: number): Promise<{ ok: true; value: string } | { ok: false; error: unknown }>;
}

/** The manifest as readers of a replay see it: no JIDs, and whether the meeting is still live. */
export function publicManifest(m: Readonly<Manifest>, live: boolean): Omit<Manifest, "owner" | "presenter"> & { live: boolean } {
  const { owner: _owner, presenter: _presenter, ...rest } = m;
  return { ...rest, live };
}

/** A journal line as served: everything but `rights`. */
export function publicLine(l: JournalLine): Omit<JournalLine, "rights"> {
  const { rights: _rights, ...rest } = l;
  return rest;
}

/** A bundle as served over HTTP and in replay-data.js: no audio bytes, no rights. */
export function publicBundle(l: JournalLine | StampedBundle): StampedBundle {
  return { id: l.id, t: l.t, seq: l.seq, ts: l.ts, from: l.from, events: l.events };
}

/** Chat lines that parse (a live log's torn last line is left out). */
export async function readChat(dir: string): Promise<unknown[]> {
  const text = await readFile(path.join(dir, CHAT_FILE), "utf8").catch(() => "");
  const out: unknown[] = [];
  for (const line of text.split("\n")) {
    if (!line) continue;
    try {
      out.push(JSON.parse(line));
    } catch {
      // a torn or damaged line: chat-log.ts skips it too
    }
  }
  return out;
}

export interface DownloadOptions {
  source: ReplaySource;
  decks: DeckFiles;
  /** The offline player's folder (web-client/dist/replay-offline). */
  playerDir: string;
  log: Logger;
}

/** Starts the zip; the caller pipes `zip.outputStream` to the client at once. Entries are added as they are ready. */
export function sessionZip({ source, decks, playerDir, log }: DownloadOptions): ZipFile {
  const zip = new ZipFile();
  const mtime = new Date(source.manifest.createdAt);
  const opts = { mtime };
  const add = (data: string | Buffer, name: string) => zip.addBuffer(typeof data === "string" ? Buffer.from(data, "utf8") : data, name, opts);
  /** The file's first `size` bytes (a live file grows while it is read). */
  const addSlice = (file: string, name: string, size: number) => (size > 0 ? zip.addReadStream(createReadStream(file, { start: 0, end: size - 1 }), name, { ...opts, size }) : add("", name));

  void (async () => {
    const manifest = publicManifest(source.manifest, source.live);
    add(JSON.stringify(manifest, null, 2) + "\n", "manifest.json");
    const lastSeq = source.journal.lastSeq;
    const lines = (await source.journal.readAll()).filter((l) => l.seq <= lastSeq);
    add(lines.map((l) => JSON.stringify(publicLine(l)) + "\n").join(""), "events.jsonl");
    const chat = await readChat(source.dir);
    add(chat.map((c) => JSON.stringify(c) + "\n").join(""), "chat.jsonl");
    const last = lines.at(-1);
    const audioBytes = Math.max(0, ...lines.filter((l) => l.audio).map((l) => l.audio!.offset + l.audio!.length));
    addSlice(path.join(source.dir, AUDIO_FILE), "audio.opus", audioBytes);
    await source.index.flushed();
    const indexFile = path.join(source.dir, INDEX_FILE);
    addSlice(indexFile, "index.jsonl", await stat(indexFile).then((s) => s.size, () => 0));

    const infos: Record<string, DeckInfo> = {};
    for (const id of new Set(source.manifest.decks.map((d) => d.id))) {
      const info = decks.get(id);
      if (!info) {
        log.warn({ session: source.session, deck: id }, "download: the deck store no longer has a deck of this session; left out");
        continue;
      }
      infos[id] = info;
      add(JSON.stringify(info) + "\n", `decks/${id}.json`);
      zip.addFile(decks.pdfPath(id), `decks/${id}.pdf`, opts);
      for (const [dir, width] of [["pages", PAGE_WIDTH], ["thumbs", THUMB_WIDTH]] as const) {
        for (let n = 1; n <= info.pages; n++) {
          const made = await decks.pageImage(id, n, width);
          if (made.ok) zip.addFile(made.value, `${dir}/${id}/${n}.jpg`, opts);
          else log.warn({ session: source.session, deck: id, page: n }, "download: a page image could not be made; left out");
        }
      }
    }

    let player = true;
    for (const name of ["replay.html", "replay.js"]) {
      const file = path.join(playerDir, name);
      if (await stat(file).then((s) => s.isFile(), () => false)) zip.addFile(file, name, opts);
      else player = false;
    }
    if (!player) log.warn({ playerDir }, "download: the offline player is not built (web-client/dist/replay-offline); replay.html is left out");

    const index = { ...source.index.summary(lastSeq), last: last?.seq ?? 0 };
    const data = { manifest, index, bundles: lines.map(publicBundle), chat, decks: infos };
    add(`window.DECKCAST_REPLAY = ${JSON.stringify(data)};\n`, "replay-data.js");
    zip.end();
  })().catch((err: Error) => {
    log.error({ session: source.session, err: err.message }, "download failed part-way");
    zip.outputStream.emit("error", err);
  });
  return zip;
}
