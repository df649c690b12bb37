// @xmpp/websocket ships no types. Only its socket, which the phone bridge's token check extends
// to send X-Forwarded-For (android-bridge/gateway/xmpp-connect.ts), is declared here.
declare module "@xmpp/websocket/lib/Socket.js" {
  import type { EventEmitter } from "node:events";
  export function isSecure(url: string): boolean;
  export default class Socket extends EventEmitter {
    url: string | null;
    secure: boolean;
    connect(url: string): void;
    _attachSocket(socket: unknown): void;
  }
}
