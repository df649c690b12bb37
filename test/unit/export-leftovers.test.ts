// isExportLeftover (server/export/export-session.ts): which files in a session's folder a
// restarted server removes before an export job, as left by one cut short. Only an export's
// own temp file and side files: never the finished export, nor anything else in the folder.
import { describe, expect, it } from "vitest";
import { isExportLeftover } from "../../server/export/export-session.ts";

describe("an export's leftovers", () => {
  it("are its temp file and each side file, for that output name", () => {
    for (const side of ["", ".ffmeta", ".vtt", ".video.mp4", ".aac.mp4"]) {
      expect(isExportLeftover(`export.mp4.4242-3.part${side}`, "export.mp4"), side || "the temp file").toBe(true);
    }
    expect(isExportLeftover("export.webm.7-1.part.vtt", "export.webm")).toBe(true);
  });

  it("are not the finished file, another output's files, or look-alikes", () => {
    for (const name of ["export.mp4", "export.mp4.part", "export.mp4.12.part", "export.mp4.1-2.partial", "export.mp4.1-2.part.evil", "export.mp4.1-2.part.vtt.bak", "events.jsonl", "export.webm.1-2.part"]) {
      expect(isExportLeftover(name, "export.mp4"), name).toBe(false);
    }
  });
});
