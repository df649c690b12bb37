/**
 * Talking to deckcast the way an attacker does: IQs whose every answer (or silence) is
 * returned instead of thrown, raw XML written straight onto the client's stream (the test
 * client's own serialiser recurses too, so deep stanzas are never built as elements), joins
 * that report the room's refusal, and measuring an answer without recursing into it.
 */
import xml, { type Element } from "@xmpp/xml";
import { NS } from "../../protocol/namespaces.ts";
import { decodeError, type DecodedError } from "../../protocol/stanza-error.ts";
import type { TestClient } from "./xmpp.ts";
import { createMeeting as createMeetingOn, type MeetingRef } from "./xmpp.ts";

/** One answer to a request: its result, its error, or nothing within the time allowed. */
export type Answer = { kind: "result"; element: Element } | { kind: "error"; error: DecodedError; element: Element } | { kind: "timeout" };

let n = 0;
const nextId = (prefix: string) => `${prefix}-${Date.now().toString(36)}-${++n}`;

/** Resolves with the first stanza `pred` accepts, or null after `ms`. */
export function waitStanza(c: TestClient, pred: (el: Element) => boolean, ms: number): Promise<Element | null> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      c.xmpp.off("stanza", on);
      resolve(null);
    }, ms);
    const on = (el: Element) => {
      if (!pred(el)) return;
      clearTimeout(timer);
      c.xmpp.off("stanza", on);
      resolve(el);
    };
    c.xmpp.on("stanza", on);
  });
}

function answerOf(el: Element | null): Answer {
  if (!el) return { kind: "timeout" };
  if (el.attrs.type === "error") return { kind: "error", error: decodeError(el), element: el };
  return { kind: "result", element: el };
}

/** Sends an IQ (`type` get or set) with one payload and waits `ms` for its answer. */
export async function ask(c: TestClient, type: "get" | "set", to: string, payload: Element, ms = 10_000): Promise<Answer> {
  const id = nextId("ask");
  const answer = waitStanza(c, (el) => el.name === "iq" && el.attrs.id === id && (el.attrs.type === "result" || el.attrs.type === "error"), ms);
  await c.xmpp.send(xml("iq", { type, to, id }, payload));
  return answerOf(await answer);
}

/** Writes raw XML onto the client's stream. */
export async function writeRaw(c: TestClient, raw: string): Promise<void> {
  await (c.xmpp as unknown as { write(s: string): Promise<void> }).write(raw);
}

/** Writes a raw IQ whose payload is `payloadXml` and waits `ms` for its answer. */
export async function askRaw(c: TestClient, type: "get" | "set", to: string, payloadXml: string, ms = 10_000): Promise<Answer> {
  const id = nextId("raw");
  const answer = waitStanza(c, (el) => el.name === "iq" && el.attrs.id === id && (el.attrs.type === "result" || el.attrs.type === "error"), ms);
  await writeRaw(c, `<iq type="${type}" to="${escapeXml(to)}" id="${id}">${payloadXml}</iq>`);
  return answerOf(await answer);
}

/** `depth` elements named `name`, each inside the one before (as text; never an element tree). */
export function nestedXml(depth: number, name = "a"): string {
  return `<${name}>`.repeat(depth) + `</${name}>`.repeat(depth);
}

/** How many elements, how deep and how many characters (names, attributes, text) an element holds; no recursion. */
export function measure(el: Element): { elements: number; depth: number; chars: number } {
  let elements = 0;
  let depth = 0;
  let chars = 0;
  const stack: [unknown, number][] = [[el, 1]];
  while (stack.length > 0) {
    const [node, d] = stack.pop()!;
    if (typeof node === "string") {
      chars += node.length;
      continue;
    }
    const e = node as Element;
    elements++;
    depth = Math.max(depth, d);
    chars += e.name.length;
    for (const [k, v] of Object.entries(e.attrs)) chars += k.length + String(v).length;
    for (const child of e.children as unknown[]) stack.push([child, d + 1]);
  }
  return { elements, depth, chars };
}

/** Joins a room; resolves with the room's refusal (an error presence) or null when joined. */
export async function tryJoin(c: TestClient, room: string, nick: string, ms = 10_000): Promise<DecodedError | null> {
  const from = `${room}/${nick}`;
  const answer = waitStanza(c, (el) => el.name === "presence" && el.attrs.from === from && (el.attrs.type === "error" || (el.getChild("x", NS.mucUser)?.getChildren("status") ?? []).some((s) => s.attrs.code === "110")), ms);
  await c.xmpp.send(xml("presence", { to: from }, xml("x", { xmlns: NS.muc }, xml("history", { maxstanzas: "0" }))));
  const el = await answer;
  if (!el) throw new Error(`no answer joining ${room} as ${JSON.stringify(nick)}`);
  return el.attrs.type === "error" ? decodeError(el) : null;
}

/** Leaves a room and waits until the room confirms it. */
export async function leave(c: TestClient, room: string, nick: string, ms = 10_000): Promise<void> {
  const from = `${room}/${nick}`;
  const gone = waitStanza(c, (el) => el.name === "presence" && el.attrs.from === from && el.attrs.type === "unavailable", ms);
  await c.xmpp.send(xml("presence", { to: from, type: "unavailable" }));
  if (!(await gone)) throw new Error(`the room did not confirm that ${nick} left`);
}

/** An account asks the component for a new meeting (test/support/xmpp.ts). */
export function createMeeting(c: TestClient, component: string, title = "Hostile review", nick?: string): Promise<MeetingRef> {
  return createMeetingOn(c, component, title, nick);
}
export type { MeetingRef };

export function escapeXml(s: string): string {
  return s.replace(/[&<>"']/g, (ch) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&apos;" })[ch]!);
}
