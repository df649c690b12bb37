// The chat history wire shapes (protocol/chat.ts, docs/protocol.md §Chat history).
import { describe, expect, it } from "vitest";
import { CHAT_HISTORY, chatSender, chatText, decodeChatHistory, decodeChatRequest, encodeChatEntry, encodeChatHistory, encodeChatRequest, fitChatReply, validateChatEntry, type ChatEntry } from "../../protocol/chat.ts";
import { parseXml } from "../../protocol/parse.ts";

const entry = (seq: number, text = `message ${seq}`, extra: Partial<ChatEntry> = {}): ChatEntry => ({ seq, ts: 1_763_773_923_000 + seq, nick: "fern", id: `m${seq}`, text, ...extra });
/** Through the real serialiser and parser, as it travels. */
const wire = (el: ReturnType<typeof encodeChatHistory>) => parseXml(el.toString());

describe("the chat request", () => {
  it("round-trips with and without after", () => {
    expect(decodeChatRequest(wire(encodeChatRequest(41)))).toEqual({ ok: true, value: { after: 41 } });
    expect(decodeChatRequest(wire(encodeChatRequest()))).toEqual({ ok: true, value: { after: null } });
    expect(decodeChatRequest(wire(encodeChatRequest(0)))).toEqual({ ok: true, value: { after: 0 } });
  });

  it.each(["-1", "1.5", "1e3", "x", "", "9007199254740992"])("refuses after=%j with a path", (after) => {
    const r = decodeChatRequest(parseXml(`<chat xmlns="urn:deckcast:0" after="${after}"/>`));
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.error.code).toBe("bad-request");
      expect(r.error.path).toBe("chat@after");
    }
  });

  it("refuses another element", () => {
    const r = decodeChatRequest(parseXml(`<state xmlns="urn:deckcast:0"/>`));
    expect(r.ok).toBe(false);
  });
});

describe("the chat answer", () => {
  it("round-trips messages, with and without ids, with line breaks, emoji and markup characters", () => {
    const h = { last: 9, messages: [entry(3, "two\nlines\tand <b>&amp;</b>"), entry(5, "😀 你好", { id: undefined }), entry(9)] };
    delete h.messages[1]!.id;
    expect(decodeChatHistory(wire(encodeChatHistory(h)))).toEqual({ ok: true, value: h });
  });

  it("carries a phone user's name given by a bridge, and refuses one no reader accepts", () => {
    const h = { last: 4, messages: [{ ...entry(4, "from the bus"), phone: "Fern" }] };
    expect(decodeChatHistory(wire(encodeChatHistory(h)))).toEqual({ ok: true, value: h });
    expect(chatSender(h.messages[0]!)).toBe(`Fern (phone, via ${h.messages[0]!.nick})`);
    expect(chatSender(entry(1))).toBe(entry(1).nick);
    const r = decodeChatHistory(parseXml(`<chat xmlns="urn:deckcast:0" last="1"><msg seq="1" ts="5" nick="a" phone="">hi</msg></chat>`));
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error.path).toBe("chat/msg[1]@phone");
  });

  it("ignores elements in other namespaces", () => {
    const r = decodeChatHistory(parseXml(`<chat xmlns="urn:deckcast:0" last="1"><x xmlns="urn:example"/><msg seq="1" ts="5" nick="a">hi</msg></chat>`));
    expect(r).toEqual({ ok: true, value: { last: 1, messages: [{ seq: 1, ts: 5, nick: "a", text: "hi" }] } });
  });

  it.each([
    [`<chat xmlns="urn:deckcast:0"/>`, "chat@last"],
    [`<chat xmlns="urn:deckcast:0" last="2"><msg seq="0" ts="1" nick="a">x</msg></chat>`, "chat/msg[1]@seq"],
    [`<chat xmlns="urn:deckcast:0" last="2"><msg seq="1" ts="1" nick="">x</msg></chat>`, "chat/msg[1]@nick"],
    [`<chat xmlns="urn:deckcast:0" last="2"><msg seq="1" ts="1" nick="a"></msg></chat>`, "chat/msg[1]/text()"],
    [`<chat xmlns="urn:deckcast:0" last="2"><msg seq="2" ts="1" nick="a">x</msg><msg seq="2" ts="1" nick="a">y</msg></chat>`, "chat/msg[2]@seq"],
    [`<chat xmlns="urn:deckcast:0" last="2"><msg seq="3" ts="1" nick="a">x</msg></chat>`, "chat/msg[1]@seq"],
    [`<chat xmlns="urn:deckcast:0" last="2"><bundle/></chat>`, "chat/bundle"],
    [`<chat xmlns="urn:deckcast:0" last="2"><msg seq="1" ts="1" nick="a" id="">x</msg></chat>`, "chat/msg[1]@id"],
  ])("refuses %s at %s", (text, path) => {
    const r = decodeChatHistory(parseXml(text));
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error.path).toBe(path);
  });

  it(`refuses more than ${CHAT_HISTORY.maxMessages} messages and text over ${CHAT_HISTORY.maxText} code points`, () => {
    const many = { last: 101, messages: Array.from({ length: 101 }, (_, i) => entry(i + 1)) };
    expect(decodeChatHistory(wire(encodeChatHistory(many))).ok).toBe(false);
    const long = decodeChatHistory(wire(encodeChatHistory({ last: 1, messages: [entry(1, "é".repeat(CHAT_HISTORY.maxText + 1))] })));
    expect(long.ok).toBe(false);
    const fits = decodeChatHistory(wire(encodeChatHistory({ last: 1, messages: [entry(1, "😀".repeat(CHAT_HISTORY.maxText))] })));
    expect(fits.ok).toBe(true); // code points, not UTF-16 units or bytes
  });
});

