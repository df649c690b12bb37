/**
 * The component's link to the XMPP server (XEP-0114 Jabber Component Protocol).
 *
 * Wraps @xmpp/component with what features need and nothing else: IQ handlers that return
 * data or an error value, stanza listeners, online/offline events, and reconnection with
 * exponential backoff (xmpp.js alone retries every second forever).
 *
 * Every stanza arriving here is untrusted (any guest can address the component), so the link
 * is where hostile input stops:
 * - stanzas nested deeper than LIMITS.maxStanzaDepth are cut by the parser (depth-limit.ts):
 *   an IQ gets `too-deep`, anything else is dropped, and no feature ever sees them;
 * - get/set IQs are answered here, not by xmpp.js's iq-callee, whose error replies copy the
 *   whole request back (RFC 6120 allows it; a 200 KB bundle refused would travel back whole):
 *   a reply carries only the payload or the error;
 * - a handler that throws is answered `internal` and logged; a listener that throws is
 *   logged; neither reaches the connection's socket handler (which would stop the process).
 * https://xmpp.org/extensions/xep-0114.html
 */
import { EventEmitter } from "node:events";
import { component as createComponent, type Component } from "@xmpp/component";
import xml, { type Element } from "@xmpp/xml";
import type { Logger } from "pino";
import { LIMITS, NS } from "../../protocol/namespaces.ts";
import { encodeError } from "../../protocol/stanza-error.ts";
import { depthLimitedParser, isTooDeep } from "./depth-limit.ts";
import { decodeWholeCharacters } from "./utf8-chunks.ts";

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
  const connection = xmpp as unknown as { Parser: new () => never };
  connection.Parser = depthLimitedParser(connection.Parser);
  decodeWholeCharacters(xmpp);
  const events = new EventEmitter<LinkEvents>();
  const handlers = new Map<string, IqHandler>();
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

  /** Emits to features; a listener that throws is logged, never thrown into the socket's handler. */
  const emit = (name: "message" | "presence", el: Element) => {
    try {
      events.emit(name, el);
    } catch (err) {
      log.error({ stanza: name, from: clip(el.attrs.from), err: (err as Error).message }, "stanza listener failed");
    }
  };

  const reply = (req: Element, type: "result" | "error", payload?: Element) => {
    const iq = xml("iq", { type, to: req.attrs.from, from: req.attrs.to, id: req.attrs.id }, ...(payload ? [payload] : []));
    xmpp.send(iq).catch((err: Error) => log.warn({ err: err.message }, "iq reply not sent"));
  };

  async function answerIq(stanza: Element): Promise<void> {
    const type = stanza.attrs.type as "get" | "set";
    const children = stanza.getChildElements();
    const element = children[0];
    if (children.length !== 1 || !element) return reply(stanza, "error", encodeError("bad-request", "An IQ get or set holds exactly one payload element."));
    const handler = handlers.get(key(type, element.getNS() ?? "", element.getName()));
    if (!handler) return reply(stanza, "error", xml("error", { type: "cancel" }, xml("service-unavailable", { xmlns: NS.stanzas })));
    const to = String(stanza.attrs.to ?? "");
    const at = to.indexOf("@");
    let result: Element | undefined;
    try {
      result = await handler({ from: String(stanza.attrs.from ?? ""), to, local: at > 0 ? to.slice(0, at) : "", element, stanza });
    } catch (err) {
      log.error({ iq: element.getName(), from: clip(stanza.attrs.from), err: (err as Error).message }, "iq handler failed");
      result = encodeError("internal");
    }
    if (result?.name === "error") reply(stanza, "error", result);
    else reply(stanza, "result", result);
  }

  // Take incoming stanzas before xmpp.js's middleware (its iq-callee would answer get/set
  // IQs with the request copied into errors); results and errors of our own requests still
  // go to it, for iqCaller. The middleware's listener is the only one at this point.
  const middleware = xmpp.listeners("element") as ((el: Element) => void)[];
  for (const l of middleware) xmpp.off("element", l);
  xmpp.on("element", (el: Element) => {
    const kind = el.name;
    if (kind !== "iq" && kind !== "message" && kind !== "presence") return void middleware.forEach((l) => l(el));
    if (isTooDeep(el)) {
      log.warn({ stanza: kind, from: clip(el.attrs.from), limit: LIMIT_DEPTH }, "stanza nested too deep; refused unread");
      if (kind === "iq" && (el.attrs.type === "get" || el.attrs.type === "set")) reply(el, "error", encodeError("too-deep", `Elements may nest at most ${LIMIT_DEPTH} levels deep in one stanza.`));
      return;
    }
    if (kind === "iq") {
      if (el.attrs.type === "get" || el.attrs.type === "set") return void answerIq(el);
      return void middleware.forEach((l) => l(el));
    }
    emit(kind, el);
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
      handlers.set(key(type, ns, name), handler);
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

const LIMIT_DEPTH = LIMITS.maxStanzaDepth;

function key(type: string, ns: string, name: string): string {
  return `${type} ${ns} ${name}`;
}

/** An attribute from an untrusted stanza, short enough to log. */
export function clip(v: unknown, max = 200): string {
  const s = typeof v === "string" ? v : String(v ?? "");
  return s.length > max ? `${s.slice(0, max)}…` : s;
}
