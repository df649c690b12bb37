/**
 * Ogg pages (protocol/ogg.ts) against files real encoders made (ffmpeg's libopus,
 * opusenc): parsing, CRCs, building back byte for byte, lacing, and precise refusals.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { buildPage, MAX_SEGMENTS, NO_GRANULE, oggCrc, packPages, pagePieces, parsePage, parsePages, type OggPage } from "../../protocol/ogg.ts";
import { beepRecording, concat } from "../support/opus.ts";

let files: Record<"ffmpeg" | "opusenc", Uint8Array>;
beforeAll(async () => {
  const [ffmpeg, opusenc] = await Promise.all([
    beepRecording({ durationMs: 1000, beepsMs: [200], encoder: "ffmpeg" }),
    beepRecording({ durationMs: 1000, beepsMs: [200], encoder: "opusenc" }),
  ]);
  files = { ffmpeg, opusenc };
});

const pages = (bytes: Uint8Array): OggPage[] => {
  const r = parsePages(bytes);
  if (!r.ok) throw new Error(r.error.message);
  return r.value;
};

describe("parsing real files", () => {
  for (const encoder of ["ffmpeg", "opusenc"] as const) {
    it(`reads every page ${encoder} wrote, and builds each back byte for byte`, () => {
      const file = files[encoder];
      const all = pages(file);
      expect(all.length).toBeGreaterThan(5);
      expect(all[0]!.bos).toBe(true);
      expect(all.at(-1)!.eos).toBe(true);
      expect(new Set(all.map((p) => p.serial)).size).toBe(1);
      expect(all.map((p) => p.sequence)).toEqual(all.map((_, i) => i));
      expect(new TextDecoder().decode(all[0]!.body.subarray(0, 8))).toBe("OpusHead");
      expect(concat(all.map(buildPage))).toEqual(file);
    });
  }

  it("computes the CRC a real encoder stored", () => {
    const file = files.opusenc;
    const first = parsePage(file);
    if (!first.ok) throw new Error(first.error.message);
    const page = file.slice(0, first.value.length);
    const stored = new DataView(page.buffer).getUint32(22, true);
    page.fill(0, 22, 26);
    expect(oggCrc(page)).toBe(stored);
  });
});

describe("lacing", () => {
  const sizes = [0, 1, 254, 255, 256, 510, 1000, 70_000];
  const packets = sizes.map((n, i) => ({ data: new Uint8Array(n).map((_, k) => (k + i) & 255), granule: (i + 1) * 960 }));

  it("packs packets into pages and cuts them back out, across page boundaries", () => {
    const built = packPages(packets, { serial: 9, sequence: 3, bos: true, eos: true });
    const parsed = pages(concat(built));
    expect(parsed.length).toBeGreaterThan(1); // 70 000 bytes need more than 255 segments
    expect(parsed.map((p) => p.segments.length).filter((n) => n > MAX_SEGMENTS), `pages over ${MAX_SEGMENTS} segments`).toEqual([]);
    expect(parsed.map((p) => p.sequence)).toEqual(parsed.map((_, i) => 3 + i));
    expect(parsed.map((p) => [p.bos, p.eos])).toEqual(parsed.map((_, i) => [i === 0, i === parsed.length - 1]));
    const out: Uint8Array[] = [];
    let open: Uint8Array | null = null;
    for (const page of parsed) {
      const cut = pagePieces(page);
      if (page.continued) cut.pieces[0] = concat([open!, cut.pieces[0]!]);
      open = cut.open ? cut.pieces.pop()! : null;
      out.push(...cut.pieces);
      if (page.granule !== NO_GRANULE) expect(packets.map((p) => p.granule), `page ${page.sequence}'s granule is a packet's`).toContain(page.granule);
    }
    expect(out).toEqual(packets.map((p) => p.data));
    expect(parsed.at(-1)!.granule).toBe(packets.at(-1)!.granule);
  });

  it("marks a page on which no packet ends with granule position -1", () => {
    const parsed = pages(concat(packPages([{ data: new Uint8Array(255 * 300), granule: 960 }], { serial: 1, sequence: 0 })));
    expect(parsed.map((p) => p.granule)).toEqual([NO_GRANULE, 960]);
    expect(parsed.map((p) => p.continued)).toEqual([false, true]);
  });
});

describe("refusals", () => {
  const refusal = (bytes: Uint8Array) => {
    const r = parsePages(bytes);
    if (r.ok) throw new Error("accepted");
    return r.error;
  };
  /** Where the file's second page starts. */
  const secondPage = () => {
    const r = parsePage(files.opusenc);
    if (!r.ok) throw new Error(r.error.message);
    return r.value.length;
  };

  it("refuses bytes that are not Ogg", () => {
    expect(refusal(new TextEncoder().encode("RIFF....WAVE"))).toEqual({ message: 'no Ogg capture pattern "OggS" at byte 0', offset: 0 });
  });

  it("refuses a damaged page, naming where it starts and both CRCs", () => {
    const bad = files.opusenc.slice();
    const at = secondPage();
    bad[at + 40]! ^= 0x01;
    const e = refusal(bad);
    expect(e.offset).toBe(at);
    expect(e.message).toMatch(new RegExp(`^page at byte ${at} fails its CRC \\(stored 0x[0-9a-f]{8}, computed 0x[0-9a-f]{8}\\)$`));
  });

  it("refuses truncated pages: in the header, the segment table and the body", () => {
    const file = files.opusenc;
    expect(refusal(file.subarray(0, 20)).message).toBe("truncated page at byte 0: 20 bytes, a page header has 27");
    expect(refusal(file.subarray(0, 27)).message).toMatch(/^truncated page at byte 0: its segment table needs \d+ bytes$/);
    expect(refusal(file.subarray(0, file.length - 1)).message).toMatch(/^truncated page at byte \d+: \d+ bytes announced, \d+ present$/);
  });

  it("refuses an unknown version, unknown flags and trailing bytes", () => {
    const v1 = files.opusenc.slice();
    v1[4] = 1;
    expect(refusal(v1).message).toBe("page at byte 0 has Ogg version 1, only 0 exists");
    const flags = files.opusenc.slice();
    flags[5] = 0x0a;
    expect(refusal(flags).message).toBe("page at byte 0 has unknown header type flags 0x0000000a");
    const trailing = concat([files.opusenc, new Uint8Array([1, 2, 3])]);
    expect(refusal(trailing).offset).toBe(files.opusenc.length);
  });

  it("never throws, whatever the bytes", () => {
    for (let i = 0; i < 300; i++) {
      const junk = files.ffmpeg.slice(0, 200).map((b, k) => (k % 7 === i % 7 ? (b + i) & 255 : b));
      expect(() => parsePages(junk)).not.toThrow();
      expect(() => parsePages(junk.subarray(0, i % 200))).not.toThrow();
    }
  });
});
