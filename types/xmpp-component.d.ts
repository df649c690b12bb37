// @xmpp/component ships no types. Only what deckcast uses is declared here.
declare module "@xmpp/component" {
  import type { Element } from "@xmpp/xml";
  import type { EventEmitter } from "node:events";

  export interface ComponentOptions {
    service: string;
    domain: string;
    password: string;
  }
  export interface IqCallee {
    get(ns: string, name: string, handler: (ctx: IqContext) => Element | undefined | Promise<Element | undefined>): void;
    set(ns: string, name: string, handler: (ctx: IqContext) => Element | undefined | Promise<Element | undefined>): void;
  }
  export interface IqContext {
    stanza: Element;
    element: Element;
    from: { toString(): string; bare(): { toString(): string }; local: string; domain: string; resource: string };
    to: { toString(): string; local: string; domain: string; resource: string };
  }
  export interface IqCaller {
    request(el: Element, timeout?: number): Promise<Element>;
  }
  export interface Component extends EventEmitter {
    start(): Promise<unknown>;
    stop(): Promise<unknown>;
    send(...el: Element[]): Promise<void>;
    status: string;
    iqCallee: IqCallee;
    iqCaller: IqCaller;
    reconnect: EventEmitter & { delay: number; stop(): void; start(): void };
    middleware: { use(fn: (ctx: unknown, next: () => Promise<unknown>) => unknown): void };
  }
  export function component(options: ComponentOptions): Component;
  export const xml: typeof import("@xmpp/xml").default;
  export function jid(s: string): unknown;
}
