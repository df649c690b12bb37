/**
 * Streams an upload body to a temporary file while hashing it (the sha256 is the deck's
 * content address) and counting bytes. More bytes than declared stop the upload at once;
 * an abort or any error deletes the partial file, so nothing half-received is ever kept.
 * A body that sends nothing for `idleMs` (default 30 s) is cut off the same way: the
 * connection is closed and the result is `upload-aborted`, so the slot can be used again.
 */
import { createHash, randomBytes } from "node:crypto";
import { createWriteStream } from "node:fs";
import { rm } from "node:fs/promises";
import type { IncomingMessage } from "node:http";
import { join } from "node:path";
import { Transform } from "node:stream";
import { pipeline } from "node:stream/promises";
import { fail, groupDigits, ok, type DeckResult } from "../errors.ts";

export interface Received {
  path: string;
  sha256: string;
  bytes: number;
}

export const DEFAULT_UPLOAD_IDLE_MS = 30_000;

/** Receives exactly `size` bytes of `req` into a new file in `dir`. */
export async function receiveUpload(req: IncomingMessage, dir: string, size: number, { idleMs = DEFAULT_UPLOAD_IDLE_MS }: { idleMs?: number } = {}): Promise<DeckResult<Received>> {
  const path = join(dir, `${randomBytes(12).toString("hex")}.part`);
  const hash = createHash("sha256");
  let bytes = 0;
  let overflow = false;
  let idle = false;
  const idleTimer = setTimeout(() => {
    idle = true;
    req.destroy(new Error(`no data for ${idleMs} ms`));
  }, idleMs);
  const meter = new Transform({
    transform(chunk: Buffer, _enc, done) {
      idleTimer.refresh();
      bytes += chunk.length;
      if (bytes > size) {
        overflow = true;
        done(new Error("more bytes than declared"));
        return;
      }
      hash.update(chunk);
      done(null, chunk);
    },
  });
  try {
    await pipeline(req, meter, createWriteStream(path, { flags: "wx" }));
  } catch (err) {
    await rm(path, { force: true });
    if (overflow) return fail("too-large", `The upload is larger than the ${groupDigits(size)} bytes declared for the slot.`);
    if (idle) return fail("upload-aborted", `No data arrived for ${Math.round(idleMs / 1000)} s, so the upload was stopped after ${groupDigits(bytes)} of ${groupDigits(size)} bytes. Upload the file again.`);
    const aborted = req.destroyed || (err as NodeJS.ErrnoException).code === "ERR_STREAM_PREMATURE_CLOSE";
    if (aborted) return fail("upload-aborted");
    throw err;
  } finally {
    clearTimeout(idleTimer);
  }
  if (bytes !== size) {
    await rm(path, { force: true });
    return fail("upload-aborted", `The upload ended after ${groupDigits(bytes)} of ${groupDigits(size)} bytes.`);
  }
  return ok({ path, sha256: hash.digest("hex"), bytes });
}
