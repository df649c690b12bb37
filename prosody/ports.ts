/** Loopback port helpers for the Prosody launcher: pick free ports, and wait until ports accept. */
import { createServer } from "node:net";
import { tcpAnswers } from "../server/tcp-probe.ts";

const LOOPBACK = "127.0.0.1";

/**
 * Returns a port that was free on 127.0.0.1 a moment ago (bind port 0, read it, close).
 * Another process can take it before Prosody binds it; the launcher retries once if so.
 */
export function pickFreePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once("error", reject);
    server.listen(0, LOOPBACK, () => {
      const address = server.address();
      if (address === null || typeof address === "string") {
        server.close();
        reject(new Error("could not read the port of a freshly bound socket"));
        return;
      }
      server.close((err) => (err ? reject(err) : resolve(address.port)));
    });
  });
}

/** Picks `n` distinct free loopback ports. */
export async function pickFreePorts(n: number): Promise<number[]> {
  const ports = new Set<number>();
  while (ports.size < n) ports.add(await pickFreePort());
  return [...ports];
}

/** Resolves true when a TCP connection to 127.0.0.1:port is accepted, false when refused. */
export function portAccepts(port: number, timeoutMs = 1000): Promise<boolean> {
  return tcpAnswers(LOOPBACK, port, timeoutMs);
}

/** Options for {@link waitForPorts}. */
export interface WaitForPortsOptions {
  /** Give up after this long (ms). */
  timeoutMs: number;
  /** Delay between polls (ms). */
  intervalMs?: number;
  /**
   * Called before every poll; throw from it to stop waiting (for example when the process
   * that should open the ports has exited).
   */
  check?: () => void | Promise<void>;
}

/**
 * Polls until every port accepts a connection. Rejects with a timeout error naming the
 * ports still closed, or with whatever `check` throws.
 */
export async function waitForPorts(ports: readonly number[], opts: WaitForPortsOptions): Promise<void> {
  const deadline = Date.now() + opts.timeoutMs;
  const interval = opts.intervalMs ?? 100;
  let pending = [...ports];
  for (;;) {
    await opts.check?.();
    const open = await Promise.all(pending.map((p) => portAccepts(p)));
    pending = pending.filter((_, i) => !open[i]);
    if (pending.length === 0) return;
    if (Date.now() >= deadline) {
      throw new Error(`timed out after ${opts.timeoutMs} ms waiting for 127.0.0.1 port(s) ${pending.join(", ")} to accept`);
    }
    await new Promise((r) => setTimeout(r, interval));
  }
}
