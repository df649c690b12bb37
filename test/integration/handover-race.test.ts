/**
 * Hand-overs racing each other, over a real Prosody: three accounts (alice the owner, bob and
 * carol, presenter at times) fire 20 <presenter/> requests at once, each handing the role to
 * one of the occupants, ten rounds in a row. Nothing may fail but the `not-owner` of an asker
 * who is no longer presenter (and never alice, the owner); every committed hand-over was asked
 * by someone entitled at its turn; and after each round the component's rights check, the
 * manifest (in memory and on disk) and every follower name the same presenter. A restart of
 * the component keeps that presenter (the room state rebuilt from the journal).
 */
import { readFile } from "node:fs/promises";
import path from "node:path";
import xml, { type Element } from "@xmpp/xml";
import { describe, expect, it } from "vitest";
import { NS } from "../../protocol/namespaces.ts";
import { isServerBundle } from "../../protocol/server-bundles.ts";
import { decodeError } from "../../protocol/stanza-error.ts";
import type { ErrorCode } from "../../protocol/errors.ts";
import { Follower } from "../../client-core/follower.ts";
import { PASSWORD, waitFor } from "../support/deckcast.ts";
import { withDeckcast } from "../support/with-deckcast.ts";
import type { TestClient } from "../support/xmpp.ts";

const env = withDeckcast();

const ROUNDS = 10;
const REQUESTS = 20;
const NICKS = ["alice", "bob", "carol"] as const;
type Nick = (typeof NICKS)[number];
const jidOf = (nick: string) => `${nick}@localhost`;

/** The error code of a failed IQ, or null when it succeeded. */
async function iq(c: TestClient, el: Element): Promise<ErrorCode | "no-code" | null> {
  try {
    await c.xmpp.iqCaller.request(el, 15_000);
    return null;
  } catch (err) {
    const e = (err as { element?: Element }).element;
    return e ? (decodeError(e).code ?? "no-code") : "no-code";
  }
}

