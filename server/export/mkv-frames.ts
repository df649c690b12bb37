/**
 * Raw frames (I420, or RGBA) with explicit timestamps, as a Matroska stream for ffmpeg's stdin.
 *
 * Why Matroska: ffmpeg 5.1 (Debian 12) has no way to give raw frames on a pipe their own
 * times — `-f rawvideo` is constant-rate, the concat demuxer wants one file per frame,
 * `-vsync vfr` only drops. A Matroska stream carries a timestamp on every block, and
 * ffmpeg's demuxer reads uncompressed video (`V_UNCOMPRESSED`, pixel format from the
 * `ColourSpace` FourCC: "I420" or "RGBA") from a pipe with unknown sizes. So each changed frame is one
 * cluster `{Timestamp t ms, SimpleBlock}` and an unchanged second costs nothing. The last
 * frame is a BlockGroup with a BlockDuration, so the video lasts to the session's end.
 */

function vint(n: number): Buffer {
  // EBML variable-size integer (size field), 1..8 bytes.
  for (let len = 1; len <= 8; len++) {
    if (n < 2 ** (7 * len) - 1) {
      const b = Buffer.alloc(len);
      let v = n;
      for (let i = len - 1; i >= 0; i--) {
        b[i] = v % 256;
        v = Math.floor(v / 256);
      }
      b[0]! |= 1 << (8 - len);
      return b;
    }
  }
  throw new RangeError("EBML size too large");
}

function idBytes(id: number): Buffer {
  const hex = id.toString(16);
  return Buffer.from(hex.length % 2 ? `0${hex}` : hex, "hex");
}

function uint(n: number): Buffer {
  if (n === 0) return Buffer.from([0]);
  const bytes: number[] = [];
  let v = n;
  while (v > 0) {
    bytes.unshift(v % 256);
    v = Math.floor(v / 256);
  }
  return Buffer.from(bytes);
}

function el(id: number, body: Buffer | Buffer[]): Buffer {
  const data = Array.isArray(body) ? Buffer.concat(body) : body;
  return Buffer.concat([idBytes(id), vint(data.length), data]);
}

const UNKNOWN_SIZE = Buffer.from([0x01, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]);

/** The stream's start: EBML header, a Segment of unknown size, Info (ms timestamps) and the one video track. */
export function mkvHeader(width: number, height: number, fourcc: "I420" | "RGBA" = "I420"): Buffer {
  const ebml = el(0x1a45dfa3, [
    el(0x4286, uint(1)),
    el(0x42f7, uint(1)),
    el(0x42f2, uint(4)),
    el(0x42f3, uint(8)),
    el(0x4282, Buffer.from("matroska")),
    el(0x4287, uint(4)),
    el(0x4285, uint(2)),
  ]);
  const info = el(0x1549a966, [el(0x2ad7b1, uint(1_000_000)), el(0x4d80, Buffer.from("deckcast")), el(0x5741, Buffer.from("deckcast"))]);
  const video = el(0xe0, [el(0xb0, uint(width)), el(0xba, uint(height)), el(0x2eb524, Buffer.from(fourcc))]);
  const track = el(0xae, [el(0xd7, uint(1)), el(0x73c5, uint(1)), el(0x83, uint(1)), el(0x9c, uint(0)), el(0x86, Buffer.from("V_UNCOMPRESSED")), video]);
  const tracks = el(0x1654ae6b, track);
  return Buffer.concat([ebml, idBytes(0x18538067), UNKNOWN_SIZE, info, tracks]);
}

/**
 * One frame at `t` ms as a cluster, in pieces (header, then the pixels as given: no copy of
 * the frame). With `duration` the block says how long it is shown (the last frame).
 */
export function mkvFrame(t: number, pixels: Uint8Array, duration?: number): Buffer[] {
  const rgba = pixels;
  const blockHead = Buffer.from([0x81, 0x00, 0x00, 0x80]); // track 1, relative time 0, keyframe
  const tsEl = el(0xe7, uint(Math.max(0, Math.round(t))));
  if (duration === undefined) {
    const blockSize = blockHead.length + rgba.length;
    const block = Buffer.concat([idBytes(0xa3), vint(blockSize), blockHead]);
    const clusterSize = tsEl.length + block.length + rgba.length;
    return [Buffer.concat([idBytes(0x1f43b675), vint(clusterSize), tsEl, block]), Buffer.from(rgba.buffer, rgba.byteOffset, rgba.byteLength)];
  }
  const head = Buffer.from([0x81, 0x00, 0x00, 0x00]);
  const blockSize = head.length + rgba.length;
  const block = Buffer.concat([idBytes(0xa1), vint(blockSize), head]);
  const dur = el(0x9b, uint(Math.max(1, Math.round(duration))));
  const groupSize = block.length + rgba.length + dur.length;
  const group = Buffer.concat([idBytes(0xa0), vint(groupSize), block]);
  const clusterSize = tsEl.length + group.length + rgba.length + dur.length;
  return [Buffer.concat([idBytes(0x1f43b675), vint(clusterSize), tsEl, group]), Buffer.from(rgba.buffer, rgba.byteOffset, rgba.byteLength), dur];
}
