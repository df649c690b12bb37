// A character whose bytes arrive in two TCP chunks stays one character (utf8-chunks.ts), on
// the real xmpp.js connection class the component uses, fed through a real stream.
import { Duplex } from "node:stream";
import { describe, expect, it } from "vitest";
import { component } from "@xmpp/component";
import type { Element } from "@xmpp/xml";
import { decodeWholeCharacters } from "../../server/component/utf8-chunks.ts";

function receive(patched: boolean, chunks: Buffer[]): Promise<string> {
  const c = component({ service: "xmpp://127.0.0.1:1", domain: "deckcast.localhost", password: "x" }) as unknown as {
    _attachSocket(s: unknown): void;
    _attachParser(p: unknown): void;
    Parser: new () => unknown;
    on(e: "element", f: (el: Element) => void): void;
    on(e: "error", f: () => void): void;
  };
  c.on("error", () => undefined); // the handshake never gets an answer here
  if (patched) decodeWholeCharacters(c);
  // A socket whose writes (the component's handshake) go nowhere; what it reads, the test emits.
  const wire = new Duplex({ read() {}, write: (_chunk, _enc, done) => done() });
  const socket = Object.assign(wire, { setKeepAlive: () => undefined, setNoDelay: () => undefined });
  c._attachSocket(socket);
  c._attachParser(new c.Parser());
  return new Promise((resolve) => {
    c.on("element", (el) => resolve(el.getChildText("body") ?? ""));
    for (const chunk of chunks) socket.emit("data", chunk);
  });
}

describe("decodeWholeCharacters", () => {
  const text = "日本語😀";
  const bytes = Buffer.from(`<stream:stream xmlns="jabber:component:accept" xmlns:stream="http://etherx.jabber.org/streams"><message><body>${text}</body></message>`);
  const cut = bytes.indexOf(Buffer.from("本")) + 1; // inside a 3-byte character

  it("without it, xmpp.js breaks a character cut between two chunks", async () => {
    expect(await receive(false, [bytes.subarray(0, cut), bytes.subarray(cut)])).toContain("\uFFFD");
  });

  it("with it, the character arrives whole, wherever the chunks are cut", async () => {
    for (let at = bytes.length - 40; at < bytes.length - 16; at++) {
      expect(await receive(true, [bytes.subarray(0, at), bytes.subarray(at)])).toBe(text);
    }
  });
});
