/*
 * The phone protocol's Java reference client (docs/phone-protocol.md, protocol/phone.ts),
 * written as an Android app would use it: OkHttp for the WebSocket, java.util and java.io
 * otherwise (nothing Android lacks). It says hello with the meeting code and a name, takes
 * the room's state from the welcome, applies `events` frames strictly in seq order (each must
 * be the previous + 1; a `snapshot` frame replaces the state), writes the audio frames to an
 * Ogg Opus file, and after its connection is cut says hello again with {resume: {id, seq}}
 * so the bridge sends exactly what it missed. With a width set, it says it in the hello and
 * fetches each `prefetch` frame's page images ahead of need, checked (DeckPrefetch).
 *
 * Everything it sees is reported to a Listener as a JSON-ready map with a "type" (what
 * Main prints); an app would update its views there instead.
 */
package org.deckcast.phone;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.Response;
import okhttp3.WebSocket;
import okhttp3.WebSocketListener;
import okio.ByteString;

public final class PhoneClient {
  public interface Listener {
    /** One thing the client saw or did, as a JSON object with a "type". */
    void on(Map<String, Object> report);
  }

  /**
   * Close codes after which saying hello again cannot help (PHONE_CLOSE in protocol/phone.ts):
   * a normal close, a frame or hello the bridge refused, an unknown or ended meeting, a refused
   * token. After the others (4007 slow reader, 4010 dead, 4011 unavailable, 1001 going away, a
   * cut connection) the client says hello again with its resume id.
   */
  private static boolean isFinal(int code) {
    return code == 1000 || (code >= 4000 && code <= 4006) || code == 4008 || code == 4009;
  }

  private final OkHttpClient http;
  private final String url;
  private final String meeting;
  private final String name;
  private final OggAudioFile audio;
  private final Listener listener;
  private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(r -> {
    Thread t = new Thread(r, "deckcast-phone-reconnect");
    t.setDaemon(true);
    return t;
  });

  // Guarded by `this`.
  private WebSocket socket;
  private Map<String, Object> state;
  private long seq = -1;
  private String resumeId;
  private int attempt;
  private boolean stopped;
  /** After stop(): nothing more is reported. */
  private boolean quiet;
  private long audioSeq = -1;
  private final List<Long> gaps = new ArrayList<>();
  private long duplicates;
  private long bundles;
  private long sockets;
  /** The current socket got its welcome: chat and mode may go. */
  private boolean welcomed;
  /** Whether audio frames are wanted (false: events only, an app in the background). */
  private boolean wantAudio = true;
  /** The width pages are drawn at (hello `width`); 0: not said, no prefetch. */
  private long width;
  private DeckPrefetch prefetch;

  public PhoneClient(OkHttpClient http, String url, String meeting, String name, OggAudioFile audio, Listener listener) {
    this.http = http;
    this.url = url;
    this.meeting = meeting;
    this.name = name;
    this.audio = audio;
    this.listener = listener;
  }

  /** An OkHttp client as an app would build one: pings keep NATs open and notice a dead bridge. */
  public static OkHttpClient defaultHttp() {
    return new OkHttpClient.Builder().pingInterval(10, TimeUnit.SECONDS).connectTimeout(10, TimeUnit.SECONDS).readTimeout(0, TimeUnit.MILLISECONDS).build();
  }

  /** Before start(): the pixel width pages are drawn at; the client then prefetches each open deck at it. */
  public synchronized void setWidth(long px) {
    width = px;
    if (prefetch == null && px > 0) prefetch = new DeckPrefetch(http, listener);
  }

  /** The prefetched, checked bytes of page `page` of the open deck, or null. */
  public synchronized byte[] prefetchedPage(long page) {
    return prefetch == null ? null : prefetch.page(page);
  }

  public synchronized void start() {
    connect();
  }

  /** Closes the socket normally and stops reconnecting. */
  public synchronized void stop() {
    stopped = true;
    quiet = true;
    timer.shutdownNow();
    if (prefetch != null) prefetch.stop();
    if (socket != null) socket.close(1000, "bye");
  }

