/**
 * The export queue's bounds (server/export/export-queue.ts): one account has at most
 * EXPORTS_PER_OWNER exports queued or running, so it cannot fill the queue for everyone
 * else; a canceled or finished one frees its place; the queue's own bound still holds for
 * everyone together. The runner here holds each job until the test lets it end (the export
 * itself is tested in export-video.test.ts).
 */
import { describe, expect, it } from "vitest";
import { ExportError } from "../../protocol/export.ts";
import { createExportQueue, EXPORTS_PER_OWNER, OwnerBusy } from "../../server/export/export-queue.ts";

function heldQueue(opts: { concurrency?: number; maxQueued?: number } = {}) {
  const release = new Map<string, () => void>();
  const queue = createExportQueue({
    ...opts,
    run: (job, signal) =>
      new Promise((resolve, reject) => {
        release.set(job.session, () => resolve({ bytes: 1 }));
        signal.addEventListener("abort", () => reject(new ExportError("canceled")));
      }),
  });
  return { queue, release };
}

describe("the export queue", () => {
  it(`holds at most ${EXPORTS_PER_OWNER} exports of one account, and frees a place when one ends or is canceled`, async () => {
    const { queue, release } = heldQueue({ concurrency: 1 });
    queue.start("s1", "mp4", 1920, "ann@localhost");
    queue.start("s2", "mp4", 1920, "ann@localhost");
    expect(() => queue.start("s3", "mp4", 1920, "ann@localhost")).toThrow(OwnerBusy);
    // Asking again for a session under way is no new job.
    expect(queue.start("s2", "webm", 1280, "ann@localhost")).toMatchObject({ session: "s2", format: "mp4", state: "queued" });
    // Someone else is not held up by Ann.
    expect(queue.start("b1", "mp4", 1920, "bob@localhost").state).toBe("queued");
    expect(await queue.cancel("s2")).toBe(true);
    expect(queue.start("s3", "mp4", 1920, "ann@localhost").state).toBe("queued");
    await new Promise((r) => setTimeout(r, 0));
    release.get("s1")!();
    await new Promise((r) => setTimeout(r, 0));
    expect(queue.get("s1")!.state).toBe("done");
    expect(queue.start("s4", "mp4", 1920, "ann@localhost").state).toBe("queued");
    await queue.stop();
  });

  it("still bounds everyone's waiting jobs together", async () => {
    const { queue } = heldQueue({ concurrency: 1, maxQueued: 2 });
    queue.start("a", "mp4", 1920, "a@localhost");
    queue.start("b", "mp4", 1920, "b@localhost");
    queue.start("c", "mp4", 1920, "c@localhost");
    let err: unknown = null;
    try {
      queue.start("d", "mp4", 1920, "d@localhost");
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ExportError);
    expect(err).not.toBeInstanceOf(OwnerBusy);
    expect((err as ExportError).code).toBe("busy");
    await queue.stop();
  });
});
