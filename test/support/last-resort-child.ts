/**
 * A child process for test/integration/server-last-resort.test.ts: the server's logger and
 * last resort, then the mistakes a handler can make (a throw in a timer, an 'error' event
 * nobody listens to, a rejected promise nobody awaits). Prints "still alive" if it lived
 * through them. argv: <log file> <"started" | "starting">.
 */
import { EventEmitter } from "node:events";
import { installLastResort } from "../../server/last-resort.ts";
import { createServerLogging } from "../../server/log.ts";

const [file, phase] = process.argv.slice(2);
const logging = createServerLogging({ path: file!, level: "info", base: { app: "deckcast" } });
installLastResort({
  log: logging.log,
  started: () => phase === "started",
  fatal: () => {
    process.stdout.write("fatal\n");
    void logging.shutdown(2000).finally(() => process.exit(1));
  },
});

setTimeout(() => {
  throw new Error("a handler threw");
}, 10);
setTimeout(() => new EventEmitter().emit("error", new Error("nobody listened")), 20);
setTimeout(() => void Promise.reject(new Error("nobody awaited")), 30);
setTimeout(async () => {
  process.stdout.write("still alive\n");
  await logging.shutdown(2000);
  process.exit(0);
}, 300);
