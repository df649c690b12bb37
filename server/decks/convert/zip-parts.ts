/**
 * A ZIP archive held in memory, for rewriting a few parts of an Office file: read a part,
 * and write a copy in which some parts are replaced. Untouched entries are copied as they
 * are (still compressed, never inflated); replacements are stored uncompressed, which
 * LibreOffice reads fastest. `writeZip` also writes the tests' generated archives. Archives this cannot copy faithfully (ZIP64, encrypted
 * entries, more than 65,535 entries) open as null: callers keep the original file.
 */
import { crc32, inflateRawSync } from "node:zlib";
import yauzl from "yauzl";

const STORED = 0;
const DEFLATED = 8;
const UTF8_NAMES = 0x0800;
const MAX32 = 0xffffffff;

export class ZipParts {
  private constructor(private readonly parts: Map<string, ZipEntryRaw>) {}

  /** Opens an archive, or null when it cannot be rewritten faithfully (see the module comment). */
  static async open(buf: Buffer): Promise<ZipParts | null> {
    let entries: yauzl.Entry[];
    try {
      entries = await listEntries(buf);
    } catch {
      return null;
    }
    if (entries.length > 0xffff) return null;
    const parts = new Map<string, ZipEntryRaw>();
    for (const e of entries) {
      const rawName = e.fileName as unknown as Buffer; // decodeStrings: false
      const off = e.relativeOffsetOfLocalHeader;
      if (e.isEncrypted() || e.compressedSize >= MAX32 || e.uncompressedSize >= MAX32 || off >= MAX32) return null;
      if (off + 30 > buf.length || buf.readUInt32LE(off) !== 0x04034b50) return null;
      const start = off + 30 + buf.readUInt16LE(off + 26) + buf.readUInt16LE(off + 28);
      if (start + e.compressedSize > buf.length) return null;
      parts.set(rawName.toString("utf8"), {
        rawName,
        flags: e.generalPurposeBitFlag & UTF8_NAMES,
        method: e.compressionMethod,
        time: e.lastModFileTime,
        date: e.lastModFileDate,
        crc: e.crc32,
        size: e.uncompressedSize,
        raw: buf.subarray(start, start + e.compressedSize),
      });
    }
    return new ZipParts(parts);
  }

  /** A part's content as UTF-8 text; null when absent or compressed with an unknown method. */
  text(name: string): string | null {
    const p = this.parts.get(name);
    if (!p) return null;
    if (p.method === STORED) return p.raw.toString("utf8");
    if (p.method === DEFLATED) return inflateRawSync(p.raw, { maxOutputLength: Math.max(1, p.size) }).toString("utf8");
    return null;
  }

  /** The archive with the parts in `replace` swapped for new content (same names, same order). */
  with(replace: ReadonlyMap<string, string>): Buffer {
    return writeZip([...this.parts].map(([name, part]) => {
      const swapped = replace.get(name);
      return swapped === undefined ? part : { ...part, method: STORED, ...stored(Buffer.from(swapped, "utf8")) };
    }));
  }
}

/** One entry as it is written: `raw` is the data as stored (compressed for method 8). */
export interface ZipEntryRaw {
  rawName: Buffer;
  /** General purpose flags; only bit 11 (UTF-8 names) is meaningful here. */
  flags: number;
  method: number;
  time: number;
  date: number;
  crc: number;
  /** Uncompressed size as written in the headers. */
  size: number;
  raw: Buffer;
}

/** Writes a ZIP archive (no ZIP64, no data descriptors, no comment) from its entries in order. */
export function writeZip(entries: ZipEntryRaw[]): Buffer {
  const chunks: Buffer[] = [];
  const central: Buffer[] = [];
  let offset = 0;
  for (const p of entries) {
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4); // version needed: 2.0 (deflate)
    writeCommon(local, 6, p);
    local.writeUInt16LE(0, 28); // no extra field
    const cd = Buffer.alloc(46);
    cd.writeUInt32LE(0x02014b50, 0);
    cd.writeUInt16LE(20, 4); // made by: 2.0, MS-DOS attributes
    cd.writeUInt16LE(20, 6);
    writeCommon(cd, 8, p);
    // extra, comment, disk number, internal and external attributes: all zero
    cd.writeUInt32LE(offset, 42);
    chunks.push(local, p.rawName, p.raw);
    central.push(cd, p.rawName);
    offset += 30 + p.rawName.length + p.raw.length;
  }
  const cdSize = central.reduce((n, b) => n + b.length, 0);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(entries.length, 8);
  end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(cdSize, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...chunks, ...central, end]);
}

function stored(data: Buffer): Pick<ZipEntryRaw, "crc" | "size" | "raw"> {
  return { crc: crc32(data), size: data.length, raw: data };
}

/** Flags, method, time, date, crc, sizes and name length: the same run in both headers. */
function writeCommon(b: Buffer, at: number, p: ZipEntryRaw): void {
  b.writeUInt16LE(p.flags, at);
  b.writeUInt16LE(p.method, at + 2);
  b.writeUInt16LE(p.time, at + 4);
  b.writeUInt16LE(p.date, at + 6);
  b.writeUInt32LE(p.crc >>> 0, at + 8);
  b.writeUInt32LE(p.raw.length, at + 12);
  b.writeUInt32LE(p.size, at + 16);
  b.writeUInt16LE(p.rawName.length, at + 20);
}

function listEntries(buf: Buffer): Promise<yauzl.Entry[]> {
  return new Promise((resolve, reject) => {
    yauzl.fromBuffer(buf, { lazyEntries: true, decodeStrings: false, validateEntrySizes: false }, (err, zip) => {
      if (err || !zip) return reject(err ?? new Error("no archive"));
      const out: yauzl.Entry[] = [];
      zip.on("entry", (e: yauzl.Entry) => {
        out.push(e);
        zip.readEntry();
      });
      zip.once("end", () => resolve(out));
      zip.once("error", reject);
      zip.readEntry();
    });
  });
}
