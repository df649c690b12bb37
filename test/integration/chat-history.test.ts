/**
 * The room's chat in the record, over a real Prosody and the real component: chat.jsonl
 * gets every message people (and stock clients) send, never the relay's bundles; a late
 * joiner and a guest whose connection dropped get what was said from <chat/>; the answer's
 * bounds hold; a restart of the component keeps the log and its numbering.
 */
import { readFile } from "node:fs/promises";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import xml, { type Element } from "@xmpp/xml";
import { CHAT_HISTORY, decodeChatHistory, encodeChatRequest, type ChatHistory } from "../../protocol/chat.ts";
import { NS } from "../../protocol/namespaces.ts";
import { phoneChatMessage } from "../../protocol/phone-chat.ts";
import { decodeError } from "../../protocol/stanza-error.ts";
import { CHAT_FILE } from "../../server/archive/chat-log.ts";
import { RoomChat } from "../../web-client/src/app/chat.ts";
import { MeetingSession } from "../../web-client/src/app/meeting-session.ts";
import { Follower } from "../../client-core/follower.ts";
import { joinRoom } from "../../client-core/live-room.ts";
import { PresenterSender } from "../../client-core/presenter-sender.ts";
import { PASSWORD, startDeckcast, waitFor, type TestDeckcast } from "../support/deckcast.ts";
import { connectGuest, connectUser, type TestClient, createMeeting as createMeetingOn, type MeetingRef } from "../support/xmpp.ts";

let dc: TestDeckcast;
const clients: TestClient[] = [];
const stops: (() => Promise<void>)[] = [];
beforeAll(async () => {
  dc = await startDeckcast();
});
afterAll(async () => {
  for (const s of stops) await s().catch(() => undefined);
  for (const c of clients) await c.stop();
  await dc?.stop();
});

async function user(name: string) {
  const c = await connectUser(dc.prosody, name, PASSWORD);
  clients.push(c);
  return c;
}
async function guest(opts = {}) {
  const c = await connectGuest(dc.prosody, opts);
  clients.push(c);
  return c;
}

type Meeting = MeetingRef;
const createMeeting = (c: TestClient, title = "Chatty") => createMeetingOn(c, dc.prosody.domains.component, title);

/** A person in the room with the web client's chat. */
async function talker(c: TestClient, m: Meeting, nick: string) {
  await joinRoom(c.xmpp, m.room, nick);
  const chat = new RoomChat(c.xmpp, m.room, nick, m.jid);
  c.xmpp.on("stanza", (s: Element) => chat.onStanza(s, (n) => n === "deckcast"));
  return chat;
}

const log = (m: Meeting) => dc.component.meetings.get(m.code)!.archive.chat;
async function chatLines(m: Meeting) {
  const text = await readFile(path.join(dc.component.meetings.get(m.code)!.archive.dir, CHAT_FILE), "utf8");
  return text.split("\n").filter(Boolean).map((l) => JSON.parse(l) as { seq: number; ts: number; nick: string; id?: string; text: string });
}

async function history(c: TestClient, m: Meeting, after?: number): Promise<ChatHistory> {
  const res = await c.xmpp.iqCaller.request(xml("iq", { type: "get", to: m.jid }, encodeChatRequest(after)));
  const h = decodeChatHistory(res.getChild("chat", NS.deckcast)!);
  if (!h.ok) throw new Error(h.error.message);
  return h.value;
}
async function historyError(c: TestClient, to: string, el: Element) {
  return c.xmpp.iqCaller.request(xml("iq", { type: "get", to }, el)).then(() => null, (err: { element: Element }) => decodeError(err.element));
}

