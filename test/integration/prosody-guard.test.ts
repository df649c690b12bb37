/**
 * mod_deckcast_guard over the real Prosody, with real @xmpp/client guests in a meeting's
 * room: nicks longer than LIMITS.maxNick code points are refused at the door (joins and nick
 * changes) with bad-nick, chat is rate-limited per occupant and capped in size, and the
 * component's own relay of bundles is never limited.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import xml, { type Element } from "@xmpp/xml";
import { LIMITS, NS } from "../../protocol/namespaces.ts";
import { decodeError } from "../../protocol/stanza-error.ts";
import { CHAT_LIMITS } from "../../prosody/config.ts";
import { joinRoom } from "../../client-core/live-room.ts";
import { RoomChat } from "../../web-client/src/app/chat.ts";
import { PASSWORD, startDeckcast, waitFor, type TestDeckcast } from "../support/deckcast.ts";
import { connectGuest, connectUser, nextStanza, type TestClient } from "../support/xmpp.ts";

let dc: TestDeckcast;
const clients: TestClient[] = [];
let alice: TestClient;
let meeting: { code: string; room: string; jid: string };

beforeAll(async () => {
  dc = await startDeckcast();
  alice = await connectUser(dc.prosody, "alice", PASSWORD);
  clients.push(alice);
  const res = await alice.xmpp.iqCaller.request(xml("iq", { type: "set", to: dc.prosody.domains.component }, xml("create", { xmlns: NS.deckcast }, xml("title", {}, "Guarded"))));
  meeting = res.getChild("meeting", NS.deckcast)!.attrs as typeof meeting;
});

afterAll(async () => {
  for (const c of clients) await c.stop();
  await dc?.stop();
});

async function guest(): Promise<TestClient> {
  const c = await connectGuest(dc.prosody);
  clients.push(c);
  return c;
}

/** Sends a join (or, already in the room, a nick change) and resolves with the room's answer. */
async function presenceTo(c: TestClient, nick: string, join = true): Promise<Element> {
  const to = `${meeting.room}/${nick}`;
  const answer = nextStanza(c.xmpp, (s) => s.is("presence") && s.attrs.from === to);
  await c.xmpp.send(xml("presence", { to }, ...(join ? [xml("x", { xmlns: NS.muc }, xml("history", { maxstanzas: "0" }))] : [])));
  return answer;
}

const chat = (c: TestClient, body: string) => c.xmpp.send(xml("message", { type: "groupchat", to: meeting.room }, xml("body", {}, body)));

/** Counts groupchat bodies `c` receives, by sender nick. */
function countChat(c: TestClient): Map<string, number> {
  const counts = new Map<string, number>();
  c.xmpp.on("stanza", (s: Element) => {
    if (!s.is("message") || s.attrs.type !== "groupchat" || s.getChild("bundle", NS.deckcast)) return;
    const from = String(s.attrs.from ?? "");
    if (!from.startsWith(`${meeting.room}/`) || s.getChildText("body") === null) return;
    const nick = from.slice(meeting.room.length + 1);
    counts.set(nick, (counts.get(nick) ?? 0) + 1);
  });
  return counts;
}

/** Collects the deckcast codes of message errors `c` receives. */
function messageErrors(c: TestClient): { code: string | null; condition: string; text: string }[] {
  const errors: { code: string | null; condition: string; text: string }[] = [];
  c.xmpp.on("stanza", (s: Element) => {
    if (s.is("message") && s.attrs.type === "error") errors.push(decodeError(s));
  });
  return errors;
}

describe("nicks at the door", () => {
  it(`refuses a join with a nick of ${LIMITS.maxNick + 1} code points with bad-nick`, async () => {
    const g = await guest();
    const answer = await presenceTo(g, "n".repeat(LIMITS.maxNick + 1));
    expect(answer.attrs.type).toBe("error");
    const err = decodeError(answer);
    expect(err).toMatchObject({ code: "bad-nick", condition: "not-acceptable", type: "modify" });
    expect(err.text).toContain(`${LIMITS.maxNick + 1} characters`);
    expect(err.text).toContain(`at most ${LIMITS.maxNick}`);
  });

  it(`accepts ${LIMITS.maxNick} code points, also of multi-byte characters (counted as characters, not bytes)`, async () => {
    // 日: 3 bytes in UTF-8; 𠀀 (U+20000): 4 bytes in UTF-8, 2 UTF-16 units. Both survive resourceprep.
    for (const nick of ["n".repeat(LIMITS.maxNick), "日".repeat(LIMITS.maxNick), "𠀀".repeat(LIMITS.maxNick)]) {
      const g = await guest();
      await joinRoom(g.xmpp, meeting.room, nick);
    }
    const g = await guest();
    const answer = await presenceTo(g, "𠀀".repeat(LIMITS.maxNick + 1));
    expect(decodeError(answer).code).toBe("bad-nick");
  });

  it(`refuses a nick change to ${LIMITS.maxNick + 1} code points; the occupant keeps its nick`, async () => {
    const g = await guest();
    await joinRoom(g.xmpp, meeting.room, "shortnick");
    const answer = await presenceTo(g, "x".repeat(LIMITS.maxNick + 1), false);
    expect(answer.attrs.type).toBe("error");
    expect(decodeError(answer)).toMatchObject({ code: "bad-nick", condition: "not-acceptable" });
    // Still in the room as "shortnick": its chat comes back from that nick.
    const echo = nextStanza(g.xmpp, (s) => s.is("message") && s.attrs.from === `${meeting.room}/shortnick`);
    await chat(g, "still here");
    expect((await echo).getChildText("body")).toBe("still here");
  });
});