describe("bounds of one answer", () => {
  const bytes = (es: ChatEntry[]) => es.reduce((n, e) => n + Buffer.byteLength(encodeChatEntry(e).toString()), 0);

  it(`takes at most ${CHAT_HISTORY.maxMessages} messages, from the start or the end`, () => {
    const es = Array.from({ length: 250 }, (_, i) => entry(i + 1));
    expect(fitChatReply(es, "first").map((e) => e.seq)).toEqual(es.slice(0, 100).map((e) => e.seq));
    expect(fitChatReply(es, "last").map((e) => e.seq)).toEqual(es.slice(-100).map((e) => e.seq));
  });

  it(`stops before ${CHAT_HISTORY.maxBytes} bytes of XML (UTF-8), keeping the newest when asked for the latest`, () => {
    const es = Array.from({ length: 50 }, (_, i) => entry(i + 1, "你".repeat(CHAT_HISTORY.maxText))); // ~12 KB each
    const first = fitChatReply(es, "first");
    const last = fitChatReply(es, "last");
    expect(bytes(first)).toBeLessThanOrEqual(CHAT_HISTORY.maxBytes);
    expect(first.length).toBe(5);
    expect(first[0]!.seq).toBe(1);
    expect(last.length).toBe(5);
    expect(last.at(-1)!.seq).toBe(50);
    expect(last.map((e) => e.seq)).toEqual([46, 47, 48, 49, 50]);
  });

  it("always carries one message when there is one", () => {
    expect(fitChatReply([entry(1, "x".repeat(CHAT_HISTORY.maxText))], "first")).toHaveLength(1);
    expect(fitChatReply([], "last")).toEqual([]);
  });
});

describe("what the log keeps of a body", () => {
  it("cuts to maxText code points and replaces characters XML cannot carry", () => {
    expect([...chatText("😀".repeat(5000))]).toHaveLength(CHAT_HISTORY.maxText);
    expect(chatText("a\u0001b\ufffe\nc")).toBe("a\ufffdb\ufffd\nc");
    expect(validateChatEntry({ seq: 1, ts: 1, nick: "n", text: chatText("x\u0000y") }).ok).toBe(true);
  });
});
