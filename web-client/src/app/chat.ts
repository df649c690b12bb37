/**
 * Room chat: plain XEP-0045 groupchat with a <body>, so stock XMPP clients in the room
 * take part too. Messages that carry a deckcast <bundle> (the relay's page-turn fallback
 * bodies) are not chat and are skipped, as are messages from the relay occupant.
 */
import xml, { type Element } from "@xmpp/xml";
import { NS } from "../../../protocol/namespaces.ts";
import { Emitter, type XmppLike } from "../session/xmpp-like.ts";
import { randomId } from "./ids.ts";

export interface ChatMessage {
  id: string;
  nick: string;
  text: string;
  /** Unix ms when it arrived here. */
  at: number;
  self: boolean;
}

/** Longest message accepted from the text box. */
export const MAX_CHAT_CHARS = 2000;
/** Messages kept in memory. */
const KEEP = 300;

export class RoomChat extends Emitter<{ message: [ChatMessage]; change: [ChatMessage[]] }> {
  #messages: ChatMessage[] = [];
  #seen = new Set<string>();
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
    await this.#xmpp.send(xml("message", { type: "groupchat", to: this.#room, id: `chat-${randomId(10)}` }, xml("body", {}, body)));
  }

  /** Feed every stanza; groupchat bodies from people in the room are taken. */
  onStanza(el: Element, isRelay: (nick: string) => boolean): void {
    if (el.name !== "message" || el.attrs.type !== "groupchat") return;
    const from = String(el.attrs.from ?? "");
    if (!from.startsWith(`${this.#room}/`)) return;
    const nick = from.slice(this.#room.length + 1);
    const body = el.getChildText("body");
    if (body === null || body === "" || isRelay(nick) || el.getChild("bundle", NS.deckcast) || el.getChild("fallback", NS.fallback)) return;
    const id = String(el.attrs.id ?? `${nick}-${body}-${this.#messages.length}`);
    if (this.#seen.has(id)) return; // resent after a stream resumption
    this.#seen.add(id);
    const msg: ChatMessage = { id, nick, text: body, at: Date.now(), self: nick === this.#myNick };
    this.#messages = [...this.#messages, msg].slice(-KEEP);
    this.emit("message", msg);
    this.emit("change", this.#messages);
  }
}
