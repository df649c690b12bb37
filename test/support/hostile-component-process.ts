/**
 * The deckcast component in a process of its own, as the hostile-input suite runs it: a
 * stanza that crashes the component ends this process (Node's default for an uncaught
 * exception; no last-resort handler here), which the tests see as an exit, not as a hang.
 *
 * DECKCAST_HOSTILE = JSON {service, secret, domains, dataDir, recordingReportMs?}.
 * Prints "online" and "offline" on stdout whenever the XMPP link changes; logs (pino, JSON)
 * go to stderr at DECKCAST_TEST_LOG (default "warn"). SIGTERM stops it cleanly; the end of
 * stdin (the test process is gone) ends it at once.
 */
import pino from "pino";
import { startComponent } from "../../server/component/setup.ts";

const opts = JSON.parse(process.env.DECKCAST_HOSTILE ?? "{}");
const log = pino({ level: process.env.DECKCAST_TEST_LOG ?? "warn" }, pino.destination(2));
const component = await startComponent({ ...opts, log });

let said: boolean | null = null;
const timer = setInterval(() => {
  const online = component.link.online;
  if (online === said) return;
  said = online;
  process.stdout.write(online ? "online\n" : "offline\n");
}, 20);

// The test process holds our stdin: when it goes (even by SIGKILL), so do we.
process.stdin.on("end", () => process.exit(0)).resume();

process.on("SIGTERM", () => {
  clearInterval(timer);
  void component.stop().then(
    () => process.exit(0),
    () => process.exit(1),
  );
});
