/**
 * Tiny writers for test containers: ZIP archives (with the option to lie about sizes, for
 * zip bombs) and OLE2 compound files (directory only, for sniffing). Test-only code.
 */
import { crc32, deflateRawSync } from "node:zlib";
import { writeZip } from "../../server/decks/convert/zip-parts.ts";

export interface ZipEntryInput {
  name: string;
  data: Buffer | string;
  /** Default "deflate". */
  method?: "store" | "deflate";
  /** Uncompressed size written in the headers instead of the real one (a lying archive). */
  declaredSize?: number;
}

/** Builds a ZIP archive (no zip64; sizes must fit in 32 bits). */
export function makeZip(entries: ZipEntryInput[]): Buffer {
  return writeZip(entries.map((e) => {
    const raw = Buffer.isBuffer(e.data) ? e.data : Buffer.from(e.data, "utf8");
    const method = e.method === "store" ? 0 : 8;
    return {
      rawName: Buffer.from(e.name, "utf8"),
      flags: 0x0800, // UTF-8 names
      method,
      time: 0,
      date: 0,
      crc: crc32(raw),
      size: e.declaredSize ?? raw.length,
      raw: method === 8 ? deflateRawSync(raw) : raw,
    };
  }));
}

/** Sets a ZIP's archive comment: a different file (new sha256) with the same content. */
export function withZipComment(zip: Buffer, comment: string): Buffer {
  const c = Buffer.from(comment, "latin1");
  const eocd = zip.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
  if (eocd < 0) throw new Error("not a zip");
  const head = Buffer.from(zip.subarray(0, eocd + 22));
  head.writeUInt16LE(c.length, eocd + 20);
  return Buffer.concat([head, c]);
}

/** An OLE2 compound file whose directory lists `streams` (all empty): enough to be sniffed. */
export function makeOle2(streams: string[]): Buffer {
  if (streams.length > 3) throw new Error("at most 3 streams");
  const sector = 512;
  const header = Buffer.alloc(512, 0);
  Buffer.from([0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1]).copy(header, 0);
  header.writeUInt16LE(0x3e, 0x18); // minor version
  header.writeUInt16LE(3, 0x1a); // major version 3: 512-byte sectors
  header.writeUInt16LE(0xfffe, 0x1c); // little-endian
  header.writeUInt16LE(9, 0x1e); // sector shift
  header.writeUInt16LE(6, 0x20); // mini sector shift
  header.writeUInt32LE(1, 0x2c); // FAT sectors
  header.writeUInt32LE(1, 0x30); // first directory sector
  header.writeUInt32LE(4096, 0x38); // mini stream cutoff
  header.writeUInt32LE(0xfffffffe, 0x3c); // no mini FAT
  header.writeUInt32LE(0xfffffffe, 0x44); // no DIFAT sectors
  for (let i = 0; i < 109; i++) header.writeUInt32LE(i === 0 ? 0 : 0xffffffff, 0x4c + i * 4);
  const fat = Buffer.alloc(sector, 0xff);
  fat.writeUInt32LE(0xfffffffd, 0); // sector 0: FAT
  fat.writeUInt32LE(0xfffffffe, 4); // sector 1: directory, end of chain
  const dir = Buffer.alloc(sector, 0);
  const names = ["Root Entry", ...streams];
  names.forEach((name, i) => {
    const off = i * 128;
    dir.write(name, off, "utf16le");
    dir.writeUInt16LE((name.length + 1) * 2, off + 0x40);
    dir[off + 0x42] = i === 0 ? 5 : 2;
    dir.writeUInt32LE(0xffffffff, off + 0x44); // left sibling
    dir.writeUInt32LE(i > 0 && i < names.length - 1 ? i + 1 : 0xffffffff, off + 0x48); // right sibling
    dir.writeUInt32LE(i === 0 && names.length > 1 ? 1 : 0xffffffff, off + 0x4c); // child
    dir.writeUInt32LE(0xfffffffe, off + 0x74); // start sector
  });
  return Buffer.concat([header, fat, dir]);
}
