/**
 * <dc-chat>: the room's chat: messages, newest at the bottom, and a box to write.
 *
 * @fires dc-chat-send {ChatSend} the person sent a message
 */
import { LitElement, css, html, type PropertyValues } from "lit";
import { customElement, property, query } from "lit/decorators.js";
import { MAX_CHAT_CHARS, type ChatMessage } from "../app/chat.ts";
import { base } from "./shared-styles.ts";

export interface ChatSend {
  text: string;
}

@customElement("dc-chat")
export class DcChat extends LitElement {
  static override styles = [
    base,
    css`
      :host { display: grid; grid-template-rows: minmax(0, 1fr) auto; min-height: 0; gap: 0.5rem; }
      ol { list-style: none; margin: 0; padding: 0 0.2rem; overflow-y: auto; display: grid; align-content: start; gap: 0.45rem; min-height: 4rem; }
      li { background: var(--dc-panel-2); border-radius: 10px; padding: 0.35rem 0.6rem; overflow-wrap: anywhere; max-width: 92%; justify-self: start; }
      li.self { justify-self: end; background: #243a78; }
      li.refused { background: #5a2a2a; font-size: 0.9rem; }
      .nick { font-size: 0.78rem; color: var(--dc-dim); display: block; }
      form { display: flex; gap: 0.4rem; }
      .empty { color: var(--dc-dim); font-size: 0.9rem; padding: 0.3rem; }
      /* A phone on its side: the list gives up its room first, so the box to type in stays on screen. */
      @media (orientation: landscape) and (max-height: 540px) { ol { min-height: 1.6rem; } }
    `,
  ];

  @property({ attribute: false }) accessor messages: readonly ChatMessage[] = [];
  @property({ type: Boolean }) accessor disabled = false;

  @query("ol") accessor list!: HTMLOListElement;
  @query("input") accessor input!: HTMLInputElement;

  override render() {
    return html`
      <ol aria-label="Chat messages" aria-live="polite">
        ${this.messages.length === 0 ? html`<li class="empty">No messages yet. Say hello!</li>` : ""}
        ${this.messages.map((m) => html`<li class=${m.refused ? "self refused" : m.self ? "self" : ""} role=${m.refused ? "alert" : "listitem"}><span class="nick">${m.self ? "You" : m.nick}</span>${m.text}</li>`)}
      </ol>
      <form @submit=${this.#send}>
        <input aria-label="Message" placeholder="Message everyone" maxlength=${MAX_CHAT_CHARS} ?disabled=${this.disabled} autocomplete="off" />
        <button class="primary" type="submit" ?disabled=${this.disabled}>Send</button>
      </form>
    `;
  }

  protected override updated(changed: PropertyValues<this>): void {
    if (changed.has("messages") && this.list) this.list.scrollTop = this.list.scrollHeight;
  }

  #send(e: Event) {
    e.preventDefault();
    const text = this.input.value.trim();
    if (!text) return;
    this.input.value = "";
    this.dispatchEvent(new CustomEvent<ChatSend>("dc-chat-send", { detail: { text }, bubbles: true, composed: true }));
  }
}

declare global {
  interface HTMLElementTagNameMap {
    "dc-chat": DcChat;
  }
  interface HTMLElementEventMap {
    "dc-chat-send": CustomEvent<ChatSend>;
  }
}
