/**
 * The process's last resort: an exception no handler caught, or a promise rejection nobody
 * handled, is logged at error level and the process goes on — once the server is up, no
 * handler's mistake may stop every meeting. Before it is up (`started()` false), the same
 * errors are fatal: a half-started server must not pretend to run. Features still handle
 * their own errors; this only catches what slipped through.
 */
import type { Logger } from "pino";

export interface LastResortOptions {
  log: Logger;
  /** Whether the server finished starting. */
  started: () => boolean;
  /** Called for an error before the server is up (say why and exit). */
  fatal: (err: Error) => void;
}

/** Installs the handlers; returns a function that removes them. */
export function installLastResort({ log, started, fatal }: LastResortOptions): () => void {
  const handle = (kind: "uncaught exception" | "unhandled rejection") => (reason: unknown) => {
    const err = reason instanceof Error ? reason : new Error(String(reason));
    const up = started();
    try {
      log.error({ err: { name: err.name, message: err.message.slice(0, 2000), stack: err.stack?.slice(0, 4000) } }, up ? `${kind}; the server keeps running` : `${kind} during start`);
    } catch {
      try {
        process.stderr.write(`deckcast: ${kind}: ${err.message.slice(0, 500)}\n`);
      } catch {
        // nowhere left to tell
      }
    }
    if (!up) fatal(err);
  };
  const onException = handle("uncaught exception");
  const onRejection = handle("unhandled rejection");
  process.on("uncaughtException", onException);
  process.on("unhandledRejection", onRejection);
  return () => {
    process.off("uncaughtException", onException);
    process.off("unhandledRejection", onRejection);
  };
}