/** A small deterministic generator, so a failing round can be told again. */
function lcg(seed: number) {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

describe("hand-overs at the same moment", () => {
  it("leave one presenter, named alike by the rights check, the manifest and every follower, also after a restart", { timeout: 240_000 }, async () => {
    await env.dc.prosody.register("carol", PASSWORD);
    const clients = {} as Record<Nick, TestClient>;
    for (const nick of NICKS) clients[nick] = await env.user(nick);
    const res = await clients.alice.xmpp.iqCaller.request(xml("iq", { type: "set", to: env.dc.prosody.domains.component }, xml("create", { xmlns: NS.deckcast }, xml("title", {}, "Race"))));
    const meeting = res.getChild("meeting", NS.deckcast)!;
    const code = String(meeting.attrs.code);
    const room = String(meeting.attrs.room);
    const to = String(meeting.attrs.jid);

    const followers: { nick: string; f: Follower }[] = [];
    for (const nick of NICKS) {
      const f = new Follower(clients[nick].xmpp, { room, meeting: to, nick });
      await f.join();
      followers.push({ nick, f });
    }
    const guest = await env.guest();
    const watcher = new Follower(guest.xmpp, { room, meeting: to, nick: "watcher" });
    await watcher.join();
    followers.push({ nick: "watcher", f: watcher });

    const live = () => env.dc.component.meetings.get(code)!;
    await waitFor(() => NICKS.every((n) => live().occupants.get(n)?.jid), 15_000, "the component to see every occupant");

    let bundleNo = 0;
    /** Who may send bundles, by the component's own check: the one whose bundle is acked. */
    async function rightsSay(): Promise<Nick[]> {
      const acked: Nick[] = [];
      for (const nick of NICKS) {
        const id = `probe-${++bundleNo}`;
        const err = await iq(clients[nick], xml("iq", { type: "set", to }, xml("bundle", { xmlns: NS.deckcast, id, t: String(bundleNo) }, xml("page", { t: String(bundleNo), page: "1" }))));
        if (err === null) acked.push(nick);
        else expect(err, `${nick}'s bundle ${id}`).toBe("not-presenter");
      }
      return acked;
    }

    /** After a round: the component, the manifest, the file and every follower agree. */
    async function agree(round: string): Promise<string> {
      const m = live();
      const seq = m.state.seq;
      for (const { nick, f } of followers) await waitFor(() => f.seq >= seq, 15_000, `${nick} to reach seq ${seq} (${round})`);
      const nick = m.state.presenter!;
      const jid = m.presenter;
      expect(NICKS as readonly string[], `${round}: the state's presenter`).toContain(nick);
      expect(jid, `${round}: the presenter's JID is the nick's account`).toBe(jidOf(nick));
      expect(m.state.presenterJid, `${round}: the state carries the JID`).toBe(jid);
      expect(m.archive.manifest.presenter, `${round}: the manifest in memory`).toBe(jid);
      const onDisk = JSON.parse(await readFile(path.join(m.archive.dir, "manifest.json"), "utf8")) as { presenter: string };
      expect(onDisk.presenter, `${round}: manifest.json`).toBe(jid);
      for (const { nick: who, f } of followers) {
        expect(f.state?.presenter, `${round}: ${who}'s follower sees the presenter`).toBe(nick);
        expect(f.state?.presenterJid, `${round}: ${who}'s follower sees the presenter's JID`).toBe(jid);
      }
      expect(await rightsSay(), `${round}: whose bundle the component acks`).toEqual([nick]);
      return nick;
    }

    const random = lcg(20261122);
    let previous = "alice"; // who presents when a round starts
    for (let round = 1; round <= ROUNDS; round++) {
      const m = live();
      const firstSeq = m.state.seq + 1;
      const asks = Array.from({ length: REQUESTS }, (_, i) => ({ asker: NICKS[i % NICKS.length]!, target: NICKS[Math.floor(random() * NICKS.length)]! }));
      const answers = await Promise.all(asks.map(({ asker, target }) => iq(clients[asker], xml("iq", { type: "set", to }, xml("presenter", { xmlns: NS.deckcast, nick: target })))));
      for (const [i, err] of answers.entries()) {
        const { asker, target } = asks[i]!;
        if (err === null) continue;
        expect(`${asker}→${target}: ${err}`, `round ${round}: only an asker who no longer presents may be refused`).toBe(`${asker}→${target}: not-owner`);
        expect(asker, `round ${round}: the owner is never refused`).not.toBe("alice");
      }
      // The journal, in commit order: one hand-over per request that succeeded, each with an
      // id of its own, each asked (its `from`) by the owner or the presenter of its turn.
      const lines = await m.archive.journal.read(firstSeq, m.archive.journal.lastSeq);
      const handovers = lines.filter((l) => l.events.some((e) => e.type === "presenter"));
      expect(handovers.length, `round ${round}: hand-overs archived`).toBe(answers.filter((a) => a === null).length);
      expect(new Set(handovers.map((l) => l.id)).size, `round ${round}: hand-over ids`).toBe(handovers.length);
      let presenter = previous;
      for (const l of handovers) {
        expect(isServerBundle(l), `round ${round}, seq ${l.seq}: ${l.id} is a server bundle`).toBe(true);
        expect(["alice", presenter], `round ${round}, seq ${l.seq}: ${l.from} handed over while ${presenter} presented`).toContain(l.from);
        const e = l.events.find((x) => x.type === "presenter")!;
        if (e.type === "presenter") {
          expect(e.jid, `round ${round}, seq ${l.seq}: the event names the new presenter's account`).toBe(jidOf(e.nick));
          presenter = e.nick;
        }
      }
      previous = await agree(`round ${round}`);
      expect(previous, `round ${round}: the last hand-over decides`).toBe(presenter);
    }

    // A restart: the presenter is rebuilt from the journal, and the rights check agrees.
    const before = { nick: live().state.presenter, jid: live().presenter };
    await env.dc.restartComponent();
    await waitFor(() => NICKS.every((n) => live()?.occupants.get(n)?.jid), 15_000, "the component to rejoin the room");
    expect({ nick: live().state.presenter, jid: live().presenter }).toEqual(before);
    expect(await agree("after the restart")).toBe(before.nick);
  });
});