  public synchronized Map<String, Object> state() {
    return state;
  }

  public synchronized long seq() {
    return seq;
  }

  /** Events frames applied so far, across every socket. */
  public synchronized long bundles() {
    return bundles;
  }

  public synchronized Map<String, Object> summary() {
    return Json.obj("seq", seq, "bundles", bundles, "gaps", new ArrayList<>(gaps), "duplicates", duplicates, "sockets", sockets);
  }

  /** Sends a chat message (id: the app's own, echoed back; may be null). False when not joined now. */
  public synchronized boolean chat(String text, String id) {
    Map<String, Object> f = Json.obj("type", "chat", "text", text);
    if (id != null) f.put("id", id);
    return send(f);
  }

  /** Audio frames on or off (off: an app going to the background); kept across reconnects. */
  public synchronized boolean setAudio(boolean on) {
    wantAudio = on;
    return send(Json.obj("type", "mode", "audio", on));
  }

  /** Sends a frame on the current socket once it is welcomed; false when there is none. */
  public synchronized boolean send(Map<String, Object> frame) {
    if (socket == null || !welcomed) return false;
    return socket.send(Json.write(frame));
  }

  private void connect() {
    sockets++;
    welcomed = false;
    Request req = new Request.Builder().url(url).build();
    socket = http.newWebSocket(req, new Handler());
  }

  private void report(Object... kv) {
    if (!quiet) listener.on(Json.obj(kv));
  }

  private final class Handler extends WebSocketListener {
    @Override
    public void onOpen(WebSocket ws, Response response) {
      synchronized (PhoneClient.this) {
        if (ws != socket) return;
        Map<String, Object> hello = Json.obj("type", "hello", "v", 1L, "meeting", meeting, "name", name);
        if (resumeId != null && seq >= 0) hello.put("resume", Json.obj("id", resumeId, "seq", seq));
        if (!wantAudio) hello.put("audio", false);
        if (width > 0) hello.put("width", width);
        ws.send(Json.write(hello));
        report("type", "open", "resume", hello.get("resume"));
      }
    }

    @Override
    public void onMessage(WebSocket ws, String text) {
      synchronized (PhoneClient.this) {
        if (ws != socket) return;
        Map<String, Object> f;
        try {
          f = Json.object(Json.parse(text));
        } catch (Json.ParseException e) {
          f = null;
        }
        if (f == null || Json.string(f.get("type")) == null) {
          report("type", "bad-frame", "length", (long) text.length());
          return;
        }
        onFrame(ws, f);
      }
    }

    @Override
    public void onMessage(WebSocket ws, ByteString bytes) {
      synchronized (PhoneClient.this) {
        if (ws != socket) return;
        onAudio(bytes.toByteArray());
      }
    }

    @Override
    public void onClosing(WebSocket ws, int code, String reason) {
      ws.close(1000, null);
    }

    @Override
    public void onClosed(WebSocket ws, int code, String reason) {
      synchronized (PhoneClient.this) {
        if (ws != socket) return;
        report("type", "closed", "code", (long) code, "reason", reason);
        lost(isFinal(code));
      }
    }

    @Override
    public void onFailure(WebSocket ws, Throwable t, Response response) {
      synchronized (PhoneClient.this) {
        if (ws != socket) return;
        report("type", "failure", "error", String.valueOf(t), "status", response != null ? (Object) (long) response.code() : null);
        lost(false);
      }
    }
  }

  /** The socket is gone: reconnect with a resume unless the bridge said it is over. */
  private void lost(boolean last) {
    socket = null;
    welcomed = false;
    if (stopped) return;
    if (last) {
      stopped = true;
      report("type", "stopped");
      timer.shutdown();
      return;
    }
    long delay = Math.min(5000, 100L << Math.min(attempt, 6));
    attempt++;
    report("type", "reconnecting", "delayMs", delay, "attempt", (long) attempt);
    timer.schedule(() -> {
      synchronized (PhoneClient.this) {
        if (!stopped && socket == null) connect();
      }
    }, delay, TimeUnit.MILLISECONDS);
  }