describe("chat", () => {
  it("lets one occupant send at most burst + rate·elapsed of 100 fast messages; others are unaffected", async () => {
    const flooder = await guest();
    const talker = await guest();
    const watcher = await guest();
    await joinRoom(flooder.xmpp, meeting.room, "flooder");
    await joinRoom(talker.xmpp, meeting.room, "talker");
    await joinRoom(watcher.xmpp, meeting.room, "watcher");
    const seen = countChat(watcher);
    const flooderErrors = messageErrors(flooder);
    const talkerErrors = messageErrors(talker);

    const COUNT = 100;
    const TALK = 5;
    const started = performance.now();
    const flood = (async () => {
      for (let i = 0; i < COUNT; i++) await chat(flooder, `flood ${i}`);
    })();
    for (let i = 0; i < TALK; i++) await chat(talker, `hello ${i}`);
    await flood;
    // Every flood message is either relayed (the watcher sees it) or refused (the flooder gets an error).
    await waitFor(() => (seen.get("flooder") ?? 0) + flooderErrors.length >= COUNT && (seen.get("talker") ?? 0) >= TALK, 20_000, "every message to be relayed or refused");
    const elapsedS = (performance.now() - started) / 1000;

    const relayed = seen.get("flooder") ?? 0;
    expect(relayed + flooderErrors.length).toBe(COUNT);
    expect(relayed).toBeLessThanOrEqual(CHAT_LIMITS.burst + CHAT_LIMITS.perSecond * elapsedS);
    expect(flooderErrors.length).toBeGreaterThan(0);
    for (const e of flooderErrors) expect(e).toMatchObject({ code: "rate-limited", condition: "policy-violation" });
    expect(seen.get("talker")).toBe(TALK);
    expect(talkerErrors).toEqual([]);
  });

  it(`refuses a message over ${CHAT_LIMITS.maxBodyChars} characters with too-large; ${CHAT_LIMITS.maxBodyChars} pass`, async () => {
    const writer = await guest();
    const watcher = await guest();
    await joinRoom(writer.xmpp, meeting.room, "writer");
    await joinRoom(watcher.xmpp, meeting.room, "reader");
    const seen = countChat(watcher);
    const errors = messageErrors(writer);
    await chat(writer, "é".repeat(CHAT_LIMITS.maxBodyChars + 1));
    await waitFor(() => errors.length === 1, 10_000, "the refusal");
    expect(errors[0]).toMatchObject({ code: "too-large", condition: "policy-violation" });
    expect(errors[0]!.text).toContain(`at most ${CHAT_LIMITS.maxBodyChars}`);
    await chat(writer, "é".repeat(CHAT_LIMITS.maxBodyChars)); // 8000 bytes, 4000 characters
    await waitFor(() => seen.get("writer") === 1, 10_000, "the message at the limit");
    expect(errors).toHaveLength(1);
  });

  it("never limits the component: 100 bundles sent fast all reach a follower as groupchat", async () => {
    const follower = await guest();
    await joinRoom(follower.xmpp, meeting.room, "follower");
    const ids = new Set<string>();
    follower.xmpp.on("stanza", (s: Element) => {
      if (!s.is("message") || s.attrs.type !== "groupchat" || !String(s.attrs.from).startsWith(`${meeting.room}/`)) return;
      const id = s.getChild("bundle", NS.deckcast)?.attrs.id;
      if (typeof id === "string" && id.startsWith("fast-")) ids.add(id);
    });
    const ackedErrors: unknown[] = [];
    const COUNT = 100;
    for (let n = 1; n <= COUNT; n++) {
      // One bundle each (raw IQs: PresenterSender would coalesce them), as fast as acks come.
      await alice.xmpp.iqCaller
        .request(xml("iq", { type: "set", to: meeting.jid }, xml("bundle", { xmlns: NS.deckcast, id: `fast-${n}`, t: String(n) }, xml("pointer", { t: String(n), page: "1", x: "10", y: "10" }))))
        .catch((err: unknown) => ackedErrors.push(err));
    }
    expect(ackedErrors).toEqual([]);
    await waitFor(() => ids.size === COUNT, 20_000, "every bundle to reach the follower");
    expect(ids.size).toBe(COUNT);
  });
});

describe("the web client's chat when the room refuses", () => {
  it("shows a refused message as not sent, with the reason, instead of dropping it silently", async () => {
    const g = await guest();
    await joinRoom(g.xmpp, meeting.room, "Talker");
    const room = new RoomChat(g.xmpp, meeting.room, "Talker");
    g.xmpp.on("stanza", (s: Element) => room.onStanza(s, () => false));
    for (let i = 0; i < CHAT_LIMITS.burst + 10; i++) await room.send(`line ${i}`);
    await waitFor(() => room.messages.some((m) => m.refused), 10_000, "a refusal");
    const refused = room.messages.filter((m) => m.refused);
    expect(refused[0]!.text).toMatch(/^Not sent \(“line \d+”\): You are sending messages too fast/);
    expect(room.messages.filter((m) => !m.refused).length).toBeGreaterThanOrEqual(CHAT_LIMITS.burst);
  });
});
