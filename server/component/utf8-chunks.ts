/**
 * Whole characters from a TCP stream. xmpp.js's connection decodes every chunk the socket
 * gives it on its own (`data.toString("utf8")`), so a character whose bytes fall across two
 * chunks becomes two U+FFFD: a long Chinese chat line or deck title reached the component
 * damaged. This replaces the connection's chunk handler with one that keeps a StringDecoder
 * per socket, which holds an incomplete character back until the rest of it arrives.
 */
import { StringDecoder } from "node:string_decoder";

/** The internals of @xmpp/connection this relies on (the same in 0.13 and 0.14). */
interface XmppConnection {
  _onData(data: Buffer | string): void;
  _attachSocket(socket: unknown): void;
  emit(event: "input", s: string): boolean;
  parser: { write(s: string): void } | null;
}

export function decodeWholeCharacters(connection: object): void {
  const c = connection as XmppConnection;
  let decoder = new StringDecoder("utf8");
  const attach = c._attachSocket.bind(c);
  c._attachSocket = (socket) => {
    decoder = new StringDecoder("utf8"); // a new stream starts clean
    attach(socket); // binds this._onData, found on the instance below
  };
  c._onData = function (this: XmppConnection, data) {
    const text = typeof data === "string" ? data : decoder.write(data);
    if (text === "") return;
    this.emit("input", text);
    this.parser?.write(text);
  };
}
