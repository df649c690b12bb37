/**
 * The session audio stream's header pages for a late joiner (docs/protocol.md §State
 * element): `<audio-header>` inside the component's `<state>` answer holds the base64 of
 * the stream's OpusHead and OpusTags Ogg pages. An Opus decoder needs them before any
 * audio page, and a late joiner's first relayed audio is somewhere in the middle.
 *
 * It travels with the state but is not part of RoomState (the reducer's pure state): a
 * state without audio has no `<audio-header>`, and decodeState ignores the element.
 */
import xml, { type Element } from "@xmpp/xml";
import { decodeBase64, encodeBase64 } from "./base64.ts";
import { LIMITS, NS } from "./namespaces.ts";
import { fail, ok } from "./result.ts";
import type { Result } from "./types.ts";
import { childElements, localName, nsOf, textOf } from "./xml-read.ts";

const NAME = "audio-header";

/** Adds `<audio-header>` to a `<state>` element (returns the same element). */
export function withAudioHeader(state: Element, header: Uint8Array): Element {
  state.append(xml(NAME, {}, encodeBase64(header)));
  return state;
}

/**
 * The header bytes a `<state>` carries: null when it has no `<audio-header>`; `bad-request`
 * when there are two, or the text is not base64, empty, or above maxAudioBytes.
 */
export function decodeAudioHeader(state: Element): Result<Uint8Array | null> {
  const ns = nsOf(state);
  const found = childElements(state).filter((c) => localName(c) === NAME && nsOf(c, ns) === NS.deckcast);
  if (found.length === 0) return ok(null);
  const path = `state/${NAME}[2]`;
  if (found.length > 1) return fail("bad-request", `a state holds at most one <${NAME}>`, path);
  const bytes = decodeBase64(textOf(found[0]!));
  const at = `state/${NAME}[1]/text()`;
  if (!bytes) return fail("bad-request", `${NAME} is not valid base64`, at);
  if (bytes.length === 0) return fail("bad-request", `${NAME} must not be empty`, at);
  if (bytes.length > LIMITS.maxAudioBytes) return fail("bad-request", `${NAME} holds ${bytes.length} bytes; at most ${LIMITS.maxAudioBytes} allowed`, at);
  return ok(bytes);
}
