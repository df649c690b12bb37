/**
 * A deck from upload to followers, over real XMPP and HTTP: Alice asks the component for an
 * upload slot (XEP-0363), PUTs a PowerPoint deck, hears "converting" then "ready" over
 * XMPP, opens it in her meeting, and a follower fetches its page images by content address.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readFile } from "node:fs/promises";
import pino from "pino";
import xml, { type Element } from "@xmpp/xml";
import { NS } from "../../protocol/namespaces.ts";
import { decodeError } from "../../protocol/stanza-error.ts";
import { createHttpServer, type HttpServer } from "../../server/http/app.ts";
import { setupDecks, type Decks } from "../../server/decks/setup.ts";
import { Follower } from "../../client-core/follower.ts";
import { PresenterSender } from "../../client-core/presenter-sender.ts";
import { PASSWORD, startDeckcast, waitFor, type TestDeckcast } from "../support/deckcast.ts";
import { connectGuest, connectUser, nextStanza, type TestClient } from "../support/xmpp.ts";
import { needFixtures } from "../support/fixtures.ts";

const need = needFixtures("decks/tbl-cell.pptx");
const deckFile = need.paths[0]!;

describe.skipIf(need.skip)(`a deck from upload to followers${need.note}`, () => {
  let dc: TestDeckcast;
  let http: HttpServer;
  let decks: Decks;
  let base: string;
  const clients: TestClient[] = [];

  beforeAll(async () => {
    // deck-open must name a deck the store has: the lookup reaches the store set up below.
    dc = await startDeckcast({ decks: { has: (id) => decks?.service.has(id) ?? false } });
    const log = pino({ level: "silent" });
    http = createHttpServer({ log });
    const port = await http.listen(0);
    base = `http://127.0.0.1:${port}`;
    decks = setupDecks(dc.component.link, { dataDir: dc.dataDir, publicUrl: base, accountDomain: dc.prosody.domains.accounts, secret: "test-secret", workers: 1, log });
    http.mount("/upload", decks.uploadRouter);
    http.mount("/decks", decks.deckRouter);
  });
  afterAll(async () => {
    for (const c of clients) await c.stop();
    await decks?.stop();
    await http?.close();
    await dc?.stop();
  });

  async function requestSlot(c: TestClient, size: number) {
    return c.xmpp.iqCaller.request(xml("iq", { type: "get", to: dc.prosody.domains.component }, xml("request", { xmlns: NS.upload, filename: "tables.pptx", size: String(size) })));
  }

  it("Alice uploads, hears it converted, opens it; a follower sees it and fetches page images", async () => {
    const alice = await connectUser(dc.prosody, "alice", PASSWORD);
    const fern = await connectGuest(dc.prosody);
    clients.push(alice, fern);
    const created = await alice.xmpp.iqCaller.request(xml("iq", { type: "set", to: dc.prosody.domains.component }, xml("create", { xmlns: NS.deckcast }, xml("title", {}, "Tables"))));
    const m = created.getChild("meeting", NS.deckcast)!.attrs as { room: string; jid: string };
    await new Follower(alice.xmpp, { room: m.room, meeting: m.jid, nick: "alice" }).join();
    const follower = new Follower(fern.xmpp, { room: m.room, meeting: m.jid, nick: "fern" });
    await follower.join();

    const bytes = await readFile(deckFile);
    const slot = (await requestSlot(alice, bytes.length)).getChild("slot", NS.upload)!;
    const put = String(slot.getChild("put")!.attrs.url);
    expect(put.startsWith(`${base}/upload/`)).toBe(true);

    const states: string[] = [];
    const ready = nextStanza(alice.xmpp, (el) => {
      const st = el.getChild("deck-status", NS.deckcast);
      if (!st) return false;
      states.push(String(st.attrs.state));
      return st.attrs.state === "ready" || st.attrs.state === "failed";
    }, 60_000);
    const res = await fetch(put, { method: "PUT", body: bytes, headers: { "content-length": String(bytes.length) } });
    expect(res.status).toBe(201);
    const status = (await ready).getChild("deck-status", NS.deckcast)!;
    expect(status.attrs.state).toBe("ready");
    expect(states).toContain("converting");
    const deck = { id: String(status.attrs.deck), pages: Number(status.attrs.pages), title: String(status.attrs.title ?? "") };
    expect(deck.pages).toBe(3);

    const presenter = new PresenterSender(alice.xmpp, { meeting: m.jid, clock: () => 1000 });
    presenter.send([{ type: "deck-open", t: 1000, deck }, { type: "page", t: 1001, page: 3 }]);
    await presenter.flush();
    await waitFor(() => follower.state?.page === 3);
    expect(follower.state?.deck).toEqual(deck);

    const img = await fetch(`${base}/decks/${deck.id}/pages/3.jpg?w=320`);
    expect(img.status).toBe(200);
    expect(img.headers.get("content-type")).toMatch(/image\/jpeg/);
    expect(img.headers.get("cache-control")).toMatch(/immutable/);
    const jpeg = new Uint8Array(await img.arrayBuffer());
    expect([jpeg[0], jpeg[1]]).toEqual([0xff, 0xd8]);
  });

  it("a deck that was never uploaded cannot be opened, and guests cannot upload", async () => {
    const alice = await connectUser(dc.prosody, "alice", PASSWORD);
    const guest = await connectGuest(dc.prosody);
    clients.push(alice, guest);
    const created = await alice.xmpp.iqCaller.request(xml("iq", { type: "set", to: dc.prosody.domains.component }, xml("create", { xmlns: NS.deckcast })));
    const m = created.getChild("meeting", NS.deckcast)!.attrs as { jid: string };
    const refused = await alice.xmpp.iqCaller
      .request(xml("iq", { type: "set", to: m.jid }, xml("bundle", { xmlns: NS.deckcast, id: "d1", t: "5" }, xml("deck-open", { t: "5", deck: "f".repeat(64), pages: "3" }, "Ghost"))))
      .then(() => null, (err: { element: Element }) => decodeError(err.element));
    expect(refused?.code).toBe("unknown-deck");
    const noSlot = await requestSlot(guest, 1000).then(() => null, (err: { element: Element }) => decodeError(err.element));
    expect(noSlot?.code).toBe("guest-not-allowed");
  });
});
