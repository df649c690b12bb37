/*
 * A small JSON reader and writer, so the client needs nothing beyond java.lang and java.util
 * (org.json ships with Android but not with the JDK; a real app may swap this for it).
 *
 * Values: null, Boolean, Long (integers that fit), Double (other numbers), String,
 * List<Object> (ArrayList), Map<String, Object> (LinkedHashMap, keys in document order).
 * The reader is strict (RFC 8259: one value, no trailing commas, no comments) and bounds nesting.
 */
package org.deckcast.phone;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

public final class Json {
  private Json() {}

  /** Thrown for text that is not one JSON value. */
  public static final class ParseException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    ParseException(String message, int at) {
      super(message + " at " + at);
    }
  }

  private static final int MAX_DEPTH = 64;

  public static Object parse(String text) {
    Reader r = new Reader(text);
    r.space();
    Object v = r.value(0);
    r.space();
    if (r.at != text.length()) throw new ParseException("text after the value", r.at);
    return v;
  }

  /** The value as an object, or null when it is not one. */
  @SuppressWarnings("unchecked")
  public static Map<String, Object> object(Object v) {
    return v instanceof Map ? (Map<String, Object>) v : null;
  }

  @SuppressWarnings("unchecked")
  public static List<Object> array(Object v) {
    return v instanceof List ? (List<Object>) v : null;
  }

  /** An integer field, or `fallback` when it is absent or not an integer. */
  public static long integer(Object v, long fallback) {
    if (v instanceof Long) return (Long) v;
    if (v instanceof Double) {
      double d = (Double) v;
      if (d == Math.rint(d) && Math.abs(d) < 9.007199254740992E15) return (long) d;
    }
    return fallback;
  }

  public static double number(Object v, double fallback) {
    return v instanceof Number ? ((Number) v).doubleValue() : fallback;
  }

  public static String string(Object v) {
    return v instanceof String ? (String) v : null;
  }

  /** A new object from alternating keys and values: obj("type", "hello", "v", 1). */
  public static Map<String, Object> obj(Object... kv) {
    Map<String, Object> m = new LinkedHashMap<>();
    for (int i = 0; i + 1 < kv.length; i += 2) m.put((String) kv[i], kv[i + 1]);
    return m;
  }

  public static String write(Object v) {
    StringBuilder sb = new StringBuilder();
    write(sb, v);
    return sb.toString();
  }

  private static void write(StringBuilder sb, Object v) {
    if (v == null) {
      sb.append("null");
    } else if (v instanceof String) {
      quote(sb, (String) v);
    } else if (v instanceof Boolean) {
      sb.append(((Boolean) v).booleanValue() ? "true" : "false");
    } else if (v instanceof Double || v instanceof Float) {
      double d = ((Number) v).doubleValue();
      if (Double.isNaN(d) || Double.isInfinite(d)) sb.append("null");
      else if (d == Math.rint(d) && Math.abs(d) < 1e15) sb.append((long) d);
      else sb.append(d);
    } else if (v instanceof Number) {
      sb.append(((Number) v).longValue());
    } else if (v instanceof Map) {
      sb.append('{');
      boolean first = true;
      for (Map.Entry<?, ?> e : ((Map<?, ?>) v).entrySet()) {
        if (!first) sb.append(',');
        first = false;
        quote(sb, String.valueOf(e.getKey()));
        sb.append(':');
        write(sb, e.getValue());
      }
      sb.append('}');
    } else if (v instanceof Iterable) {
      sb.append('[');
      Iterator<?> it = ((Iterable<?>) v).iterator();
      while (it.hasNext()) {
        write(sb, it.next());
        if (it.hasNext()) sb.append(',');
      }
      sb.append(']');
    } else {
      throw new IllegalArgumentException("not a JSON value: " + v.getClass().getName());
    }
  }

  private static void quote(StringBuilder sb, String s) {
    sb.append('"');
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '"': sb.append("\\\""); break;
        case '\\': sb.append("\\\\"); break;
        case '\n': sb.append("\\n"); break;
        case '\r': sb.append("\\r"); break;
        case '\t': sb.append("\\t"); break;
        case '\b': sb.append("\\b"); break;
        case '\f': sb.append("\\f"); break;
        default:
          // Control characters, and the two JavaScript line separators, escaped.
          if (c < 0x20 || c == '\u2028' || c == '\u2029') sb.append(String.format("\\u%04x", (int) c));
          else sb.append(c);
      }
    }
    sb.append('"');
  }

  private static final class Reader {
    final String s;
    int at;

    Reader(String s) {
      this.s = s;
    }

    ParseException fail(String what) {
      return new ParseException(what, at);
    }

    void space() {
      while (at < s.length()) {
        char c = s.charAt(at);
        if (c != ' ' && c != '\t' && c != '\n' && c != '\r') break;
        at++;
      }
    }

    void expect(char c) {
      if (at >= s.length() || s.charAt(at) != c) throw fail("expected '" + c + "'");
      at++;
    }

    Object value(int depth) {
      if (depth > MAX_DEPTH) throw fail("nested too deep");
      if (at >= s.length()) throw fail("unexpected end");
      char c = s.charAt(at);
      switch (c) {
        case '{': return object(depth);
        case '[': return array(depth);
        case '"': return string();
        case 't': word("true"); return Boolean.TRUE;
        case 'f': word("false"); return Boolean.FALSE;
        case 'n': word("null"); return null;
        default:
          if (c == '-' || (c >= '0' && c <= '9')) return number();
          throw fail("unexpected character");
      }
    }

    void word(String w) {
      if (!s.startsWith(w, at)) throw fail("expected " + w);
      at += w.length();
    }

    Map<String, Object> object(int depth) {
      expect('{');
      Map<String, Object> m = new LinkedHashMap<>();
      space();
      if (at < s.length() && s.charAt(at) == '}') {
        at++;
        return m;
      }
      while (true) {
        space();
        if (at >= s.length() || s.charAt(at) != '"') throw fail("expected a key");
        String key = string();
        space();
        expect(':');
        space();
        m.put(key, value(depth + 1));
        space();
        if (at < s.length() && s.charAt(at) == ',') {
          at++;
          continue;
        }
        expect('}');
        return m;
      }
    }

    List<Object> array(int depth) {
      expect('[');
      List<Object> list = new ArrayList<>();
      space();
      if (at < s.length() && s.charAt(at) == ']') {
        at++;
        return list;
      }
      while (true) {
        space();
        list.add(value(depth + 1));
        space();
        if (at < s.length() && s.charAt(at) == ',') {
          at++;
          continue;
        }
        expect(']');
        return list;
      }
    }

    String string() {
      expect('"');
      StringBuilder sb = new StringBuilder();
      while (true) {
        if (at >= s.length()) throw fail("unterminated string");
        char c = s.charAt(at++);
        if (c == '"') return sb.toString();
        if (c < 0x20) throw fail("control character in a string");
        if (c != '\\') {
          sb.append(c);
          continue;
        }
        if (at >= s.length()) throw fail("unterminated escape");
        char e = s.charAt(at++);
        switch (e) {
          case '"': sb.append('"'); break;
          case '\\': sb.append('\\'); break;
          case '/': sb.append('/'); break;
          case 'b': sb.append('\b'); break;
          case 'f': sb.append('\f'); break;
          case 'n': sb.append('\n'); break;
          case 'r': sb.append('\r'); break;
          case 't': sb.append('\t'); break;
          case 'u':
            if (at + 4 > s.length()) throw fail("short \\u escape");
            int code = 0;
            for (int i = 0; i < 4; i++) {
              int d = Character.digit(s.charAt(at++), 16);
              if (d < 0) throw fail("bad \\u escape");
              code = code * 16 + d;
            }
            sb.append((char) code);
            break;
          default:
            throw fail("bad escape");
        }
      }
    }

    Object number() {
      int start = at;
      boolean integral = true;
      if (s.charAt(at) == '-') at++;
      if (at >= s.length()) throw fail("bad number");
      if (s.charAt(at) == '0') {
        at++;
      } else if (s.charAt(at) >= '1' && s.charAt(at) <= '9') {
        while (at < s.length() && s.charAt(at) >= '0' && s.charAt(at) <= '9') at++;
      } else {
        throw fail("bad number");
      }
      if (at < s.length() && s.charAt(at) == '.') {
        integral = false;
        at++;
        int digits = at;
        while (at < s.length() && s.charAt(at) >= '0' && s.charAt(at) <= '9') at++;
        if (at == digits) throw fail("bad fraction");
      }
      if (at < s.length() && (s.charAt(at) == 'e' || s.charAt(at) == 'E')) {
        integral = false;
        at++;
        if (at < s.length() && (s.charAt(at) == '+' || s.charAt(at) == '-')) at++;
        int digits = at;
        while (at < s.length() && s.charAt(at) >= '0' && s.charAt(at) <= '9') at++;
        if (at == digits) throw fail("bad exponent");
      }
      String text = s.substring(start, at);
      if (integral && text.length() <= 18) return Long.parseLong(text);
      double d = Double.parseDouble(text);
      if (d == Math.rint(d) && Math.abs(d) < 9.007199254740992E15) return (long) d;
      return d;
    }
  }
}
