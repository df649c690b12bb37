/**
 * Notices a connection that died without a close (protocol/keepalive.ts): a ping to the
 * server after KEEPALIVE.idleMs of silence, and at once when the browser says the network
 * went or came back or the page is shown again (a phone waking up); when neither the
 * answer nor anything else arrives within KEEPALIVE.answerMs the socket is dropped as a
 * broken one would be, and @xmpp/reconnect takes over (the meeting's catch-up follows).
 *
 * Dropping does not wait for the dead WebSocket's close handshake (a browser may give it a
 * minute): the socket is detached from the client first, then closed.
 */
import type { Client } from "@xmpp/client";
import type Socket from "@xmpp/websocket/lib/Socket.js";
import { KEEPALIVE, pingRequest } from "../../../protocol/keepalive.ts";
import { randomId } from "./ids.ts";

/** Watches `xmpp` until it is stopped; returns a function that stops watching sooner. */
export function watchLiveness(xmpp: Client, k: { idleMs: number; answerMs: number } = KEEPALIVE): () => void {
  let lastHeard = performance.now();
  /** When the ping awaiting its answer went (null: none). */
  let pingAt: number | null = null;
  let answerTimer: ReturnType<typeof setTimeout> | undefined;

  const heard = () => {
    lastHeard = performance.now();
  };
  const ping = () => {
    if (xmpp.status !== "online" || pingAt !== null) return;
    const sent = (pingAt = performance.now());
    xmpp.send(pingRequest(xmpp.jid?.domain ?? "").attr("id", `ka-${randomId(8)}`)).catch(() => undefined);
    answerTimer = setTimeout(() => {
      pingAt = null;
      if (lastHeard < sent && xmpp.status === "online") drop(xmpp);
    }, k.answerMs);
  };
  const tick = setInterval(() => {
    if (performance.now() - lastHeard >= k.idleMs) ping();
  }, Math.min(5000, k.idleMs / 2));
  const onShown = () => {
    if (document.visibilityState === "visible") ping();
  };
  const onStatus = (status: string) => {
    if (status === "online") heard();
    if (status === "offline") stop();
    if (status !== "online") {
      clearTimeout(answerTimer);
      pingAt = null;
    }
  };

  xmpp.on("element", heard);
  xmpp.on("status", onStatus);
  window.addEventListener("online", ping);
  window.addEventListener("offline", ping);
  document.addEventListener("visibilitychange", onShown);

  function stop() {
    clearInterval(tick);
    clearTimeout(answerTimer);
    xmpp.off("element", heard);
    xmpp.off("status", onStatus);
    window.removeEventListener("online", ping);
    window.removeEventListener("offline", ping);
    document.removeEventListener("visibilitychange", onShown);
  }
  return stop;
}

/** Drops the socket as if it broke: the client sees a dirty close and reconnects. */
function drop(xmpp: Client): void {
  const wrapper = (xmpp as unknown as { socket: Socket | null }).socket;
  if (!wrapper) return;
  const ws = wrapper.socket;
  wrapper._detachSocket();
  try {
    ws?.close();
  } catch {
    // closing a dead socket may throw in some browsers; it is gone either way
  }
  wrapper.emit("close", true, new Error("no answer to a keepalive ping"));
}
