// The most silence one bundle can make the component write is bounded (meeting-audio.ts).
import { describe, expect, it } from "vitest";
import { createOpusSessionStream } from "../../server/archive/opus-stream.ts";
import { MAX_SILENCE_MS, planAudio } from "../../server/component/meeting-audio.ts";
import { concat, syntheticRecording } from "../support/opus.ts";

describe("planAudio", () => {
  const pages = syntheticRecording({ serial: 9, pages: 4 });
  const started = () => {
    const stream = createOpusSessionStream({ serial: 1 });
    const first = stream.append({ t: 0, data: concat(pages.slice(0, 3)) });
    if (!first.ok) throw new Error(first.error);
    first.value.commit();
    return { ok: true as const, value: stream };
  };

  it("fills a gap of an hour with silence, in parts that fit bundles", () => {
    const plan = planAudio(started(), { id: "a", t: 3_600_000, events: [], audio: { t: 3_600_000, data: pages[3]! } });
    expect(plan.ok && plan.value!.plan.parts.length).toBeGreaterThan(1);
  });

  it("refuses audio that would follow more silence than one bundle may add, changing nothing", () => {
    const audio = started();
    const before = audio.value.position;
    const t = MAX_SILENCE_MS + 60_000;
    const plan = planAudio(audio, { id: "a", t, events: [], audio: { t, data: pages[3]! } });
    expect(plan.ok).toBe(false);
    if (!plan.ok) expect(plan.error.code).toBe("bad-time");
    expect(audio.value.position).toBe(before);
  });
});
