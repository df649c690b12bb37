/**
 * Room chat: plain XEP-0045 groupchat with a <body>, so stock XMPP clients in the room
 * take part too. Messages that carry a deckcast <bundle> (the relay's page-turn fallback
 * bodies) are not chat and are skipped, as are messages from the relay occupant. A phone's
 * message through the phone bridge shows as "Fern (phone, via <bridge nick>)".
 *
 * History (docs/protocol.md §Chat history): the component records the room's chat;
 * `catchUp` asks it for the latest messages the first time (a reload, a late joiner) and
 * for everything after the last chat seq it knows each time after (a reconnect), merging
 * by sender and message id with what arrived live, so nothing shows twice.
 */
import { CLIENT_CHAT_CHARS } from "../../../protocol/chat-limits.ts";
import xml, { type Element } from "@xmpp/xml";
import { chatSender, decodeChatHistory, encodeChatRequest, type ChatEntry } from "../../../protocol/chat.ts";
import { NS } from "../../../protocol/namespaces.ts";
import { phoneNameOf, phoneSenderLabel } from "../../../protocol/phone-chat.ts";
import { Emitter } from "../../../client-core/emitter.ts";
import type { XmppLike } from "../../../client-core/xmpp-like.ts";
import { describeStanzaError } from "./errors.ts";
import { randomId } from "./ids.ts";

export interface ChatMessage {
  id: string;
  nick: string;
  text: string;
  /** Unix ms when it arrived here. */
  at: number;
  self: boolean;
  /** A message of ours the room refused (too fast, too long): `text` says why. */
  refused?: boolean;
  /** Its chat seq in the meeting's record, once the history has told us. */
  seq?: number;
}

/** Longest message accepted from the text box (start-up checks the room allows it). */
export const MAX_CHAT_CHARS = CLIENT_CHAT_CHARS;
/** Messages kept in memory. */
const KEEP = 300;
/** History answers one catch-up reads at most (100 messages each). */
const MAX_ROUNDS = 20;

const keyOf = (nick: string, id: string) => `${nick}\n${id}`;

export class RoomChat extends Emitter<{ message: [ChatMessage]; change: [ChatMessage[]] }> {
  #messages: ChatMessage[] = [];
  /** Messages with a stanza id, by sender and id. */
  #byKey = new Map<string, ChatMessage>();
  /** Live messages that came without an id (stock clients) and are not yet matched to the record. */
  #unmatched: ChatMessage[] = [];
  /** The last chat seq the record has given us (null: never asked). */
  #lastSeq: number | null = null;
  #catching: Promise<void> | null = null;
  #catchAgain = false;
  /** Our messages not yet echoed by the room, by id (to say which one was refused). */
  #sent = new Map<string, string>();
  readonly #xmpp: XmppLike;
  readonly #room: string;
  readonly #myNick: string;
  readonly #meeting: string | undefined;

  /** `meeting` (code@component): where the history is asked for; without it there is none. */
  constructor(xmpp: XmppLike, room: string, myNick: string, meeting?: string) {
    super();
    this.#xmpp = xmpp;
    this.#room = room;
    this.#myNick = myNick;
    this.#meeting = meeting;
  }

  get messages(): ChatMessage[] {
    return this.#messages;
  }

