/*
 * The room's reducer (protocol/reducer.ts) in Java, on the JSON model of Json.java: folds an
 * `events` frame into the phone's state, so the state after a snapshot and the frames after
 * it is the one the bridge's reducer has. The phone's state has no account JIDs
 * (PhoneState in protocol/phone.ts), so `presenter` events set the nick only.
 *
 * Unlike the TypeScript reducer it changes the state in place: the client owns its copy.
 */
package org.deckcast.phone;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

public final class Reducer {
  private Reducer() {}

  /** LIMITS.maxPointNumbers and LIMITS.maxDrawing of protocol/namespaces.ts. */
  static final int MAX_POINT_NUMBERS = 20000;
  static final int MAX_DRAWING = 64;

  /** Applies one `events` frame: its events in order, then its t and seq. */
  public static void applyFrame(Map<String, Object> state, Map<String, Object> frame) {
    List<Object> events = Json.array(frame.get("events"));
    if (events != null) for (Object e : events) {
      Map<String, Object> event = Json.object(e);
      if (event != null) apply(state, event);
    }
    long t = Json.integer(frame.get("t"), 0);
    if (t > Json.integer(state.get("clock"), 0)) state.put("clock", t);
    state.put("seq", Json.integer(frame.get("seq"), Json.integer(state.get("seq"), 0)));
  }

  /** Applies one event; `clock` becomes the latest session time seen. */
  public static void apply(Map<String, Object> s, Map<String, Object> e) {
    String type = Json.string(e.get("type"));
    if (type == null) return;
    long page = Json.integer(e.get("page"), 0);
    switch (type) {
      case "session-start":
        s.put("started", true);
        s.put("title", e.get("title"));
        s.put("presenter", e.get("presenter"));
        break;
      case "session-stop":
        s.put("ended", true);
        break;
      case "deck-open":
        s.put("deck", copy(e.get("deck")));
        s.put("page", 1L);
        s.put("ink", new LinkedHashMap<String, Object>());
        s.put("drawing", new LinkedHashMap<String, Object>());
        s.put("pointer", null);
        break;
      case "page": {
        if (page < 1) break;
        Map<String, Object> deck = Json.object(s.get("deck"));
        s.put("page", deck != null ? Math.min(page, Json.integer(deck.get("pages"), page)) : page);
        break;
      }
      case "ink-progress": {
        // Bounded as in protocol/reducer.ts: MAX_POINT_NUMBERS a stroke being drawn, MAX_DRAWING of them.
        Map<String, Object> drawing = objectField(s, "drawing");
        String id = Json.string(e.get("stroke"));
        Map<String, Object> cur = Json.object(drawing.get(id));
        List<Object> added = listOrEmpty(e.get("points"));
        if (cur != null) {
          List<Object> points = new ArrayList<>(listOrEmpty(cur.get("points")));
          int room = Math.max(0, MAX_POINT_NUMBERS - points.size());
          points.addAll(added.subList(0, Math.min(room, added.size())));
          cur.put("points", points);
        } else if (drawing.size() < MAX_DRAWING) {
          Map<String, Object> next = style(e);
          List<Object> points = Json.array(next.get("points"));
          if (points.size() > MAX_POINT_NUMBERS) next.put("points", new ArrayList<>(points.subList(0, MAX_POINT_NUMBERS)));
          next.put("page", page);
          drawing.put(id, next);
        }
        break;
      }
      case "ink-stroke": {
        Map<String, Object> done = style(e);
        List<Object> strokes = pageInk(s, page);
        boolean replaced = false;
        for (int i = 0; i < strokes.size(); i++) {
          Map<String, Object> st = Json.object(strokes.get(i));
          if (st != null && done.get("stroke").equals(st.get("stroke"))) {
            strokes.set(i, done);
            replaced = true;
            break;
          }
        }
        if (!replaced) strokes.add(done);
        setInk(s, page, strokes);
        objectField(s, "drawing").remove(Json.string(e.get("stroke")));
        break;
      }
      case "ink-erase": {
        Set<Object> gone = new HashSet<>(listOrEmpty(e.get("strokes")));
        List<Object> strokes = pageInk(s, page);
        strokes.removeIf(st -> Json.object(st) != null && gone.contains(Json.object(st).get("stroke")));
        setInk(s, page, strokes);
        dropDrawing(s, page, gone);
        break;
      }
      case "ink-undo": {
        List<Object> strokes = pageInk(s, page);
        if (!strokes.isEmpty()) {
          strokes.remove(strokes.size() - 1);
          setInk(s, page, strokes);
        }
        break;
      }
      case "ink-clear":
        setInk(s, page, new ArrayList<>());
        dropDrawing(s, page, null);
        break;
      case "pointer":
        if (e.get("x") == null || e.get("y") == null) s.put("pointer", null);
        else s.put("pointer", Json.obj("page", page, "x", e.get("x"), "y", e.get("y")));
        break;
      case "presenter":
        s.remove("presenterJid");
        s.put("presenter", e.get("nick"));
        break;
      case "recording": {
        Map<String, Object> rec = Json.obj("state", e.get("state"), "bytes", e.get("bytes"), "duration", e.get("duration"));
        if (e.containsKey("reason")) rec.put("reason", e.get("reason"));
        s.put("recording", rec);
        break;
      }
      default:
        break; // an event type from a later protocol: nothing this client draws
    }
    long t = Json.integer(e.get("t"), 0);
    if (t > Json.integer(s.get("clock"), 0)) s.put("clock", t);
  }

  private static Map<String, Object> style(Map<String, Object> e) {
    return Json.obj("stroke", e.get("stroke"), "tool", e.get("tool"), "color", e.get("color"), "width", e.get("width"), "points", new ArrayList<>(listOrEmpty(e.get("points"))));
  }

  private static Map<String, Object> objectField(Map<String, Object> s, String key) {
    Map<String, Object> m = Json.object(s.get(key));
    if (m == null) {
      m = new LinkedHashMap<>();
      s.put(key, m);
    }
    return m;
  }

  private static List<Object> listOrEmpty(Object v) {
    List<Object> l = Json.array(v);
    return l != null ? l : new ArrayList<>();
  }

  /** A copy of the page's finished strokes (empty when it has none). */
  private static List<Object> pageInk(Map<String, Object> s, long page) {
    return new ArrayList<>(listOrEmpty(objectField(s, "ink").get(String.valueOf(page))));
  }

  /** Sets the page's strokes; an empty list removes the page's key (the state stays canonical). */
  private static void setInk(Map<String, Object> s, long page, List<Object> strokes) {
    Map<String, Object> ink = objectField(s, "ink");
    if (strokes.isEmpty()) ink.remove(String.valueOf(page));
    else ink.put(String.valueOf(page), strokes);
  }

  /** Drops the strokes being drawn on `page` (only those in `ids` unless it is null). */
  private static void dropDrawing(Map<String, Object> s, long page, Set<Object> ids) {
    Iterator<Map.Entry<String, Object>> it = objectField(s, "drawing").entrySet().iterator();
    while (it.hasNext()) {
      Map.Entry<String, Object> d = it.next();
      Map<String, Object> st = Json.object(d.getValue());
      if (st != null && Json.integer(st.get("page"), -1) == page && (ids == null || ids.contains(d.getKey()))) it.remove();
    }
  }

  private static Object copy(Object v) {
    return v == null ? null : Json.parse(Json.write(v));
  }
}
