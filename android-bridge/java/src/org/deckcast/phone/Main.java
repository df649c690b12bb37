/*
 * Runs the Java reference client from the command line (what test/integration/phone-java.test.ts
 * drives):
 *
 *   java -cp out:okhttp.jar:okio.jar org.deckcast.phone.Main URL MEETING NAME EVENTS OUT.opus [WIDTH]
 *
 * joins MEETING at the bridge URL (ws://host:port/phone) as NAME, writes the audio to OUT.opus,
 * prints every frame it gets as one JSON line on stdout, and once it has applied EVENTS
 * `events` frames prints {"type":"done", state, seq, ...} and exits 0. It exits 2 when the
 * bridge ends the session for good (a final close code) before that, 64 on bad arguments.
 * Each line on stdin is a frame to send (`{"type":"chat","text":…,"id":…}`, `{"type":"mode",
 * "audio":false}`); it prints {"type":"sent", ok, frame} for each. With WIDTH it says that width
 * in its hello, prefetches each open deck's pages at it, and is done only once the deck open in
 * its state is held whole ("prefetch-ready" for that deck).
 */
package org.deckcast.phone;

import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import okhttp3.OkHttpClient;

public final class Main {
  private Main() {}

  /** True without a width; else when the deck open in the client's state is the one last held whole. */
  private static boolean deckHeld(long width, PhoneClient client, String[] held) {
    if (width == 0) return true;
    Map<String, Object> state = client.state();
    Map<String, Object> deck = state == null ? null : Json.object(state.get("deck"));
    String open = deck == null ? null : Json.string(deck.get("id"));
    synchronized (held) {
      return open != null && open.equals(held[0]);
    }
  }

  public static void main(String[] args) throws Exception {
    if (args.length != 5 && args.length != 6) {
      System.err.println("usage: Main URL MEETING NAME EVENTS OUT.opus [WIDTH]");
      System.exit(64);
    }
    String url = args[0];
    String meeting = args[1];
    String name = args[2];
    long want = Long.parseLong(args[3]);
    File out = new File(args[4]);
    long width = args.length == 6 ? Long.parseLong(args[5]) : 0;
    // With a width: the deck whose pages were last held whole.
    String[] held = {null};

    PrintStream stdout = new PrintStream(System.out, true, StandardCharsets.UTF_8.name());
    CountDownLatch finished = new CountDownLatch(1);
    int[] exit = {0};
    OggAudioFile audio = new OggAudioFile(out);
    OkHttpClient http = PhoneClient.defaultHttp();
    PhoneClient[] client = new PhoneClient[1];
    PhoneClient.Listener print = new PhoneClient.Listener() {
      @Override
      public void on(Map<String, Object> report) {
        synchronized (stdout) {
          stdout.println(Json.write(report));
        }
        String type = Json.string(report.get("type"));
        if ("prefetch-ready".equals(type)) {
          synchronized (held) {
            held[0] = Json.string(report.get("deck"));
          }
        }
        if (("events".equals(type) || "prefetch-ready".equals(type)) && client[0].bundles() >= want && deckHeld(width, client[0], held)) {
          finished.countDown();
        } else if ("stopped".equals(type)) {
          exit[0] = 2;
          finished.countDown();
        }
      }
    };
    client[0] = new PhoneClient(http, url, meeting, name, audio, print);
    if (width > 0) client[0].setWidth(width);
    if (want == 0) finished.countDown();
    client[0].start();
    Thread input = new Thread(() -> {
      try (BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8))) {
        for (String line; (line = in.readLine()) != null; ) {
          Map<String, Object> frame;
          try {
            frame = Json.object(Json.parse(line));
          } catch (Json.ParseException e) {
            frame = null;
          }
          boolean ok = false;
          if (frame != null && "chat".equals(frame.get("type"))) ok = client[0].chat(Json.string(frame.get("text")), Json.string(frame.get("id")));
          else if (frame != null && "mode".equals(frame.get("type"))) ok = client[0].setAudio(Boolean.TRUE.equals(frame.get("audio")));
          print.on(Json.obj("type", "sent", "ok", ok, "frame", frame));
        }
      } catch (IOException e) {
        // stdin closed: nothing more to send
      }
    }, "deckcast-phone-stdin");
    input.setDaemon(true);
    input.start();
    finished.await();

    Map<String, Object> done = client[0].summary();
    done.put("type", exit[0] == 0 ? "done" : "failed");
    done.put("state", client[0].state());
    done.put("audio", Json.obj("bytes", audio.bytesWritten, "pages", audio.pagesWritten, "skipped", audio.pagesSkipped, "refused", audio.pagesRefused, "header", audio.hasHeader()));
    client[0].stop();
    try {
      audio.close();
    } catch (IOException e) {
      done.put("audioError", String.valueOf(e));
      exit[0] = 1;
    }
    synchronized (stdout) {
      stdout.println(Json.write(done));
    }
    http.dispatcher().executorService().shutdown();
    http.connectionPool().evictAll();
    System.exit(exit[0]);
  }
}
