// @xmpp/websocket ships no types. Only its socket is declared here: the phone bridge's token
// check extends it to send X-Forwarded-For (android-bridge/gateway/xmpp-connect.ts), and the
// web client's keepalive drops a dead one (web-client/src/app/liveness.ts).
declare module "@xmpp/websocket/lib/Socket.js" {
  import type { EventEmitter } from "node:events";
  export function isSecure(url: string): boolean;
  export default class Socket extends EventEmitter {
    url: string | null;
    secure: boolean;
    /** The WebSocket it wraps (the browser's, or `ws` in Node); null once detached. */
    socket: { close(): void } | null;
    connect(url: string): void;
    _attachSocket(socket: unknown): void;
    /** Stops listening to the wrapped WebSocket and forgets it. */
    _detachSocket(): void;
  }
}