  async send(text: string): Promise<void> {
    const body = text.trim().slice(0, MAX_CHAT_CHARS);
    if (!body) return;
    const id = `chat-${randomId(10)}`;
    this.#sent.set(id, body);
    if (this.#sent.size > KEEP) this.#sent.delete(this.#sent.keys().next().value!);
    await this.#xmpp.send(xml("message", { type: "groupchat", to: this.#room, id }, xml("body", {}, body)));
  }

  /** Feed every stanza; groupchat bodies from people in the room are taken. */
  onStanza(el: Element, isRelay: (nick: string) => boolean): void {
    if (el.name === "message" && el.attrs.type === "error") return this.#onRefused(el);
    if (el.name !== "message" || el.attrs.type !== "groupchat") return;
    const from = String(el.attrs.from ?? "");
    if (!from.startsWith(`${this.#room}/`)) return;
    const nick = from.slice(this.#room.length + 1);
    const body = el.getChildText("body");
    if (body === null || body === "" || isRelay(nick) || el.getChild("bundle", NS.deckcast) || el.getChild("fallback", NS.fallback)) return;
    const given = typeof el.attrs.id === "string" && el.attrs.id !== "" ? el.attrs.id : null;
    if (given !== null && this.#byKey.has(keyOf(nick, given))) return; // seen live, or from the record
    // A phone's message through a bridge names the bridge too (protocol/phone-chat.ts): nobody passes as someone else.
    const phone = phoneNameOf(el);
    const msg: ChatMessage = { id: given ?? `${nick}-${body}-${this.#messages.length}`, nick: phone === null ? nick : phoneSenderLabel(phone, nick), text: body, at: Date.now(), self: nick === this.#myNick };
    if (given !== null) {
      this.#byKey.set(keyOf(nick, given), msg);
      this.#sent.delete(given);
    } else {
      this.#unmatched.push(msg);
    }
    this.#add(msg);
  }

  /**
   * Fetches from the meeting's record what this chat has not seen: the latest messages the
   * first time, then everything after the last chat seq known. Concurrent calls share one run
   * (and one more after it). Rejects when the record cannot be read; what did arrive is kept.
   */
  catchUp(): Promise<void> {
    if (!this.#meeting) return Promise.resolve();
    if (this.#catching) {
      this.#catchAgain = true;
      return this.#catching;
    }
    this.#catching = (async () => {
      do {
        this.#catchAgain = false;
        await this.#fetch();
      } while (this.#catchAgain);
    })().finally(() => (this.#catching = null));
    return this.#catching;
  }

  async #fetch(): Promise<void> {
    for (let round = 0; round < MAX_ROUNDS; round++) {
      const after = this.#lastSeq;
      const res = await this.#xmpp.iqCaller.request(xml("iq", { type: "get", to: this.#meeting! }, encodeChatRequest(after ?? undefined)));
      const el = res.getChild("chat", NS.deckcast);
      const h = el ? decodeChatHistory(el) : null;
      if (!h?.ok) throw new Error(`bad chat history from the component${h ? `: ${h.error.path}: ${h.error.message}` : ""}`);
      const { last, messages } = h.value;
      this.#merge(messages);
      const newest = messages.at(-1)?.seq;
      // The first answer is the latest messages: older ones are not fetched.
      if (after === null || newest === undefined || last < (after ?? 0)) {
        this.#lastSeq = last;
        return;
      }
      this.#lastSeq = newest;
      if (newest >= last) return;
    }
  }

  /**
   * Takes recorded messages in: one already shown gets its seq; the others are placed by seq
   * among those shown, each before the first shown one with a greater seq. A message shown
   * without a seq (live, not yet in the record; a refusal) keeps its place; those after the
   * last recorded one came live after the gap this answer fills (a reconnect, a join), so what
   * the record adds goes before them.
   */
  #merge(entries: ChatEntry[]): void {
    const fresh: ChatMessage[] = [];
    for (const e of entries) {
      const shown = e.id !== undefined ? this.#byKey.get(keyOf(e.nick, e.id)) : this.#takeUnmatched(chatSender(e), e.text);
      if (shown) {
        shown.seq ??= e.seq;
        if (e.id !== undefined) this.#sent.delete(e.id);
        continue;
      }
      const msg: ChatMessage = { id: e.id ?? `chat-seq-${e.seq}`, nick: chatSender(e), text: e.text, at: e.ts, self: e.nick === this.#myNick, seq: e.seq };
      if (e.id !== undefined) this.#byKey.set(keyOf(e.nick, e.id), msg);
      fresh.push(msg);
    }
    if (fresh.length === 0) return;
    const shown = this.#messages;
    const tail = shown.findLastIndex((m) => m.seq !== undefined) + 1;
    const at = (seq: number) => {
      const j = shown.findIndex((m) => m.seq !== undefined && m.seq > seq);
      return j < 0 ? tail : j;
    };
    const placed = [...shown.map((m, i) => ({ m, k: i, o: 1 })), ...fresh.map((m) => ({ m, k: at(m.seq!), o: 0 }))];
    placed.sort((x, y) => x.k - y.k || x.o - y.o || (x.m.seq ?? 0) - (y.m.seq ?? 0));
    this.#setMessages(placed.map((p) => p.m));
    this.emit("change", this.#messages);
  }

  #takeUnmatched(nick: string, text: string): ChatMessage | undefined {
    const i = this.#unmatched.findIndex((m) => m.nick === nick && m.text === text);
    return i < 0 ? undefined : this.#unmatched.splice(i, 1)[0];
  }

  /** Keeps the last KEEP messages and forgets the ids of the ones dropped. */
  #setMessages(list: ChatMessage[]): void {
    this.#messages = list.slice(-KEEP);
    if (list.length <= KEEP) return;
    const kept = new Set(this.#messages);
    for (const [k, m] of this.#byKey) if (!kept.has(m)) this.#byKey.delete(k);
    this.#unmatched = this.#unmatched.filter((m) => kept.has(m));
  }

  /** The room refused one of our messages (rate or size limit): say so where it would have been. */
  #onRefused(el: Element): void {
    const id = String(el.attrs.id ?? "");
    const text = this.#sent.get(id);
    if (text === undefined || String(el.attrs.from ?? "") !== this.#room) return;
    this.#sent.delete(id);
    const preview = text.length > 60 ? `${text.slice(0, 60)}…` : text;
    this.#add({ id: `${id}-refused`, nick: this.#myNick, text: `Not sent (“${preview}”): ${describeStanzaError(el)}`, at: Date.now(), self: true, refused: true });
  }

  #add(msg: ChatMessage): void {
    this.#setMessages([...this.#messages, msg]);
    this.emit("message", msg);
    this.emit("change", this.#messages);
  }
}
