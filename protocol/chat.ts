/**
 * Chat history on the wire (docs/protocol.md §Chat history): the `<chat after="N"/>` request
 * a client sends to a meeting, the `<chat last="L">` answer with the room's recorded
 * messages as `<msg>` children, their validation, the reply's bounds, and the shape one
 * recorded message has (the component's chat log stores the same object). Pure: no I/O;
 * never throws on input; errors are `bad-request` with a path like `chat/msg[3]@seq`.
 */

import { CHAT_LIMITS } from "./chat-limits.ts";
import xml, { type Element } from "@xmpp/xml";
import { attrAt, Checker, describe, isRecord, textAt } from "./check.ts";
import { LIMITS, NS } from "./namespaces.ts";
import { phoneSenderLabel } from "./phone-chat.ts";
import { fail, ok } from "./result.ts";
import type { Result } from "./types.ts";
import { attr, childElements, isElement, localName, nsOf, numAttr, textOf } from "./xml-read.ts";

/** One chat message as the component recorded it. */
export interface ChatEntry {
  /** The meeting's chat sequence number: from 1, strictly increasing (gaps are allowed). */
  seq: number;
  /** Server time (Unix ms) the component received it. */
  ts: number;
  /** The sender's nick in the room. */
  nick: string;
  /** The message stanza's id, when it had a usable one. */
  id?: string;
  /** The first `<body>`'s text, at most CHAT_HISTORY.maxText code points. */
  text: string;
  /** The phone user's name when a phone bridge sent it for a phone (protocol/phone-chat.ts). */
  phone?: string;
}

/** How readers name a recorded message's sender: the nick, or "Fern (phone, via <nick>)". */
export function chatSender(e: Pick<ChatEntry, "nick" | "phone">): string {
  return e.phone === undefined ? e.nick : phoneSenderLabel(e.phone, e.nick);
}

/** A `<chat>` answer: messages in seq order, and the meeting's last chat seq now. */
export interface ChatHistory {
  last: number;
  messages: ChatEntry[];
}

export const CHAT_HISTORY = {
  /** Messages in one answer. */
  maxMessages: 100,
  /** UTF-8 bytes of the answer's `<msg>` elements, serialised. */
  maxBytes: 64 * 1024,
  /** Code points of one message's text (the room's own default cap). */
  maxText: CHAT_LIMITS.maxBodyChars,
  /** Characters of a message id. */
  maxId: 128,
} as const;

// Text chat may hold tabs and line breaks; everything else `text` refuses (check.ts) is refused here too.
const BAD_CHAT_CHAR = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f\ufffe\uffff]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;
const BAD_CHAT_CHAR_ONE = new RegExp(BAD_CHAT_CHAR.source);

/**
 * A body as the log keeps it: characters XML cannot carry replaced by U+FFFD, then cut to
 * maxText code points (a server configured for longer messages still records a bounded line).
 */
export function chatText(body: string): string {
  const clean = body.replace(BAD_CHAT_CHAR, "\ufffd");
  if (clean.length <= CHAT_HISTORY.maxText) return clean;
  return [...clean].slice(0, CHAT_HISTORY.maxText).join("");
}

/** Checks a recorded message (from the wire or from the chat log); `path` names it in errors. */
export function validateChatEntry(v: unknown, path = "msg"): Result<ChatEntry> {
  if (!isRecord(v)) return fail("bad-request", `a chat message must be an object, got ${describe(v)}`, path);
  const c = new Checker("bad-request");
  const seq = c.int(v.seq, attrAt(path, "seq"), 1);
  const ts = c.int(v.ts, attrAt(path, "ts"));
  const nick = c.nick(v.nick, attrAt(path, "nick"));
  const id = v.id === undefined ? undefined : c.text(v.id, attrAt(path, "id"), CHAT_HISTORY.maxId, true);
  const text = chatTextCheck(c, v.text, textAt(path, "text"));
  const phone = v.phone === undefined ? undefined : c.nick(v.phone, attrAt(path, "phone"));
  return c.result({ seq, ts, nick, ...(id === undefined ? {} : { id }), text, ...(phone === undefined ? {} : { phone }) });
}

function chatTextCheck(c: Checker, v: unknown, at: { path: string; name: string }): string {
  if (typeof v !== "string") {
    c.fail(at.path, `${at.name} must be a string, got ${describe(v)}`);
    return "";
  }
  const bad = BAD_CHAT_CHAR_ONE.exec(v);
  if (bad) {
    c.fail(at.path, `${at.name} contains a character XML cannot carry (U+${bad[0].charCodeAt(0).toString(16).toUpperCase().padStart(4, "0")})`);
    return "";
  }
  const length = v.length <= CHAT_HISTORY.maxText ? v.length : [...v].length;
  if (length === 0) c.fail(at.path, `${at.name} must not be empty`);
  else if (length > CHAT_HISTORY.maxText) c.fail(at.path, `${at.name} is ${length} characters; at most ${CHAT_HISTORY.maxText} allowed`);
  return v;
}

