/**
 * The `<recording-status/>` shape (protocol/recording-status.ts): encode ⇄ decode, the
 * decoder's refusals (never a throw), and the one-hour headroom warning.
 */
import { describe, expect, it } from "vitest";
import xml from "@xmpp/xml";
import { NS } from "../../protocol/namespaces.ts";
import { decodeRecordingStatus, encodeRecordingStatus, headroomLow, headroomMs, recordingStatusOf, type RecordingStatus } from "../../protocol/recording-status.ts";

describe("recording-status", () => {
  it("round-trips, with and without a reason", () => {
    const a: RecordingStatus = { state: "recording", bytes: 48213, duration: 14013, free: 8_123_456_789, rate: 2100 };
    const b: RecordingStatus = { state: "failed", bytes: 1, duration: 2, free: -1, rate: 0, reason: "disk full" };
    for (const s of [a, b]) expect(decodeRecordingStatus(encodeRecordingStatus(s))).toEqual({ ok: true, value: s });
    const msg = xml("message", { type: "groupchat" }, encodeRecordingStatus(a));
    expect(recordingStatusOf(msg)).toEqual({ ok: true, value: a });
    expect(recordingStatusOf(xml("message", {}))).toBeNull();
  });

  it("refuses what is not a status, never throwing", () => {
    const el = (attrs: Record<string, string>) => xml("recording-status", { xmlns: NS.deckcast, state: "recording", bytes: "1", duration: "1", free: "1", rate: "1", ...attrs });
    const bads: Record<string, string>[] = [{ state: "on" }, { bytes: "-1" }, { bytes: "1e3" }, { duration: "x" }, { free: "-2" }, { rate: "" }, { bytes: "99999999999999999" }];
    for (const bad of bads) {
      const r = decodeRecordingStatus(el(bad));
      expect(r.ok, JSON.stringify(bad)).toBe(false);
    }
    expect(decodeRecordingStatus(xml("recording", { xmlns: NS.deckcast })).ok).toBe(false);
    expect(decodeRecordingStatus({} as never).ok).toBe(false);
    const long = decodeRecordingStatus(el({ state: "failed", reason: "x".repeat(500) }));
    expect(long.ok && long.value.reason?.length).toBe(200);
  });

  it("warns when the disk holds less than an hour more at the current rate", () => {
    expect(headroomLow({ free: 3600 * 1000 - 1, rate: 1000 })).toBe(true);
    expect(headroomLow({ free: 3600 * 1000, rate: 1000 })).toBe(false);
    expect(headroomLow({ free: 10, rate: 0 })).toBe(false); // nothing grows
    expect(headroomLow({ free: -1, rate: 1000 })).toBe(false); // unknown
    expect(headroomMs({ free: 5000, rate: 1000 })).toBe(5000);
  });
});
