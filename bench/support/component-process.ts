/**
 * The component in a process of its own (as in production), for benchmarks:
 * DECKCAST_BENCH = JSON {service, secret, domains, dataDir}. Prints "online" when connected.
 */
import pino from "pino";
import { startComponent } from "../../server/component/setup.ts";

const opts = JSON.parse(process.env.DECKCAST_BENCH ?? "{}");
const component = await startComponent({ ...opts, log: pino({ level: "warn" }, pino.destination(2)) });
const timer = setInterval(() => {
  if (component.link.online) {
    clearInterval(timer);
    process.stdout.write("online\n");
  }
}, 20);
process.on("SIGTERM", () => {
  void component.stop().then(() => process.exit(0));
});
