/**
 * Every deck opened is in the record: a presenter opens five decks in one meeting over real
 * XMPP; manifest.json lists all five in order (`decks`), `deck` is the current one; a
 * manifest rebuilt from the journal, and one written before `decks` existed, say the same.
 */
import { readFile, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import xml from "@xmpp/xml";
import { NS } from "../../protocol/namespaces.ts";
import type { DeckRef } from "../../protocol/types.ts";
import { Follower } from "../../client-core/follower.ts";
import { PresenterSender } from "../../client-core/presenter-sender.ts";
import { PASSWORD, startDeckcast, waitFor, type TestDeckcast } from "../support/deckcast.ts";
import { connectUser, type TestClient } from "../support/xmpp.ts";

const decks: DeckRef[] = ["Intro", "Numbers", "Roadmap", "Numbers again", "Q&A"].map((title, i) => ({ id: String(i + 1).repeat(64).slice(0, 64), pages: 3 + i, title }));
// Deck 4 reopens deck 2: every opening counts, in order.
decks[3] = { ...decks[1]!, title: decks[1]!.title };

let dc: TestDeckcast;
let alice: TestClient;
beforeAll(async () => {
  // deck-open must name a deck the store has (as with real uploads, see deck-flow.test.ts).
  dc = await startDeckcast({ decks: { has: (id) => decks.some((d) => d.id === id) } });
  alice = await connectUser(dc.prosody, "alice", PASSWORD);
});
afterAll(async () => {
  await alice?.stop();
  await dc?.stop();
});

describe("the manifest lists every deck opened", () => {
  it("five decks opened: all five in order with session time and seq, deck the last; rebuilt the same", async () => {
    const res = await alice.xmpp.iqCaller.request(xml("iq", { type: "set", to: dc.prosody.domains.component }, xml("create", { xmlns: NS.deckcast }, xml("title", {}, "Five decks"))));
    const { code, room, jid } = res.getChild("meeting", NS.deckcast)!.attrs as { code: string; room: string; jid: string };
    const follower = new Follower(alice.xmpp, { room, meeting: jid, nick: "alice" });
    await follower.join();
    const presenter = new PresenterSender(alice.xmpp, { meeting: jid, clock: () => 0 });
    const seqs: number[] = [];
    presenter.on("ack", (a) => seqs.push(a.seq));
    for (const [i, deck] of decks.entries()) {
      const t = (i + 1) * 10_000;
      presenter.send([{ type: "deck-open", t, deck }, { type: "page", t: t + 1, page: 2 }]);
      await presenter.flush();
    }
    await waitFor(() => follower.state?.deck?.title === "Q&A");
    const m = dc.component.meetings.get(code)!;
    const file = path.join(m.archive.dir, "manifest.json");
    const expected = decks.map((d, i) => ({ ...d, at: (i + 1) * 10_000, seq: seqs[i] }));
    const manifest = JSON.parse(await readFile(file, "utf8"));
    expect(manifest.decks).toEqual(expected);
    expect(manifest.deck).toEqual(decks[4]);

    // Rebuilt from the journal (the manifest lost), after a restart.
    await rm(file);
    await dc.restartComponent();
    const rebuilt = JSON.parse(await readFile(file, "utf8"));
    expect(rebuilt.decks).toEqual(expected);
    expect(rebuilt.deck).toEqual(decks[4]);

    // A manifest written before `decks` existed is completed from the journal when opened.
    const { decks: _dropped, ...old } = rebuilt;
    await dc.component.stop();
    await writeFile(file, JSON.stringify(old, null, 2) + "\n");
    await dc.restartComponent();
    const completed = JSON.parse(await readFile(file, "utf8"));
    expect(completed.decks).toEqual(expected);
    expect(dc.component.meetings.get(code)!.archive.manifest.decks).toEqual(expected);
  });
});
