/**
 * The component's link to the XMPP server (XEP-0114 Jabber Component Protocol).
 *
 * Wraps @xmpp/component with what features need and nothing else: IQ handlers that return
 * data or an error value, stanza listeners, online/offline events, and reconnection with
 * exponential backoff (xmpp.js alone retries every second forever).
 * https://xmpp.org/extensions/xep-0114.html
 */
import { EventEmitter } from "node:events";
import { component as createComponent, type Component } from "@xmpp/component";
import type { Element } from "@xmpp/xml";
import type { Logger } from "pino";

export interface IqRequest {
  /** Full JID of the requester. */
  from: string;
  /** JID the request was addressed to (the component domain, or code@domain for a meeting). */
  to: string;
  /** Local part of `to`: the meeting code, or "" for the component itself. */
  local: string;
  /** The single payload child of the IQ. */
  element: Element;
  stanza: Element;
}

/** Return a payload element for a result (or undefined for an empty result), or an <error/> element. */
export type IqHandler = (req: IqRequest) => Promise<Element | undefined> | Element | undefined;

export interface LinkEvents {
  online: [];
  offline: [];
  message: [Element];
  presence: [Element];
}

export interface ComponentLink extends EventEmitter<LinkEvents> {
  readonly domain: string;
  readonly online: boolean;
  send(el: Element): Promise<void>;
  /** Send an IQ and wait for its result; rejects with the error stanza on type="error". */
  request(iq: Element, timeoutMs?: number): Promise<Element>;
  onIq(type: "get" | "set", ns: string, name: string, handler: IqHandler): void;
  start(): Promise<void>;
  stop(): Promise<void>;
}

export interface LinkOptions {
  /** e.g. "xmpp://127.0.0.1:5347" */
  service: string;
  domain: string;
  password: string;
  log: Logger;
  /** First reconnect delay; doubles on every failure up to maxDelayMs. Default 250 ms. */
  minDelayMs?: number;
  /** Default 8000 ms. */
  maxDelayMs?: number;
}

export function setupLink(opts: LinkOptions): ComponentLink {
  const { log } = opts;
  const minDelay = opts.minDelayMs ?? 250;
  const maxDelay = opts.maxDelayMs ?? 8000;
  const xmpp: Component = createComponent({ service: opts.service, domain: opts.domain, password: opts.password });
  const events = new EventEmitter<LinkEvents>();
  let online = false;
  let stopping = false;
  xmpp.reconnect.delay = minDelay;

  xmpp.on("online", () => {
    online = true;
    xmpp.reconnect.delay = minDelay;
    log.info({ domain: opts.domain }, "component online");
    events.emit("online");
  });
  xmpp.on("offline", () => {
    online = false;
  });
  // @xmpp/reconnect reads `delay` when it schedules (in its own 'disconnect' listener, which
  // runs first): grow it here for the attempt after that.
  xmpp.on("disconnect", () => {
    const wasOnline = online;
    online = false;
    if (wasOnline) events.emit("offline");
    if (stopping) return;
    log.warn({ retryInMs: xmpp.reconnect.delay }, "component disconnected; reconnecting");
    const jitter = 0.8 + Math.random() * 0.4;
    xmpp.reconnect.delay = Math.min(maxDelay, Math.round(xmpp.reconnect.delay * 2 * jitter));
  });
  xmpp.on("error", (err: Error) => {
    if (stopping) return;
    log.error({ err: err.message }, "component connection error");
  });
  xmpp.on("stanza", (el: Element) => {
    if (el.name === "message") events.emit("message", el);
    else if (el.name === "presence") events.emit("presence", el);
  });

  // Object.assign would copy a getter's value once: define `online` as a live property.
  Object.defineProperty(events, "online", { get: () => online, enumerable: true });
  const link = Object.assign(events, {
    domain: opts.domain,
    async send(el: Element) {
      await xmpp.send(el);
    },
    async request(iq: Element, timeoutMs = 10_000) {
      return xmpp.iqCaller.request(iq, timeoutMs);
    },
    onIq(type: "get" | "set", ns: string, name: string, handler: IqHandler) {
      xmpp.iqCallee[type](ns, name, async (ctx) => {
        const to = ctx.stanza.attrs.to as string;
        const at = to.indexOf("@");
        const reply = await handler({
          from: ctx.stanza.attrs.from as string,
          to,
          local: at > 0 ? to.slice(0, at) : "",
          element: ctx.element,
          stanza: ctx.stanza,
        });
        // xmpp.js answers a falsy reply with service-unavailable; any non-element truthy
        // value makes an empty result.
        return reply ?? (true as unknown as Element);
      });
    },
    async start() {
      stopping = false;
      try {
        await xmpp.start();
      } catch (err) {
        // The first connection failed (server not up yet): keep trying in the background.
        log.warn({ err: (err as Error).message }, "component could not connect yet; retrying");
      }
    },
    async stop() {
      stopping = true;
      xmpp.reconnect.stop();
      await xmpp.stop().catch((err: Error) => log.warn({ err: err.message }, "component stop"));
      online = false;
    },
  });
  return link as ComponentLink;
}
