/**
 * A stanza parser that never builds a tree deeper than `LIMITS.maxStanzaDepth`.
 *
 * xmpp.js builds every stanza the XML server sends as an element tree, and everything that
 * walks a tree (serialising it for a log or an error reply, cloning it) recurses: 8,000
 * nested elements from one guest overflowed the stack and stopped the process. This parser
 * counts open elements instead; below the limit it skips elements and their text (nothing
 * is allocated for them) and marks the stanza, so the link refuses it without looking inside.
 * The stream itself stays up: one bad stanza is that sender's problem, not every meeting's.
 */
import type { Element } from "@xmpp/xml";
import { LIMITS } from "../../protocol/namespaces.ts";

const TOO_DEEP = Symbol("deckcast.tooDeep");

/** True when the parser cut the stanza because it nests deeper than the limit. */
export function isTooDeep(el: Element): boolean {
  return (el as unknown as Record<symbol, unknown>)[TOO_DEEP] === true;
}

/** The xmpp.js parser API this relies on (the same in @xmpp/xml 0.13 and 0.14). */
interface StanzaParser {
  cursor: Element | null;
  onStartElement(name: string, attrs: Record<string, string>): void;
  onEndElement(name: string): void;
  onText(text: string): void;
}
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type ParserClass = new (...args: any[]) => StanzaParser;

/**
 * Wraps a connection's Parser class. Depth counts the stream root as 0 and the stanza as 1,
 * so `maxDepth` is the deepest level a stanza's own elements may reach.
 */
export function depthLimitedParser<P extends ParserClass>(Base: P, maxDepth: number = LIMITS.maxStanzaDepth): P {
  class DepthLimited extends Base {
    /** Open elements we built, the stream root included. */
    #open = 0;
    /** Open elements we skipped (inside a cut stanza). */
    #skipped = 0;
    #stanza: Element | null = null;

    override onStartElement(name: string, attrs: Record<string, string>): void {
      if (this.#skipped > 0 || this.#open > maxDepth) {
        this.#skipped++;
        if (this.#stanza) (this.#stanza as unknown as Record<symbol, unknown>)[TOO_DEEP] = true;
        return;
      }
      this.#open++;
      super.onStartElement(name, attrs);
      if (this.#open === 2) this.#stanza = this.cursor;
    }

    override onEndElement(name: string): void {
      if (this.#skipped > 0) {
        this.#skipped--;
        return;
      }
      this.#open = Math.max(0, this.#open - 1);
      super.onEndElement(name);
    }

    override onText(text: string): void {
      if (this.#skipped > 0) return;
      super.onText(text);
    }
  }
  return DepthLimited;
}