  private void onFrame(WebSocket ws, Map<String, Object> f) {
    String type = Json.string(f.get("type"));
    switch (type) {
      case "welcome": {
        // resumed: the bridge continues from the seq this phone gave (no state); otherwise the
        // state is the room now (a first join, or a resume the bridge could not honour).
        boolean resumed = Boolean.TRUE.equals(f.get("resumed")) && state != null;
        resumeId = Json.string(f.get("resume"));
        Map<String, Object> snap = Json.object(f.get("state"));
        if (!resumed) {
          if (snap == null) {
            report("type", "protocol-error", "what", "welcome without a state");
            return;
          }
          state = snap;
          seq = Json.integer(snap.get("seq"), 0);
        }
        attempt = 0;
        welcomed = true;
        report("type", "welcome", "resumed", resumed, "nick", f.get("nick"), "participants", f.get("participants"), "recording", f.get("recording"), "decks", f.get("decks"), "seq", seq, "state", snap);
        break;
      }
      case "events": {
        long s = Json.integer(f.get("seq"), -1);
        if (state == null) {
          report("type", "protocol-error", "what", "events before welcome", "seq", s);
          return;
        }
        if (s <= seq) {
          duplicates++;
          report("type", "duplicate", "seq", s, "have", seq);
          return;
        }
        if (s != seq + 1) {
          // The bridge promises seq + 1 or a snapshot: resume from what this phone has.
          gaps.add(s);
          report("type", "gap", "expected", seq + 1, "got", s);
          ws.cancel();
          lost(false);
          return;
        }
        Reducer.applyFrame(state, f);
        seq = s;
        bundles++;
        report("type", "events", "seq", s, "t", f.get("t"), "ts", f.get("ts"), "from", f.get("from"), "events", f.get("events"));
        break;
      }
      case "snapshot": {
        Map<String, Object> snap = Json.object(f.get("state"));
        if (snap == null) {
          report("type", "protocol-error", "what", "snapshot without a state");
          return;
        }
        state = snap;
        seq = Json.integer(snap.get("seq"), 0);
        report("type", "snapshot", "reason", f.get("reason"), "seq", seq, "state", snap);
        break;
      }
      case "prefetch":
        if (!quiet) listener.on(Json.obj("type", "prefetch", "deck", f.get("deck"), "width", f.get("width"), "pages", (long) (Json.array(f.get("pages")) == null ? 0 : Json.array(f.get("pages")).size())));
        if (prefetch != null) prefetch.start(f);
        break;
      default:
        // chat, participants, recording, audio-dropped, error, ended, and later types: reported as they came.
        if (!quiet) listener.on(f);
        break;
    }
  }

  private void onAudio(byte[] bytes) {
    OggAudioFile.Frame frame = OggAudioFile.decode(bytes);
    if (frame == null) {
      report("type", "bad-audio", "bytes", (long) bytes.length);
      return;
    }
    String kind = frame.kind == OggAudioFile.KIND_HEADER ? "header" : "pages";
    if (frame.kind == OggAudioFile.KIND_PAGES && frame.seq <= audioSeq) {
      report("type", "audio", "kind", kind, "seq", frame.seq, "t", frame.t, "bytes", (long) frame.pageBytes(), "written", 0L, "duplicate", true);
      return;
    }
    if (frame.kind == OggAudioFile.KIND_PAGES) audioSeq = frame.seq;
    long written;
    try {
      written = audio.write(frame);
    } catch (IOException e) {
      report("type", "audio-error", "error", String.valueOf(e));
      return;
    }
    report("type", "audio", "kind", kind, "seq", frame.seq, "t", frame.t, "bytes", (long) frame.pageBytes(), "written", written);
  }
}
