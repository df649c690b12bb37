/**
 * OLE2 / Compound File Binary ([MS-CFB]) directory reader: lists the stream names of a
 * compound file without reading the streams, which is all deckcast needs to tell a
 * PowerPoint 97 deck from a Word 97 document from an encrypted OOXML file (an OOXML file
 * with a password is a compound file holding `EncryptionInfo` and `EncryptedPackage`).
 */
import type { FileHandle } from "node:fs/promises";
import { fail, ok, type DeckResult } from "../errors.ts";

export const OLE2_MAGIC = Buffer.from([0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1]);

const END_OF_CHAIN = 0xfffffffe;
const MAX_SECTOR = 0xfffffffa;
/** A real deck's directory fits in a few sectors; this bounds work on hostile files. */
const MAX_DIR_SECTORS = 4096;
const MAX_DIFAT_SECTORS = 4096;

/** Reads the names of every storage and stream in the compound file. */
export async function listOle2Names(fh: FileHandle, fileSize: number): Promise<DeckResult<Set<string>>> {
  const header = await readAt(fh, 0, 512);
  if (header.length < 512 || !header.subarray(0, 8).equals(OLE2_MAGIC)) return corrupt("the compound file header is incomplete");
  const shift = header.readUInt16LE(0x1e);
  if (shift !== 9 && shift !== 12) return corrupt("the compound file has an invalid sector size");
  const sectorSize = 1 << shift;
  const perSector = sectorSize / 4;
  const sectorCount = Math.ceil(fileSize / sectorSize);

  // FAT sector ids: 109 in the header, the rest in a chain of DIFAT sectors.
  const fatSectors: number[] = [];
  for (let i = 0; i < 109; i++) fatSectors.push(header.readUInt32LE(0x4c + i * 4));
  let difat = header.readUInt32LE(0x44);
  for (let n = 0; difat <= MAX_SECTOR && n < MAX_DIFAT_SECTORS; n++) {
    if (difat >= sectorCount) return corrupt("the compound file's sector table points past its end");
    const buf = await readAt(fh, (difat + 1) * sectorSize, sectorSize);
    for (let i = 0; i < perSector - 1; i++) fatSectors.push(buf.readUInt32LE(i * 4));
    difat = buf.readUInt32LE((perSector - 1) * 4);
  }

  const next = async (sector: number): Promise<number | null> => {
    const fatSector = fatSectors[Math.floor(sector / perSector)];
    if (fatSector === undefined || fatSector > MAX_SECTOR || fatSector >= sectorCount) return null;
    const buf = await readAt(fh, (fatSector + 1) * sectorSize + (sector % perSector) * 4, 4);
    return buf.length === 4 ? buf.readUInt32LE(0) : null;
  };

  const names = new Set<string>();
  const seen = new Set<number>();
  let sector = header.readUInt32LE(0x30);
  while (sector !== END_OF_CHAIN) {
    if (sector > MAX_SECTOR || sector >= sectorCount || seen.has(sector) || seen.size >= MAX_DIR_SECTORS) {
      return corrupt("the compound file's directory is broken");
    }
    seen.add(sector);
    const dir = await readAt(fh, (sector + 1) * sectorSize, sectorSize);
    if (dir.length < sectorSize) return corrupt("the compound file ends inside its directory");
    for (let off = 0; off + 128 <= dir.length; off += 128) {
      const type = dir[off + 0x42];
      const nameBytes = dir.readUInt16LE(off + 0x40);
      if (type === 0 || nameBytes < 2 || nameBytes > 64) continue;
      names.add(dir.toString("utf16le", off, off + nameBytes - 2));
    }
    const n = await next(sector);
    if (n === null) return corrupt("the compound file's directory is broken");
    sector = n;
  }
  return ok(names);
}

async function readAt(fh: FileHandle, position: number, length: number): Promise<Buffer> {
  const buf = Buffer.alloc(length);
  const { bytesRead } = await fh.read(buf, 0, length, position);
  return buf.subarray(0, bytesRead);
}

function corrupt(why: string): DeckResult<never> {
  return fail("corrupt-file", `The file is damaged and cannot be read (${why}).`);
}
