/**
 * deckcast errors on the wire (RFC 6120 §8.3): a stanza <error> with the defined condition
 * from the catalogue, deckcast's application-specific condition <CODE xmlns="urn:deckcast:errors:0"/>,
 * and a human-readable <text>.
 */
import xml, { type Element } from "@xmpp/xml";
import { ERRORS, isErrorCode, type ErrorCode } from "./errors.ts";
import { NS } from "./namespaces.ts";
import type { ProtocolError } from "./types.ts";

const NS_STANZAS = NS.stanzas;
const NS_ERRORS = NS.errors;

/** Builds the <error/> element for a catalogue code; `text` overrides the default text. */
export function encodeError(code: ErrorCode, text?: string): Element {
  const spec = ERRORS[code];
  return xml(
    "error",
    { type: spec.type },
    xml(spec.condition, { xmlns: NS_STANZAS }),
    xml("text", { xmlns: NS_STANZAS, "xml:lang": "en" }, text ?? spec.text),
    xml(code, { xmlns: NS_ERRORS }),
  );
}

/**
 * The <error/> for a refusal the protocol's readers made: the text starts with the path of
 * the offending value, as docs/protocol.md promises (`bundle/page[2]@page: page must be ≥ 1, got 0`).
 */
export function encodeRefusal(e: ProtocolError): Element {
  return encodeError(e.code, e.path ? `${e.path}: ${e.message}` : e.message);
}

export interface DecodedError {
  /** The deckcast code when present, else null (a plain XMPP error, e.g. from Prosody). */
  code: ErrorCode | null;
  /** RFC 6120 defined condition, e.g. "forbidden". */
  condition: string;
  type: string;
  text: string;
}

/** Reads an <error/> element (or a stanza holding one); never throws. */
export function decodeError(el: Element): DecodedError {
  const error = el.name === "error" ? el : el.getChild("error");
  if (!error) return { code: null, condition: "undefined-condition", type: "cancel", text: "" };
  let code: ErrorCode | null = null;
  let condition = "undefined-condition";
  let text = "";
  for (const child of error.getChildElements()) {
    const ns = child.attrs.xmlns;
    if (ns === NS_ERRORS && isErrorCode(child.name)) code = child.name;
    else if (ns === NS_STANZAS && child.name === "text") text = child.getText();
    else if (ns === NS_STANZAS) condition = child.name;
  }
  return { code, condition, type: String(error.attrs.type ?? "cancel"), text };
}
