/*
 * Writes the bridge's audio frames to an Ogg Opus file: the stream's header pages
 * (OpusHead, OpusTags) first, then the audio pages, each page once. The pages are the
 * session's own (one logical stream), so writing them in order gives a playable .opus file;
 * a page seen again (a header resent after a resume, a replayed frame) is skipped by its
 * stream serial and page sequence number. A phone that joined mid-stream has not got the
 * pages before its join, so the pages are renumbered (sequence numbers in the file run 0, 1, 2,
 * … per stream, as RFC 3533 wants; the CRC is recomputed); their packets and granule positions
 * are left as they are (RFC 7845 §4.3: the file then starts at a nonzero time). Each stream's
 * latest page is held back until the next one comes, so close() can flag it end-of-stream. An app would hand the same pages to its player
 * (MediaCodec's Opus decoder, fed packet by packet from these pages; see docs/phone-protocol.md).
 */
package org.deckcast.phone;

import java.io.BufferedOutputStream;
import java.io.Closeable;
import java.io.File;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.util.HashMap;
import java.util.Map;

public final class OggAudioFile implements Closeable {
  /** Binary frame kinds and header size (AUDIO_KIND, AUDIO_FRAME_HEADER in protocol/phone.ts). */
  public static final int KIND_HEADER = 1;
  public static final int KIND_PAGES = 2;
  public static final int FRAME_HEADER = 9;

  /** One binary frame from the bridge. */
  public static final class Frame {
    public final int kind;
    public final long seq;
    public final long t;
    public final byte[] data;
    public final int offset;

    Frame(int kind, long seq, long t, byte[] data, int offset) {
      this.kind = kind;
      this.seq = seq;
      this.t = t;
      this.data = data;
      this.offset = offset;
    }

    public int pageBytes() {
      return data.length - offset;
    }
  }

  /** Reads a binary frame: kind (1 byte), seq and t (uint32 big-endian), then Ogg pages; null if it is not one. */
  public static Frame decode(byte[] b) {
    if (b.length < FRAME_HEADER) return null;
    int kind = b[0] & 0xff;
    if (kind != KIND_HEADER && kind != KIND_PAGES) return null;
    return new Frame(kind, u32be(b, 1), u32be(b, 5), b, FRAME_HEADER);
  }

  private final OutputStream out;
  /** Per stream serial, the last page sequence number (as the bridge sent it) written. */
  private final Map<Long, Long> lastPage = new HashMap<>();
  /** Per stream serial, its latest page: written when the next comes, or with the EOS flag by close(). */
  private final Map<Long, byte[]> held = new HashMap<>();
  /** Per stream serial, the sequence number the next page gets in the file. */
  private final Map<Long, Long> nextOut = new HashMap<>();
  private boolean header;
  /** Pages (and their bytes) taken for the file; each stream's latest reaches it on the next page or at close(). */
  public long bytesWritten;
  public long pagesWritten;
  /** Pages already taken that came again (a header resent on a new socket). */
  public long pagesSkipped;
  /** Pages refused: before any header, or not whole Ogg pages. */
  public long pagesRefused;

  public OggAudioFile(File file) throws IOException {
    out = new BufferedOutputStream(new FileOutputStream(file));
  }

  public boolean hasHeader() {
    return header;
  }

  /** Writes the frame's pages that are new; returns how many it wrote. */
  public synchronized int write(Frame f) throws IOException {
    int written = 0;
    int at = f.offset;
    byte[] b = f.data;
    while (at < b.length) {
      int len = pageLength(b, at);
      if (len < 0) {
        pagesRefused++;
        break; // the rest is not an Ogg page: nothing more of this frame can be trusted
      }
      boolean bos = (b[at + 5] & 0x02) != 0;
      long serial = u32le(b, at + 14);
      long seq = u32le(b, at + 18);
      Long last = lastPage.get(serial);
      if (!header && !(f.kind == KIND_HEADER || bos)) {
        pagesRefused++; // audio before the stream's header pages: no player could use it
      } else if (last != null && seq <= last) {
        pagesSkipped++;
      } else {
        long renumbered = nextOut.containsKey(serial) ? nextOut.get(serial) : 0L;
        byte[] page = new byte[len];
        System.arraycopy(b, at, page, 0, len);
        if (renumbered != seq) {
          putU32le(page, 18, renumbered);
          putU32le(page, 22, 0);
          putU32le(page, 22, crc(page));
        }
        if (bos && !held.containsKey(serial)) endStreams(); // a chained stream: the one before ends here
        byte[] before = held.put(serial, page);
        if (before != null) out.write(before);
        nextOut.put(serial, renumbered + 1);
        lastPage.put(serial, seq);
        bytesWritten += len;
        pagesWritten++;
        written++;
        if (f.kind == KIND_HEADER || bos) header = true;
      }
      at += len;
    }
    out.flush();
    return written;
  }

  /**
   * Ends the file: each stream's last page, held back until now, goes out with the
   * end-of-stream flag (a live stream has none yet; a file without one reads as cut short).
   */
  @Override
  public synchronized void close() throws IOException {
    try {
      endStreams();
    } finally {
      out.close();
    }
  }

  private void endStreams() throws IOException {
    for (byte[] page : held.values()) {
      page[5] |= 0x04;
      putU32le(page, 22, 0);
      putU32le(page, 22, crc(page));
      out.write(page);
    }
    held.clear();
  }

  /** The length of the Ogg page at `at` (header, segment table, body), or -1 if none is there whole. */
  static int pageLength(byte[] b, int at) {
    if (at + 27 > b.length || b[at] != 'O' || b[at + 1] != 'g' || b[at + 2] != 'g' || b[at + 3] != 'S' || b[at + 4] != 0) return -1;
    int segments = b[at + 26] & 0xff;
    if (at + 27 + segments > b.length) return -1;
    int body = 0;
    for (int i = 0; i < segments; i++) body += b[at + 27 + i] & 0xff;
    int len = 27 + segments + body;
    return at + len <= b.length ? len : -1;
  }

  private static final int[] CRC_TABLE = new int[256];

  static {
    for (int i = 0; i < 256; i++) {
      int r = i << 24;
      for (int k = 0; k < 8; k++) r = (r & 0x80000000) != 0 ? (r << 1) ^ 0x04c11db7 : r << 1;
      CRC_TABLE[i] = r;
    }
  }

  /** Ogg's CRC-32 (RFC 3533 §6: polynomial 0x04c11db7, initial 0, no reflection), over the page with its CRC field zero. */
  static long crc(byte[] page) {
    int crc = 0;
    for (byte x : page) crc = (crc << 8) ^ CRC_TABLE[((crc >>> 24) ^ (x & 0xff)) & 0xff];
    return crc & 0xffffffffL;
  }

  private static void putU32le(byte[] b, int at, long v) {
    b[at] = (byte) v;
    b[at + 1] = (byte) (v >>> 8);
    b[at + 2] = (byte) (v >>> 16);
    b[at + 3] = (byte) (v >>> 24);
  }

  private static long u32be(byte[] b, int at) {
    return ((long) (b[at] & 0xff) << 24) | ((b[at + 1] & 0xff) << 16) | ((b[at + 2] & 0xff) << 8) | (b[at + 3] & 0xff);
  }

  private static long u32le(byte[] b, int at) {
    return ((long) (b[at + 3] & 0xff) << 24) | ((b[at + 2] & 0xff) << 16) | ((b[at + 1] & 0xff) << 8) | (b[at] & 0xff);
  }
}
