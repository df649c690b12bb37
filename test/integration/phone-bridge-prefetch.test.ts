/**
 * Phones get the open deck's prefetch list (docs/phone-protocol.md §prefetch): on the deckcast
 * server's /phone (manifests from its deck service) and on a standalone bridge (from the
 * upstream's manifest route), after the welcome at the hello's width (snapped; 1280 without
 * one), and again when another deck opens. Every URL is absolute and serves exactly the bytes
 * its sha256 and size name. Real server, real decks rendered by pdftoppm.
 */
import { createHash } from "node:crypto";
import { writeFile } from "node:fs/promises";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PhoneClient } from "../../android-bridge/client/phone-client.ts";
import type { PrefetchFrame } from "../../protocol/phone.ts";
import type { DeckRef } from "../../protocol/types.ts";
import { makePdf } from "../support/decks-pdf.ts";
import { presentMeeting } from "../support/presented-deck.ts";
import { waitFor } from "../support/deckcast.ts";
import { PHONE_STACK_PASSWORD, startPhoneStack, type PhoneStack } from "../support/phone-stack.ts";
import { connectUser, type TestClient } from "../support/xmpp.ts";

const sha256 = (b: Uint8Array) => createHash("sha256").update(b).digest("hex");
let stack: PhoneStack;
let dataDir: string;
let dc: PhoneStack["dc"];
let base: string;
let standalone: PhoneStack["standalone"];
let clients: TestClient[];
let phones: PhoneClient[];

beforeAll(async () => {
  stack = await startPhoneStack("phone-prefetch");
  ({ dataDir, dc, base, standalone, clients, phones } = stack);
}, 120_000);
afterAll(async () => {
  await stack?.stop();
});

async function deck(name: string, pages: string[]): Promise<DeckRef> {
  const file = path.join(dataDir, `${name}.pdf`);
  await writeFile(file, makePdf(pages, { title: name }));
  const made = await dc.decks.service.ingest(file);
  if (!made.ok) throw new Error(made.error.message);
  return { id: made.value.id, pages: made.value.pages, title: name };
}

/** Fetches every URL of a prefetch frame and checks its bytes against the frame. */
async function expectServes(f: PrefetchFrame, origin: string) {
  for (const e of [...f.pages, ...f.thumbs]) {
    expect(e.url.startsWith(`${origin}/decks/${f.deck}/`), e.url).toBe(true);
    const bytes = new Uint8Array(await (await fetch(e.url)).arrayBuffer());
    expect(bytes.length).toBe(e.bytes);
    expect(sha256(bytes)).toBe(e.sha256);
  }
}

const latest = (p: PhoneClient, deckId: string) => waitFor(() => p.prefetch?.deck === deckId, 60_000, `a prefetch list of deck ${deckId.slice(0, 8)}`).then(() => p.prefetch!);

describe("prefetch lists for phones", () => {
  it("come after the welcome at the phone's width, and again when another deck opens", async () => {
    const a = await deck("Phones A", ["A one", "A two", "A three"]);
    const b = await deck("Phones B", ["B one", "B two"]);
    const alice = await connectUser(dc.xmpp.prosody, "alice", PHONE_STACK_PASSWORD);
    clients.push(alice);
    const { meeting, send: present } = await presentMeeting({ owner: alice, component: dc.xmpp.domains.component, title: "Prefetch for phones" });

    // Before any deck: a welcome and no list.
    const early = new PhoneClient({ url: `ws://127.0.0.1:${dc.port}`, meeting: meeting.code, name: "Fern", width: 700 });
    phones.push(early);
    await early.connect();
    await present([{ type: "deck-open", t: 10, deck: a }]);
    const firstA = await latest(early, a.id);
    expect(early.frames.findIndex((f) => f.type === "welcome")).toBeLessThan(early.frames.findIndex((f) => f.type === "prefetch"));
    expect(firstA).toMatchObject({ type: "prefetch", deck: a.id, width: 800 });
    expect(firstA.pages.map((e) => e.page)).toEqual([1, 2, 3]);
    expect(firstA.thumbs.map((e) => e.page)).toEqual([1, 2, 3]);
    await expectServes(firstA, base);

    // Joining with a deck open: the list follows the welcome; no width: 1280. On a standalone bridge: the upstream's URLs.
    const late = new PhoneClient({ url: `ws://127.0.0.1:${dc.port}`, meeting: meeting.code, name: "Gus" });
    const away = new PhoneClient({ url: `ws://127.0.0.1:${standalone.port}`, meeting: meeting.code, name: "Ash", width: 390 * 3 });
    phones.push(late, away);
    await late.connect();
    await away.connect();
    expect(await latest(late, a.id)).toMatchObject({ width: 1280 });
    await expectServes(late.prefetch!, base);
    expect(await latest(away, a.id)).toMatchObject({ width: 1280 });
    await expectServes(away.prefetch!, base);

    // Another deck: every phone gets its list.
    await present([{ type: "deck-open", t: 20, deck: b }]);
    for (const p of [early, late, away]) {
      const f = await latest(p, b.id);
      expect(f.pages).toHaveLength(2);
      await expectServes(f, base);
    }
    expect(early.prefetch!.width).toBe(800);
    // A page turn is no new deck: no new list.
    const lists = early.frames.filter((f) => f.type === "prefetch").length;
    await present([{ type: "page", t: 30, page: 2 }]);
    await waitFor(() => early.state?.page === 2);
    expect(early.frames.filter((f) => f.type === "prefetch")).toHaveLength(lists);
    for (const p of [early, late, away]) expect(p.problems).toEqual([]);
  }, 120_000);
});
