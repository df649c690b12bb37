/**
 * The part of an @xmpp/client Client the session layer uses. Declared here so the session
 * code runs against any connection that offers it (browser, Node tests, the phone bridge).
 */
import type { Element } from "@xmpp/xml";

export interface XmppLike {
  send(el: Element): Promise<void>;
  iqCaller: { request(el: Element, timeout?: number): Promise<Element> };
  on(event: "stanza", fn: (el: Element) => void): unknown;
  on(event: "online", fn: () => void): unknown;
  off(event: "stanza", fn: (el: Element) => void): unknown;
  off(event: "online", fn: () => void): unknown;
}

/** A tiny typed event emitter that works in browsers and Node alike. */
type Handler = (...args: never[]) => void;

export class Emitter<E extends Record<string, unknown[]>> {
  #handlers = new Map<keyof E, Set<Handler>>();
  /** Subscribes; returns the unsubscribe function. */
  on<K extends keyof E>(event: K, fn: (...args: E[K]) => void): () => void {
    let set = this.#handlers.get(event);
    if (!set) this.#handlers.set(event, (set = new Set()));
    const h = fn as unknown as Handler;
    set.add(h);
    return () => set.delete(h);
  }
  protected emit<K extends keyof E>(event: K, ...args: E[K]): void {
    for (const fn of this.#handlers.get(event) ?? []) (fn as unknown as (...a: E[K]) => void)(...args);
  }
}
