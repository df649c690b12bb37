/*
 * Fetches the open deck's page images ahead of need from a `prefetch` frame
 * (docs/phone-protocol.md §Prefetch): each image over OkHttp, kept only when its bytes are
 * exactly the frame's `bytes` long and their sha256 is its `sha256` (else refused and counted);
 * a few at a time on its own threads; a newer frame (another deck) cancels the older job.
 * Reports "prefetch-progress" after each image and "prefetch-ready" once every page is held.
 * The bytes are kept in memory here; an app would keep them in its cache directory.
 */
package org.deckcast.phone;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.Response;
import okhttp3.ResponseBody;

public final class DeckPrefetch {
  private static final int CONCURRENCY = 4;
  private static final long MAX_IMAGE_BYTES = 32L * 1024 * 1024;

  private final OkHttpClient http;
  private final PhoneClient.Listener listener;

  // Guarded by `this`.
  private ExecutorService pool;
  private String deck;
  private Map<Long, byte[]> held = new HashMap<>();
  private long ready;
  private long total;
  private long bytes;
  private long refused;
  private boolean quiet;

  public DeckPrefetch(OkHttpClient http, PhoneClient.Listener listener) {
    this.http = http;
    this.listener = listener;
  }

  /** Starts fetching the frame's pages (the previous deck's job is cancelled). */
  public synchronized void start(Map<String, Object> frame) {
    if (pool != null) pool.shutdownNow();
    deck = Json.string(frame.get("deck"));
    held = new HashMap<>();
    ready = 0;
    bytes = 0;
    refused = 0;
    List<Object> pages = Json.array(frame.get("pages"));
    total = pages == null ? 0 : pages.size();
    if (deck == null || pages == null) return;
    final ExecutorService mine = Executors.newFixedThreadPool(CONCURRENCY, r -> {
      Thread t = new Thread(r, "deckcast-prefetch");
      t.setDaemon(true);
      return t;
    });
    pool = mine;
    final String forDeck = deck;
    for (Object o : pages) {
      final Map<String, Object> e = Json.object(o);
      if (e == null) continue;
      mine.execute(() -> fetch(mine, forDeck, e));
    }
    mine.shutdown();
  }

  /** The held bytes of page `page` of the deck being fetched, or null. */
  public synchronized byte[] page(long page) {
    return held.get(page);
  }

  public synchronized void stop() {
    quiet = true;
    if (pool != null) pool.shutdownNow();
  }

  private void fetch(ExecutorService job, String forDeck, Map<String, Object> e) {
    String url = Json.string(e.get("url"));
    String sha = Json.string(e.get("sha256"));
    long size = Json.integer(e.get("bytes"), -1);
    long page = Json.integer(e.get("page"), -1);
    byte[] got = null;
    if (url != null && sha != null && size > 0 && size <= MAX_IMAGE_BYTES) {
      try (Response res = http.newCall(new Request.Builder().url(url).build()).execute()) {
        ResponseBody body = res.body();
        if (res.isSuccessful() && body != null && body.contentLength() <= size) got = body.bytes();
      } catch (Exception ex) {
        got = null; // unreachable: the page is drawn from the network later
      }
    }
    boolean whole;
    Map<String, Object> progress;
    synchronized (this) {
      if (pool != job || quiet) return;
      if (got != null && got.length == size && sha.equals(sha256hex(got))) {
        held.put(page, got);
        ready++;
        bytes += got.length;
      } else if (got != null) {
        refused++;
      }
      progress = Json.obj("type", "prefetch-progress", "deck", forDeck, "ready", ready, "total", total, "bytes", bytes, "refused", refused);
      whole = ready == total;
    }
    // Reported outside the lock: the listener may ask the client (which may be starting a new job).
    listener.on(progress);
    if (whole) {
      Map<String, Object> done = new HashMap<>(progress);
      done.put("type", "prefetch-ready");
      listener.on(done);
    }
  }

  static String sha256hex(byte[] data) {
    try {
      byte[] d = MessageDigest.getInstance("SHA-256").digest(data);
      StringBuilder sb = new StringBuilder(64);
      for (byte b : d) sb.append(Character.forDigit((b >> 4) & 0xf, 16)).append(Character.forDigit(b & 0xf, 16));
      return sb.toString();
    } catch (NoSuchAlgorithmException ex) {
      throw new IllegalStateException(ex); // every Java and Android has SHA-256
    }
  }
}
