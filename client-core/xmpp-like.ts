/**
 * The part of an @xmpp/client Client the client core uses. Declared here so the core runs
 * against any connection that offers it (the browser, Node tests, the phone bridge, export).
 */
import type { Element } from "../protocol/xml-read.ts";

export interface XmppLike {
  send(el: Element): Promise<void>;
  iqCaller: { request(el: Element, timeout?: number): Promise<Element> };
  on(event: "stanza", fn: (el: Element) => void): unknown;
  on(event: "online", fn: () => void): unknown;
  off(event: "stanza", fn: (el: Element) => void): unknown;
  off(event: "online", fn: () => void): unknown;
}