/** `<chat xmlns="urn:deckcast:0" after="N"/>`; without `after`: the latest messages. */
export function encodeChatRequest(after?: number): Element {
  return xml("chat", { xmlns: NS.deckcast, ...(after === undefined ? {} : { after: String(after) }) });
}

/** Reads a request: `after` is null when absent. */
export function decodeChatRequest(el: Element): Result<{ after: number | null }> {
  if (!isElement(el) || localName(el) !== "chat" || nsOf(el) !== NS.deckcast) return fail("bad-request", `expected <chat xmlns="${NS.deckcast}">`, "chat");
  const raw = numAttr(el, "after");
  if (raw === undefined) return ok({ after: null });
  const c = new Checker("bad-request");
  const after = c.int(raw, attrAt("chat", "after"));
  return c.result({ after });
}

/** The `<msg>` element for one message. */
export function encodeChatEntry(e: ChatEntry): Element {
  return xml("msg", { seq: String(e.seq), ts: String(e.ts), nick: e.nick, ...(e.id === undefined ? {} : { id: e.id }), ...(e.phone === undefined ? {} : { phone: e.phone }) }, e.text);
}

export function encodeChatHistory(h: ChatHistory): Element {
  return xml("chat", { xmlns: NS.deckcast, last: String(h.last) }, ...h.messages.map(encodeChatEntry));
}

/** Reads an answer: at most maxMessages messages, seq strictly increasing, none after `last`. */
export function decodeChatHistory(el: Element): Result<ChatHistory> {
  if (!isElement(el) || localName(el) !== "chat" || nsOf(el) !== NS.deckcast) return fail("bad-request", `expected <chat xmlns="${NS.deckcast}">`, "chat");
  const c = new Checker("bad-request");
  const last = c.int(numAttr(el, "last"), attrAt("chat", "last"));
  const r = c.result(last);
  if (!r.ok) return r;
  const messages: ChatEntry[] = [];
  let n = 0;
  for (const child of childElements(el)) {
    if (nsOf(child, NS.deckcast) !== NS.deckcast) continue; // other namespaces: extensions, ignored
    const name = localName(child);
    if (name !== "msg") return fail("bad-request", `unknown element <${name}> in ${NS.deckcast}`, `chat/${name}`);
    const path = `chat/msg[${++n}]`;
    if (n > CHAT_HISTORY.maxMessages) return fail("bad-request", `an answer holds at most ${CHAT_HISTORY.maxMessages} messages`, "chat");
    const m = validateChatEntry({ seq: numAttr(child, "seq"), ts: numAttr(child, "ts"), nick: attr(child, "nick"), id: attr(child, "id"), text: textOf(child), phone: attr(child, "phone") }, path);
    if (!m.ok) return m;
    const prev = messages.at(-1);
    if (prev && m.value.seq <= prev.seq) return fail("bad-request", `seq ${m.value.seq} is not greater than ${prev.seq}, the message before's`, `${path}@seq`);
    if (m.value.seq > last) return fail("bad-request", `seq ${m.value.seq} is after the last, ${last}`, `${path}@seq`);
    messages.push(m.value);
  }
  return ok({ last, messages });
}

const utf8 = new TextEncoder();

/**
 * The messages one answer may carry: at most maxMessages and maxBytes of `<msg>` XML, taken
 * from the start (`first`: the oldest after `after`) or from the end (`last`: the latest).
 * Never empty when `entries` is not: one message always fits (its text is bounded).
 */
export function fitChatReply(entries: readonly ChatEntry[], keep: "first" | "last"): ChatEntry[] {
  const ordered = keep === "first" ? entries.slice(0, CHAT_HISTORY.maxMessages) : entries.slice(-CHAT_HISTORY.maxMessages).reverse();
  const out: ChatEntry[] = [];
  let bytes = 0;
  for (const e of ordered) {
    bytes += utf8.encode(encodeChatEntry(e).toString()).length;
    if (bytes > CHAT_HISTORY.maxBytes && out.length > 0) break;
    out.push(e);
  }
  return keep === "first" ? out : out.reverse();
}

/** A nick as the room gave it, bounded to maxNick code points for the log. */
export function chatNick(nick: string): string {
  return nick.length <= LIMITS.maxNick ? nick : [...nick].slice(0, LIMITS.maxNick).join("");
}
