/**
 * The Java reference client's prefetch (docs/phone-protocol.md §Prefetch) against the phone
 * bridge on a real deckcast server with real decks: with a width it says it in its hello, gets
 * the open deck's list at that width snapped, fetches every page over OkHttp and keeps it only
 * when size and sha256 match; when another deck opens it gets the new list and holds that deck.
 */
import { execFile, spawn } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { createInterface } from "node:readline";
import { promisify } from "node:util";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { DeckRef } from "../../protocol/types.ts";
import type { ProsodyXmppServer } from "../../prosody/xmpp-server.ts";
import { privateConfig } from "../../server/config.ts";
import { createDeckcast, type RunningDeckcast } from "../../server/deckcast.ts";
import { makePdf } from "../support/decks-pdf.ts";
import { presentMeeting } from "../support/presented-deck.ts";
import { waitFor } from "../support/deckcast.ts";
import { connectUser, type TestClient } from "../support/xmpp.ts";

const run = promisify(execFile);
const ROOT = path.resolve(import.meta.dirname, "../..");
const log = pino({ level: process.env.DECKCAST_TEST_LOG ?? "silent" });
type Line = Record<string, unknown> & { type: string };

let work: string;
let classpath: string;
let dc: RunningDeckcast<ProsodyXmppServer>;
let stopAll: () => Promise<void>;
const clients: TestClient[] = [];
let kill: (() => void) | undefined;

beforeAll(async () => {
  work = await mkdtemp(path.join(os.tmpdir(), "deckcast-java-prefetch-"));
  const deckcast = createDeckcast(privateConfig(work, { httpHost: "127.0.0.1", publicUrl: "http://127.0.0.1:0", deckWorkers: 1 }), { log });
  stopAll = async () => {
    kill?.();
    for (const c of clients) await c.stop().catch(() => undefined);
    await deckcast.stop().catch(() => undefined);
    await rm(work, { recursive: true, force: true });
  };
  [dc] = await Promise.all([
    deckcast.start(),
    run(path.join(ROOT, "android-bridge/java/build.sh"), [path.join(work, "classes")]).then(({ stdout }) => (classpath = stdout.trim())),
  ] as const);
  await dc.xmpp.register("alice", "test-password");
  await waitFor(() => dc.component.link.online, 15_000, "the component to connect");
}, 120_000);
afterAll(async () => {
  await stopAll?.();
});

async function deck(name: string, pages: string[]): Promise<DeckRef> {
  const file = path.join(work, `${name}.pdf`);
  await writeFile(file, makePdf(pages, { title: name }));
  const made = await dc.decks.service.ingest(file);
  if (!made.ok) throw new Error(made.error.message);
  return { id: made.value.id, pages: made.value.pages, title: name };
}

describe("the Java client's prefetch", () => {
  it("holds the open deck's pages, checked, and the next deck's after a deck change", async () => {
    const a = await deck("Java A", ["A one", "A two", "A three"]);
    const b = await deck("Java B", ["B one", "B two"]);
    const alice = await connectUser(dc.xmpp.prosody, "alice", "test-password");
    clients.push(alice);
    const { meeting, send: present } = await presentMeeting({ owner: alice, component: dc.xmpp.domains.component, title: "Java prefetch" });
    await present([{ type: "deck-open", t: 10, deck: a }]);

    // Done after 1 events frame (deck B's opening) with deck B held whole.
    const args = [`ws://127.0.0.1:${dc.port}/phone`, meeting.code, "Jo", "1", path.join(work, "out.opus"), "700"];
    const child = spawn("java", ["-cp", classpath, "org.deckcast.phone.Main", ...args], { stdio: ["pipe", "pipe", "pipe"] });
    kill = () => child.kill("SIGKILL");
    const lines: Line[] = [];
    let err = "";
    child.stderr.on("data", (d: Buffer) => (err += d.toString("utf8")));
    createInterface({ input: child.stdout }).on("line", (l) => lines.push(JSON.parse(l) as Line));
    const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));

    const readyOf = (id: string) => lines.find((l) => l.type === "prefetch-ready" && l.deck === id);
    await waitFor(() => !!readyOf(a.id), 60_000, "deck A held");
    expect(lines.find((l) => l.type === "prefetch" && l.deck === a.id)).toMatchObject({ width: 800, pages: 3 });
    expect(readyOf(a.id)).toMatchObject({ ready: 3, total: 3, refused: 0 });
    expect(lines.some((l) => l.type === "done")).toBe(false);

    await present([{ type: "deck-open", t: 20, deck: b }]);
    expect(await exited, err).toBe(0);
    expect(lines.find((l) => l.type === "prefetch" && l.deck === b.id)).toMatchObject({ width: 800, pages: 2 });
    expect(readyOf(b.id)).toMatchObject({ ready: 2, total: 2, refused: 0 });
    expect(lines.at(-1)).toMatchObject({ type: "done", gaps: [], duplicates: 0 });
  }, 120_000);
});
