/**
 * Room chat: plain XEP-0045 groupchat with a <body>, so stock XMPP clients in the room
 * take part too. Messages that carry a deckcast <bundle> (the relay's page-turn fallback
 * bodies) are not chat and are skipped, as are messages from the relay occupant.
 */
import xml, { type Element } from "@xmpp/xml";
import { NS } from "../../../protocol/namespaces.ts";
import { Emitter, type XmppLike } from "../session/xmpp-like.ts";
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
}

/** Longest message accepted from the text box. */
export const MAX_CHAT_CHARS = 2000;
/** Messages kept in memory. */
const KEEP = 300;

export class RoomChat extends Emitter<{ message: [ChatMessage]; change: [ChatMessage[]] }> {
  #messages: ChatMessage[] = [];
  #seen = new Set<string>();
  /** Our messages not yet echoed by the room, by id (to say which one was refused). */
  #sent = new Map<string, string>();
  readonly #xmpp: XmppLike;
  readonly #room: string;
  readonly #myNick: string;

  constructor(xmpp: XmppLike, room: string, myNick: string) {
    super();
    this.#xmpp = xmpp;
    this.#room = room;
    this.#myNick = myNick;
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
    const id = String(el.attrs.id ?? `${nick}-${body}-${this.#messages.length}`);
    if (this.#seen.has(id)) return; // resent after a stream resumption
    this.#seen.add(id);
    this.#sent.delete(id);
    this.#add({ id, nick, text: body, at: Date.now(), self: nick === this.#myNick });
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
    this.#messages = [...this.#messages, msg].slice(-KEEP);
    this.emit("message", msg);
    this.emit("change", this.#messages);
  }
}
