/**
 * ZIP container inspection, before anything is handed to LibreOffice: lists the entries
 * (central directory only), refuses zip bombs, and reads the few small parts that tell
 * what the archive is (mimetype, [Content_Types].xml, the presentation part, the ODF
 * manifest) and what it is called (docProps/core.xml, meta.xml).
 *
 * Zip-bomb guard, in two steps: (1) the declared sizes — entry count, total uncompressed
 * size and per-entry compression ratio — must be plausible for a document; (2) every
 * deflated entry is actually inflated (into nothing) and must produce exactly its declared
 * size, so an archive that lies in its headers is caught too. Stored entries cannot expand
 * and are not read.
 */
import yauzl, { type Entry, type ZipFile } from "yauzl";
import { fail, ok, type DeckResult } from "../errors.ts";

export interface ZipLimits {
  /** Most entries an archive may have. Default 10,000. */
  maxEntries: number;
  /** Most bytes all entries may expand to together. Default 1 GiB. */
  maxTotalUncompressed: number;
  /** Highest compression ratio of an entry bigger than `ratioFloorBytes`. Default 200. */
  maxRatio: number;
  /** Entries smaller than this may have any ratio (tiny XML parts compress extremely). Default 1 MiB. */
  ratioFloorBytes: number;
}

export const DEFAULT_ZIP_LIMITS: ZipLimits = {
  maxEntries: 10_000,
  maxTotalUncompressed: 1024 ** 3,
  maxRatio: 200,
  ratioFloorBytes: 1024 ** 2,
};

/** Parts whose content the classifier needs, with the most bytes read of each. */
const WANTED: Record<string, number> = {
  "mimetype": 256,
  "[Content_Types].xml": 1024 ** 2,
  "META-INF/manifest.xml": 4 * 1024 ** 2,
  // The document's own title (docProps/core.xml for OOXML, meta.xml for ODF).
  "docProps/core.xml": 256 * 1024,
  "meta.xml": 256 * 1024,
};
const MAX_PART_BYTES = 16 * 1024 ** 2;

export interface ZipListing {
  names: Set<string>;
  /** Content of the parts in WANTED, plus any `alsoRead` part, as UTF-8 text. */
  parts: Map<string, string>;
}

/**
 * Lists and verifies the archive. `alsoRead(names, parts)` may name one more part to read
 * once the small parts are known (the presentation part, whose name the content types give).
 */
export async function inspectZip(
  path: string,
  limits: ZipLimits = DEFAULT_ZIP_LIMITS,
  alsoRead?: (parts: Map<string, string>) => string | null,
): Promise<DeckResult<ZipListing>> {
  let zip: ZipFile;
  try {
    zip = await openZip(path);
  } catch (err) {
    return fail("corrupt-file", `The file looks like a ZIP archive but is damaged (${(err as Error).message}).`);
  }
  try {
    if (zip.entryCount > limits.maxEntries) {
      return fail("zip-bomb", `The archive has ${zip.entryCount} entries; at most ${limits.maxEntries} are allowed.`);
    }
    const entries = await readEntries(zip);
    if (!entries.ok) return entries;
    const names = new Set<string>();
    let total = 0;
    for (const e of entries.value) {
      names.add(e.fileName);
      total += e.uncompressedSize;
      if (e.isEncrypted()) return fail("password-protected", "The archive's contents are encrypted with a password.");
      const ratio = e.uncompressedSize / Math.max(1, e.compressedSize);
      if (e.uncompressedSize > limits.ratioFloorBytes && ratio > limits.maxRatio) {
        return fail("zip-bomb", `The part "${e.fileName}" expands ${Math.round(ratio)} times (at most ${limits.maxRatio} is allowed).`);
      }
    }
    if (total > limits.maxTotalUncompressed) {
      return fail("zip-bomb", `The archive expands to ${mib(total)} MiB; at most ${mib(limits.maxTotalUncompressed)} MiB is allowed.`);
    }
    const parts = new Map<string, string>();
    for (const e of entries.value) {
      const cap = WANTED[e.fileName];
      if (cap === undefined && e.compressionMethod === 0) continue;
      const read = await drain(zip, e, cap ?? 0);
      if (!read.ok) return read;
      if (cap !== undefined) parts.set(e.fileName, read.value);
    }
    const extra = alsoRead?.(parts);
    const extraEntry = extra ? entries.value.find((e) => e.fileName === extra) : undefined;
    if (extra && extraEntry) {
      const read = await drain(zip, extraEntry, MAX_PART_BYTES);
      if (!read.ok) return read;
      parts.set(extra, read.value);
    }
    return ok({ names, parts });
  } finally {
    zip.close();
  }
}

function openZip(path: string): Promise<ZipFile> {
  return new Promise((resolve, reject) => {
    yauzl.open(path, { lazyEntries: true, autoClose: false, validateEntrySizes: true, strictFileNames: false }, (err, zip) => {
      if (err || !zip) reject(err ?? new Error("no archive"));
      else resolve(zip);
    });
  });
}

function readEntries(zip: ZipFile): Promise<DeckResult<Entry[]>> {
  return new Promise((resolve) => {
    const entries: Entry[] = [];
    zip.on("entry", (e: Entry) => {
      entries.push(e);
      zip.readEntry();
    });
    zip.once("end", () => resolve(ok(entries)));
    zip.once("error", (err: Error) => resolve(fail("corrupt-file", `The archive's directory is damaged (${err.message}).`)));
    zip.readEntry();
  });
}

/** Inflates an entry, keeping at most `keep` bytes; a size other than declared is refused. */
function drain(zip: ZipFile, entry: Entry, keep: number): Promise<DeckResult<string>> {
  return new Promise((resolve) => {
    zip.openReadStream(entry, (err, stream) => {
      if (err || !stream) {
        resolve(fail("corrupt-file", `The part "${entry.fileName}" cannot be read (${err?.message ?? "no stream"}).`));
        return;
      }
      const chunks: Buffer[] = [];
      let kept = 0;
      stream.on("data", (chunk: Buffer) => {
        if (kept < keep) {
          chunks.push(chunk.subarray(0, keep - kept));
          kept += Math.min(chunk.length, keep - kept);
        }
      });
      stream.once("end", () => resolve(ok(Buffer.concat(chunks).toString("utf8"))));
      stream.once("error", (e: Error) => {
        stream.destroy();
        const lied = /too many bytes/.test(e.message);
        resolve(lied
          ? fail("zip-bomb", `The part "${entry.fileName}" does not expand to the size its header declares.`)
          : fail("corrupt-file", `The part "${entry.fileName}" is damaged (${e.message}).`));
      });
    });
  });
}

function mib(n: number): number {
  return Math.round(n / 1024 ** 2);
}