describe("chat in the record", () => {
  let alice: TestClient;
  let meeting: Meeting;
  let presenter: PresenterSender;

  beforeAll(async () => {
    alice = await user("alice");
    meeting = await createMeeting(alice);
    await new Follower(alice.xmpp, { room: meeting.room, meeting: meeting.jid, nick: "alice" }).join();
    presenter = new PresenterSender(alice.xmpp, { meeting: meeting.jid, clock: () => 1000 });
  });

  it("records people's messages with server time, nick, id and text; page turns and bundles are not chat", async () => {
    const fern = await talker(await guest(), meeting, "fern");
    const before = Date.now();
    await fern.send("Hello from the phone");
    presenter.send([{ type: "page", t: 1000, page: 2 }]); // relayed with a fallback <body>: not chat
    await presenter.flush();
    await fern.send("two\nlines & <markup> 你好 😀");
    // A guest's message carrying a <bundle> is not chat (and followers ignore it too).
    const mallory = await guest();
    await joinRoom(mallory.xmpp, meeting.room, "mallory");
    await mallory.xmpp.send(xml("message", { type: "groupchat", to: meeting.room, id: "fake-1" }, xml("body", {}, "Page 9 of 9"), xml("bundle", { xmlns: NS.deckcast, id: "x", t: "1", seq: "99" })));
    await fern.send("after the fake");
    await waitFor(() => log(meeting).count === 3 && fern.messages.length === 3, 10_000, "three chat lines");
    const lines = await chatLines(meeting);
    expect(lines.map((l) => [l.seq, l.nick, l.text])).toEqual([
      [1, "fern", "Hello from the phone"],
      [2, "fern", "two\nlines & <markup> 你好 😀"],
      [3, "fern", "after the fake"],
    ]);
    for (const l of lines) {
      expect(l.id).toMatch(/^chat-[a-z0-9]+$/);
      expect(l.ts).toBeGreaterThanOrEqual(before);
      expect(l.ts).toBeLessThanOrEqual(Date.now());
    }
    expect(fern.messages.map((x) => x.text)).toEqual(lines.map((l) => l.text)); // live, as before
  });

  it("keeps chat from a stock XMPP client that sends no deckcast elements and no id", async () => {
    const stock = await guest();
    await joinRoom(stock.xmpp, meeting.room, "stock client");
    const watcher = await talker(await guest(), meeting, "watcher");
    const n = log(meeting).count;
    await stock.xmpp.send(xml("message", { type: "groupchat", to: meeting.room }, xml("body", {}, "plain groupchat")));
    await waitFor(() => log(meeting).count === n + 1 && watcher.messages.length === 1, 10_000, "the stock client's line");
    const last = (await chatLines(meeting)).at(-1)!;
    expect(last).toMatchObject({ seq: n + 1, nick: "stock client", text: "plain groupchat" });
    // Prosody gives an id-less groupchat an id of its own: the record keeps the id occupants saw.
    if (last.id !== undefined) expect(watcher.messages[0]!.id).toBe(last.id);
  });

  it("keeps the phone user's name a bridge sent with a phone's message, and a late joiner shows it as live readers do", async () => {
    const m = await createMeeting(alice, "Phones");
    await new Follower(alice.xmpp, { room: m.room, meeting: m.jid, nick: "alice" }).join();
    const bridge = await guest();
    await joinRoom(bridge.xmpp, m.room, "phone bridge");
    await bridge.xmpp.send(phoneChatMessage(m.room, "ph-1", "from the bus", "Kim"));
    await waitFor(() => log(m).count === 1, 10_000, "the phone's line");
    expect((await chatLines(m))[0]).toMatchObject({ nick: "phone bridge", phone: "Kim", text: "from the bus" });
    expect((await history(alice, m)).messages[0]).toMatchObject({ nick: "phone bridge", phone: "Kim" });
    const late = await talker(await guest(), m, "late");
    await late.catchUp();
    expect(late.messages.map((x) => `${x.nick}: ${x.text}`)).toEqual(["Kim (phone, via phone bridge): from the bus"]);
  });

  it("a late joiner sees what was said before they came, in order, once", async () => {
    const late = await guest();
    const session = new MeetingSession(late.xmpp, { room: meeting.room, meeting: meeting.jid, nick: "late", componentDomain: dc.prosody.domains.component });
    stops.push(() => session.leave());
    await session.join();
    const lines = await chatLines(meeting);
    await waitFor(() => session.messages.length === lines.length, 10_000, "the history");
    expect(session.messages.map((x) => [x.seq, x.nick, x.text])).toEqual(lines.map((l) => [l.seq, l.nick, l.text]));
    expect(session.messages.filter((x) => x.self), "history messages marked as the reader's own").toEqual([]);
  });

  it("a guest whose connection dropped gets the chat sent while they were away, without duplicates", async () => {
    const flakyClient = await guest({ reconnect: true });
    const session = new MeetingSession(flakyClient.xmpp, { room: meeting.room, meeting: meeting.jid, nick: "flaky", componentDomain: dc.prosody.domains.component });
    stops.push(() => session.leave());
    await session.join();
    const fern2 = await talker(await guest(), meeting, "gus");
    await waitFor(() => session.messages.length === log(meeting).count, 10_000, "the history");
    await fern2.send("before the drop");
    await waitFor(() => session.messages.some((x) => x.text === "before the drop") && log(meeting).count === session.messages.length, 10_000, "the live message, recorded");
    await waitFor(() => session.connection === "online");
    const n = log(meeting).count;
    // Cut the guest's TCP connection; xmpp.js reconnects by itself after a second.
    (flakyClient.xmpp as unknown as { socket: { destroy(): void } }).socket.destroy();
    await waitFor(() => session.connection === "reconnecting", 10_000, "the session to notice");
    await fern2.send("while you were away 1");
    await fern2.send("while you were away 2");
    await waitFor(() => log(meeting).count === n + 2, 10_000, "the two lines recorded");
    await waitFor(() => session.connection === "online", 20_000, "the guest to come back");
    await fern2.send("after the return");
    await waitFor(() => session.messages.some((x) => x.text === "after the return") && session.messages.some((x) => x.text === "while you were away 2"), 15_000, "the missed messages");
    const texts = session.messages.map((x) => x.text);
    expect(texts.slice(-4)).toEqual(["before the drop", "while you were away 1", "while you were away 2", "after the return"]);
    expect(new Set(session.messages.map((x) => `${x.nick}/${x.id}`)).size).toBe(session.messages.length);
    const lines = await chatLines(meeting);
    expect(texts).toEqual(lines.map((l) => l.text));
  });

  it("answers with at most 100 messages and 64 KiB, with last; after=N pages through", async () => {
    const m = await createMeeting(alice, "Bounds");
    const chat = log(m);
    for (let i = 1; i <= 150; i++) await chat.append({ ts: Date.now(), nick: "n", id: `b${i}`, text: `short ${i}` });
    const reader = await guest();
    const latest = await history(reader, m);
    expect(latest.last).toBe(150);
    expect(latest.messages.map((x) => x.seq)).toEqual(Array.from({ length: 100 }, (_, i) => 51 + i));
    const first = await history(reader, m, 0);
    expect(first.messages.map((x) => x.seq)).toEqual(Array.from({ length: 100 }, (_, i) => 1 + i));
    const rest = await history(reader, m, 100);
    expect(rest.messages.map((x) => x.seq)).toEqual(Array.from({ length: 50 }, (_, i) => 101 + i));
    expect((await history(reader, m, 150)).messages).toEqual([]);
    expect((await history(reader, m, 10_000)).messages).toEqual([]); // nothing newer; last says where the log is

    // ASCII: @xmpp/connection decodes each TCP chunk on its own, so a test client over TCP
    // would cut a multi-byte character at a chunk boundary (the browser's WebSocket does not).
    for (let i = 0; i < 20; i++) await chat.append({ ts: Date.now(), nick: "n", text: "x".repeat(CHAT_HISTORY.maxText) });
    const big = await history(reader, m, 150);
    const bytes = big.messages.reduce((s, x) => s + Buffer.byteLength(x.text), 0);
    expect(big.messages.length).toBeGreaterThan(0);
    expect(big.messages.length).toBeLessThan(20);
    expect(bytes).toBeLessThanOrEqual(CHAT_HISTORY.maxBytes);
    expect(big.last).toBe(170);
  });

  it("refuses a bad after, an unknown meeting and an ended one with stable codes", async () => {
    const reader = await guest();
    const bad = await historyError(reader, meeting.jid, xml("chat", { xmlns: NS.deckcast, after: "-3" }));
    expect(bad?.code).toBe("bad-request");
    expect(bad?.text).toContain("chat@after");
    expect(bad?.text).not.toContain("<");
    const unknown = await historyError(reader, `zzzzzz@${dc.prosody.domains.component}`, encodeChatRequest());
    expect(unknown?.code).toBe("unknown-room");
    const m = await createMeeting(alice, "Ends");
    await alice.xmpp.iqCaller.request(xml("iq", { type: "set", to: m.jid }, xml("end", { xmlns: NS.deckcast })));
    expect((await historyError(reader, m.jid, encodeChatRequest()))?.code).toBe("session-ended");
  });

  it("a restart of the component keeps the chat log and goes on numbering it", async () => {
    const before = await chatLines(meeting);
    const lastSeq = log(meeting).lastSeq;
    expect(lastSeq).toBe(before.length);
    await dc.restartComponent();
    expect(log(meeting).lastSeq).toBe(lastSeq);
    const hal = await talker(await guest(), meeting, "hal");
    // The component rejoins the room after the restart; chat sent before it is back is not recorded.
    await waitFor(() => dc.component.meetings.get(meeting.code)!.occupants.has("hal"), 15_000, "the component back in the room");
    await hal.send("after the restart");
    await waitFor(() => log(meeting).count === before.length + 1, 10_000, "the new line");
    const after = await chatLines(meeting);
    expect(after.slice(0, -1)).toEqual(before);
    expect(after.at(-1)).toMatchObject({ seq: lastSeq + 1, nick: "hal", text: "after the restart" });
    const reader = await guest();
    expect((await history(reader, meeting)).messages.map((x) => x.text)).toEqual(after.map((l) => l.text));
  });
});
