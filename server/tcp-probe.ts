/** One TCP probe: whether host:port accepts a connection in time (the Prosody launcher and the external server's health use it). */
import { connect } from "node:net";

/** Resolves true when a TCP connection to host:port is accepted within `timeoutMs`, false otherwise. */
export function tcpAnswers(host: string, port: number, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    const done = (ok: boolean) => {
      socket.removeAllListeners();
      socket.on("error", () => {});
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once("connect", () => done(true));
    socket.once("error", () => done(false));
  });
}
