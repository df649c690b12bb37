/**
 * The room's chat in the web client (web-client/src/app/chat.ts), in Node: real @xmpp/xml
 * stanzas in, as Prosody delivers them; what is shown out. Live messages, what is not chat
 * (the relay, bundles, fallback bodies), duplicates, refusals by the room, and the merge of
 * the meeting's chat record with what arrived live.
 *
 * The record answers over a scripted connection (the XmppLike the session layer runs on)
 * with the protocol's own codec and bounds (protocol/chat.ts), as the component's chat-log
 * feature does; the same client over a real Prosody and component is covered by
 * test/integration/chat-history.test.ts and test/integration/prosody-guard.test.ts.
 */
import { describe, expect, it } from "vitest";
import xml, { type Element } from "@xmpp/xml";
import { CHAT_HISTORY, decodeChatRequest, encodeChatHistory, fitChatReply, type ChatEntry } from "../../protocol/chat.ts";
import { NS } from "../../protocol/namespaces.ts";
import { encodeError } from "../../protocol/stanza-error.ts";
import { MAX_CHAT_CHARS, RoomChat, type ChatMessage } from "../../web-client/src/app/chat.ts";
import type { XmppLike } from "../../client-core/xmpp-like.ts";

const ROOM = "q4zt8w@rooms.localhost";
const MEETING = "q4zt8w@deckcast.localhost";
const RELAY = "deckcast";

/** A connection whose only other side is the meeting's chat record (answered like the component does). */
class Scripted implements XmppLike {
  sent: Element[] = [];
  /** What the record holds, in seq order. */
  record: ChatEntry[] = [];
  /** The `after` of every history request (null: the latest). */
  asked: (number | null)[] = [];
  /** Makes the next answer unreadable. */
  garble = false;
  /** Held answers: each request waits until `release()`. */
  hold = false;
  #held: (() => void)[] = [];

