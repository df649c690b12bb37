/**
 * Child process of journal-idle.test.ts: restores every open session in a data folder with
 * the component's real restore() (a link that is never started, so no room is joined),
 * then reads one bundle of each restored meeting, and prints what it saw as one JSON line.
 * Run it under a low file-descriptor limit: idle archives must hold no files.
 */
import { readdirSync } from "node:fs";
import pino from "pino";
import { setupLifecycle } from "../../server/component/lifecycle.ts";
import { setupLink } from "../../server/component/link.ts";
import { createMeetings } from "../../server/component/meetings.ts";

const dataDir = process.argv[2]!;
const log = pino({ level: "warn" }, pino.destination(2));
const domains = { accounts: "localhost", guests: "guest.localhost", muc: "rooms.localhost", component: "deckcast.localhost" };
const link = setupLink({ service: "xmpp://127.0.0.1:9", domain: domains.component, password: "unused", log });
const meetings = createMeetings({ link, log });
const lifecycle = setupLifecycle({ link, meetings, domains, dataDir, log });
const restored = await lifecycle.restore();
const fdsAfterRestore = readdirSync("/proc/self/fd").length;
let read = 0;
for (const m of meetings.all()) {
  read += (await m.archive.journal.read(1, 1)).length;
  await m.archive.journal.release();
}
process.stdout.write(JSON.stringify({ restored, meetings: meetings.all().length, read, fdsAfterRestore, fdsAtEnd: readdirSync("/proc/self/fd").length }) + "\n");
process.exit(0);
