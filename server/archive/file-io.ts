/**
 * Whole reads and writes on a FileHandle, and undoing a failed append. A write may take
 * fewer bytes than asked (a full disk takes what fits, then fails) and a read may return
 * fewer: both loop. Shared by the journal and the chat log.
 */
import type { FileHandle } from "node:fs/promises";

/** Writes every byte of `data` at the end of the file. */
export async function writeAll(fh: FileHandle, data: Uint8Array, what: string): Promise<void> {
  for (let done = 0; done < data.length; ) {
    const { bytesWritten } = await fh.write(data, done, data.length - done, null);
    if (bytesWritten <= 0) throw new Error(`${what}: a write took no bytes`);
    done += bytesWritten;
  }
}

/** Cuts the file back to `size` (its size before a failed write); never makes it longer. */
export async function undoTo(fh: FileHandle, size: number, what: string): Promise<void> {
  const now = (await fh.stat()).size;
  if (now > size) await fh.truncate(size);
  else if (now < size) throw new Error(`the file has ${now} bytes, fewer than the ${size} the ${what} counts`);
}

/** Fills `buf` from `position`; a file shorter than that is an error. */
export async function readAllOf(fh: FileHandle, buf: Uint8Array, position: number, what: string): Promise<void> {
  for (let done = 0; done < buf.length; ) {
    const { bytesRead } = await fh.read(buf, done, buf.length - done, position + done);
    if (bytesRead === 0) throw new Error(`${what}: ${buf.length - done} bytes missing at byte ${position + done}`);
    done += bytesRead;
  }
}
