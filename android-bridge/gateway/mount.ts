/**
 * Mounts the phone gateway at /phone on a deckcast HTTP server's upgrade router
 * (server/http/app.ts): the one place both the deckcast server (server/deckcast.ts) and the
 * standalone bridge (server/cli/bridge.ts) put it.
 */
import { PHONE_PROTOCOL } from "../../protocol/phone.ts";
import type { HttpServer } from "../../server/http/app.ts";
import { createPhoneGateway, type PhoneGateway, type PhoneGatewayOptions } from "./gateway.ts";

export function mountPhoneGateway(http: Pick<HttpServer, "upgrade">, opts: PhoneGatewayOptions): PhoneGateway {
  const gateway = createPhoneGateway(opts);
  const unclaim = http.upgrade(PHONE_PROTOCOL.path, (req, socket, head) => gateway.handleUpgrade(req, socket, head));
  return {
    ...gateway,
    async stop() {
      unclaim();
      await gateway.stop();
    },
  };
}