  async send(el: Element): Promise<void> {
    this.sent.push(el);
  }
  iqCaller = {
    request: async (el: Element): Promise<Element> => {
      const req = decodeChatRequest(el.getChild("chat", NS.deckcast)!);
      if (!req.ok || el.attrs.to !== MEETING || el.attrs.type !== "get") throw new Error("unexpected request");
      const { after } = req.value;
      this.asked.push(after);
      if (this.hold) await new Promise<void>((r) => this.#held.push(r));
      if (this.garble) return xml("iq", { type: "result", from: MEETING }, xml("chat", { xmlns: NS.deckcast, last: "x" }));
      const entries = after === null ? this.record.slice(-CHAT_HISTORY.maxMessages) : this.record.filter((e) => e.seq > after).slice(0, CHAT_HISTORY.maxMessages);
      const last = this.record.at(-1)?.seq ?? 0;
      return xml("iq", { type: "result", from: MEETING }, encodeChatHistory({ last, messages: fitChatReply(entries, after === null ? "last" : "first") }));
    },
  };
  release() {
    for (const r of this.#held.splice(0)) r();
  }
  on(): unknown {
    return this;
  }
  off(): unknown {
    return this;
  }
}

/** A groupchat as the room relays it. */
function groupchat(nick: string, body: string | null, opts: { id?: string; from?: string; extra?: Element[] } = {}): Element {
  const attrs: Record<string, string> = { type: "groupchat", from: opts.from ?? `${ROOM}/${nick}`, to: "fern@localhost/web" };
  if (opts.id !== undefined) attrs.id = opts.id;
  return xml("message", attrs, ...(body === null ? [] : [xml("body", {}, body)]), ...(opts.extra ?? []));
}

/** `withRecord`: false for a room without a meeting's record to ask (no `meeting` given). */
function chat(withRecord = true) {
  const conn = new Scripted();
  const c = new RoomChat(conn, ROOM, "Fern", withRecord ? MEETING : undefined);
  const feed = (el: Element) => c.onStanza(el, (nick) => nick === RELAY);
  const events = { messages: [] as ChatMessage[], changes: 0 };
  c.on("message", (m) => events.messages.push(m));
  c.on("change", () => events.changes++);
  return { conn, c, feed, events };
}

const texts = (c: RoomChat) => c.messages.map((m) => `${m.nick}: ${m.text}`);
let seq = 0;
const entry = (nick: string, text: string, id?: string, s = ++seq): ChatEntry => ({ seq: s, ts: 1_700_000_000_000 + s, nick, text, ...(id === undefined ? {} : { id }) });

describe("room chat: live messages", () => {
  it("shows groupchat bodies from people in the room, marking this person's own", () => {
    const { c, feed, events } = chat();
    feed(groupchat("Ann", "hello", { id: "a1" }));
    feed(groupchat("Fern", "hi Ann", { id: "f1" }));
    expect(texts(c)).toEqual(["Ann: hello", "Fern: hi Ann"]);
    expect(c.messages.map((m) => m.self)).toEqual([false, true]);
    expect(c.messages.map((m) => m.id)).toEqual(["a1", "f1"]);
    expect(events.messages.map((m) => m.text)).toEqual(["hello", "hi Ann"]);
    expect(events.changes).toBe(2);
  });

  it("skips the relay, bundles and fallback bodies, empty or missing bodies, other rooms and other message types", () => {
    const { c, feed, events } = chat();
    feed(groupchat(RELAY, "Page 3 of 9"));
    feed(groupchat("Ann", "Page 3", { extra: [xml("bundle", { xmlns: NS.deckcast, id: "b1" })] }));
    feed(groupchat("Ann", "Page 3", { extra: [xml("fallback", { xmlns: NS.fallback })] }));
    feed(groupchat("Ann", ""));
    feed(groupchat("Ann", null, { extra: [xml("subject", {}, "Topic")] }));
    feed(groupchat("Ann", "elsewhere", { from: "other@rooms.localhost/Ann" }));
    feed(groupchat("", "the room itself", { from: ROOM }));
    feed(xml("message", { type: "chat", from: `${ROOM}/Ann` }, xml("body", {}, "private")));
    feed(xml("presence", { from: `${ROOM}/Ann` }));
    expect(c.messages).toEqual([]);
    expect(events.changes).toBe(0);
  });

  it("shows a message once when it comes again with the same sender and id; the same id from someone else is another message", () => {
    const { c, feed } = chat();
    feed(groupchat("Ann", "hello", { id: "m1" }));
    feed(groupchat("Ann", "hello", { id: "m1" }));
    feed(groupchat("Bob", "hello", { id: "m1" }));
    expect(texts(c)).toEqual(["Ann: hello", "Bob: hello"]);
  });

  it("messages without an id (stock clients) are all shown, each with its own key", () => {
    const { c, feed } = chat();
    feed(groupchat("stock", "ok"));
    feed(groupchat("stock", "ok"));
    expect(texts(c)).toEqual(["stock: ok", "stock: ok"]);
    expect(new Set(c.messages.map((m) => m.id)).size).toBe(2);
  });

  it("keeps the latest 300 messages", () => {
    const { c, feed } = chat();
    for (let i = 1; i <= 310; i++) feed(groupchat("Ann", `n${i}`, { id: `id${i}` }));
    expect(c.messages.length).toBe(300);
    expect(c.messages[0]!.text).toBe("n11");
    expect(c.messages.at(-1)!.text).toBe("n310");
  });
});

describe("room chat: sending and refusals", () => {
  it("sends trimmed text as a groupchat with an id, at most MAX_CHAT_CHARS; blank text is not sent", async () => {
    const { conn, c } = chat();
    await c.send("   ");
    expect(conn.sent).toEqual([]);
    await c.send("  hello  ");
    await c.send("x".repeat(MAX_CHAT_CHARS + 50));
    expect(conn.sent.map((el) => [el.name, el.attrs.type, el.attrs.to, el.getChildText("body")?.length])).toEqual([
      ["message", "groupchat", ROOM, 5],
      ["message", "groupchat", ROOM, MAX_CHAT_CHARS],
    ]);
    expect(conn.sent[0]!.getChildText("body")).toBe("hello");
    const ids = conn.sent.map((el) => String(el.attrs.id));
    expect(ids[0]).toMatch(/^chat-[a-z0-9]{10}$/);
    expect(ids[0]).not.toBe(ids[1]);
    expect(c.messages).toEqual([]); // shown when the room echoes it
  });

  it("shows our own message once when the room echoes it", async () => {
    const { conn, c, feed } = chat();
    await c.send("one");
    const id = String(conn.sent[0]!.attrs.id);
    feed(groupchat("Fern", "one", { id }));
    feed(groupchat("Fern", "one", { id }));
    expect(c.messages).toEqual([expect.objectContaining({ id, nick: "Fern", text: "one", self: true })]);
    expect(c.messages[0]!.refused).toBeUndefined();
  });

  it("a message the room refused shows as not sent, with the reason in plain words and a preview of the text", async () => {
    const { conn, c, feed } = chat();
    const long = `${"a".repeat(70)} end`;
    await c.send("too fast");
    await c.send(long);
    const [fast, big] = conn.sent.map((el) => String(el.attrs.id));
    feed(xml("message", { type: "error", from: ROOM, id: fast }, xml("body", {}, "too fast"), encodeError("rate-limited")));
    feed(xml("message", { type: "error", from: ROOM, id: big }, xml("error", { type: "modify" }, xml("policy-violation", { xmlns: NS.stanzas }), xml("text", { xmlns: NS.stanzas }, "<script>"))));
    expect(c.messages.map((m) => [m.refused, m.self, m.nick])).toEqual([
      [true, true, "Fern"],
      [true, true, "Fern"],
    ]);
    expect(c.messages[0]!.text).toBe("Not sent (“too fast”): You are sending messages too fast. Wait a moment and try again.");
    expect(c.messages[1]!.text).toBe(`Not sent (“${"a".repeat(60)}…”): The server refused that as too large or too fast.`); // never the server's own text
    // Said once: the same error again, an error for an id we never sent, one from elsewhere, are ignored.
    feed(xml("message", { type: "error", from: ROOM, id: fast }, encodeError("rate-limited")));
    feed(xml("message", { type: "error", from: ROOM, id: "chat-unknown" }, encodeError("rate-limited")));
    await c.send("third");
    const third = String(conn.sent[2]!.attrs.id);
    feed(xml("message", { type: "error", from: `${ROOM}/Ann`, id: third }, encodeError("rate-limited")));
    expect(c.messages.length).toBe(2);
  });

  it("an error after the room echoed the message is not a refusal", async () => {
    const { conn, c, feed } = chat();
    await c.send("fine");
    const id = String(conn.sent[0]!.attrs.id);
    feed(groupchat("Fern", "fine", { id }));
    feed(xml("message", { type: "error", from: ROOM, id }, encodeError("rate-limited")));
    expect(texts(c)).toEqual(["Fern: fine"]);
  });
});

describe("room chat: history from the meeting's record", () => {
  it("without a meeting there is no record to ask", async () => {
    const { conn, c } = chat(false);
    await c.catchUp();
    expect(conn.asked).toEqual([]);
    expect(c.messages).toEqual([]);
  });

  it("the first catch-up takes the latest messages; later ones ask for what came after the last seq known", async () => {
    const { conn, c, events } = chat();
    conn.record = [entry("Ann", "before 1", "a1"), entry("Bob", "before 2", "b1")];
    await c.catchUp();
    expect(conn.asked).toEqual([null]);
    expect(texts(c)).toEqual(["Ann: before 1", "Bob: before 2"]);
    expect(c.messages.map((m) => [m.seq, m.at, m.self])).toEqual([
      [conn.record[0]!.seq, conn.record[0]!.ts, false],
      [conn.record[1]!.seq, conn.record[1]!.ts, false],
    ]);
    expect(events.messages).toEqual([]); // history is no new message (no unread count)
    conn.record.push(entry("Fern", "mine, from another tab", "f9"));
    await c.catchUp();
    expect(conn.asked).toEqual([null, conn.record[1]!.seq]);
    expect(c.messages.at(-1)).toMatchObject({ text: "mine, from another tab", self: true });
    await c.catchUp(); // nothing new: nothing changes
    expect(c.messages.length).toBe(3);
  });

  it("merges with what arrived live: a message seen live gets its seq and shows once (by id, or by nick and text without one)", async () => {
    const { conn, c, feed } = chat();
    const old = entry("Ann", "old", "a0");
    const live = entry("Ann", "live with id", "a1");
    const stock = entry("stock", "live without id");
    conn.record = [old, live, stock];
    feed(groupchat("Ann", "live with id", { id: "a1" }));
    feed(groupchat("stock", "live without id"));
    await c.catchUp();
    expect(texts(c)).toEqual(["Ann: old", "Ann: live with id", "stock: live without id"]);
    expect(c.messages.map((m) => m.seq)).toEqual([old.seq, live.seq, stock.seq]);
    // Later live copies are still recognised.
    feed(groupchat("Ann", "live with id", { id: "a1" }));
    feed(groupchat("Ann", "old", { id: "a0" }));
    expect(c.messages.length).toBe(3);
  });

  it("a phone's message read from the record names the phone and the bridge, as it did live", async () => {
    const { conn, c, feed } = chat();
    const live = { ...entry("bridge", "seen live", "p1"), phone: "Kim" };
    const missed = { ...entry("bridge", "missed", "p2"), phone: "Kim" };
    conn.record = [live, missed];
    feed(groupchat("bridge", "seen live", { id: "p1", extra: [xml("phone", { xmlns: NS.deckcast, name: "Kim" })] }));
    await c.catchUp();
    expect(texts(c)).toEqual(["Kim (phone, via bridge): seen live", "Kim (phone, via bridge): missed"]);
  });

  it("places recorded messages by seq; one not yet in the record stays after the message before it", async () => {
    const { conn, c, feed } = chat();
    const e1 = entry("Ann", "one", "a1");
    const e2 = entry("Bob", "two", "b2");
    const e3 = entry("Ann", "three", "a3");
    conn.record = [e1, e2];
    await c.catchUp();
    feed(groupchat("Gus", "not recorded yet", { id: "g1" })); // e.g. the component was away
    conn.record.push(e3);
    feed(groupchat("Ann", "three", { id: "a3" }));
    await c.catchUp();
    expect(texts(c)).toEqual(["Ann: one", "Bob: two", "Gus: not recorded yet", "Ann: three"]);
    expect(c.messages.map((m) => m.seq)).toEqual([e1.seq, e2.seq, undefined, e3.seq]);
  });

  it("a live message that came before the missed ones were read goes after them (a reconnect, a join)", async () => {
    const { conn, c, feed } = chat();
    conn.record = [entry("Gus", "before the drop", "g1")];
    await c.catchUp();
    conn.record.push(entry("Gus", "while you were away 1", "g2"), entry("Gus", "while you were away 2", "g3"));
    feed(groupchat("Gus", "after the return", { id: "g4" })); // live, before the catch-up's answer
    await c.catchUp();
    expect(texts(c)).toEqual(["Gus: before the drop", "Gus: while you were away 1", "Gus: while you were away 2", "Gus: after the return"]);
    // Joining: what was said before comes before what arrived live while the history loaded.
    const late = chat();
    late.conn.record = [entry("Ann", "earlier", "a1")];
    late.feed(groupchat("Ann", "just now", { id: "a2" }));
    await late.c.catchUp();
    expect(texts(late.c)).toEqual(["Ann: earlier", "Ann: just now"]);
  });

  it("after a drop, reads everything missed in as many answers as it takes; the first catch-up never pages back", async () => {
    const { conn, c } = chat();
    conn.record = Array.from({ length: 150 }, (_, i) => entry("Ann", `early ${i}`, `e${i}`));
    await c.catchUp();
    expect(conn.asked).toEqual([null]);
    expect(c.messages.length).toBe(CHAT_HISTORY.maxMessages); // the latest 100 only
    const known = conn.record.at(-1)!.seq;
    conn.record.push(...Array.from({ length: 250 }, (_, i) => entry("Bob", `missed ${i}`, `m${i}`)));
    await c.catchUp();
    expect(conn.asked).toEqual([null, known, known + 100, known + 200]);
    expect(c.messages.length).toBe(300); // KEEP
    expect(c.messages.at(-1)!.text).toBe("missed 249");
    const seqs = c.messages.map((m) => m.seq!);
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
  });

  it("concurrent catch-ups share one run, and one more after it", async () => {
    const { conn, c } = chat();
    conn.record = [entry("Ann", "one", "a1")];
    conn.hold = true;
    const first = c.catchUp();
    const second = c.catchUp();
    const third = c.catchUp();
    expect(second).toBe(first);
    expect(third).toBe(first);
    await Promise.resolve();
    conn.release();
    await new Promise((r) => setTimeout(r, 0)); // the answer is read; the second run starts
    conn.release();
    await first;
    expect(conn.asked).toEqual([null, conn.record[0]!.seq]);
    expect(texts(c)).toEqual(["Ann: one"]);
  });

  it("an unreadable answer rejects the catch-up and keeps what was shown", async () => {
    const { conn, c, feed } = chat();
    feed(groupchat("Ann", "live", { id: "a1" }));
    conn.garble = true;
    await expect(c.catchUp()).rejects.toThrow(/bad chat history/);
    expect(texts(c)).toEqual(["Ann: live"]);
    conn.garble = false;
    conn.record = [entry("Ann", "live", "a1")];
    await c.catchUp(); // the next try works
    expect(c.messages.map((m) => m.seq)).toEqual([conn.record[0]!.seq]);
  });
});
