/**
 * Hostile input, one stanza at a time (issue 9): deep nesting, times from the far future,
 * nicks the protocol cannot carry, a guest in the presenter's nick, bundles named like the
 * component's own, and `<end/>` racing bundles. A real Prosody, the real component in a
 * process of its own (a crash is an exit here, not a hang), real @xmpp/client connections.
 * Read each test as the conversation it is.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import xml from "@xmpp/xml";
import { encodeBase64 } from "../../protocol/base64.ts";
import { NS } from "../../protocol/namespaces.ts";
import { Follower } from "../../client-core/follower.ts";
import { acknowledgedProblems, archiveDir, readArchive } from "../support/hostile-archive.ts";
import { PASSWORD, startHostileStack, type HostileStack } from "../support/hostile-stack.ts";
import { ask, askRaw, createMeeting, leave, measure, nestedXml, tryJoin, writeRaw, type Answer, type MeetingRef } from "../support/hostile-xmpp.ts";
import { concat, syntheticRecording } from "../support/opus.ts";
import { connectGuest, connectUser, type TestClient } from "../support/xmpp.ts";

let stack: HostileStack;
const clients: TestClient[] = [];
beforeAll(async () => {
  stack = await startHostileStack();
});
afterAll(async () => {
  for (const c of clients) await c.stop();
  await stack?.stop();
});
// A test that crashed the component (before the fixes) must not fail every later one too.
beforeEach(async () => {
  if (stack.component.exit) await stack.startComponent();
});

async function user(name: "alice" | "bob") {
  const c = await connectUser(stack.prosody, name, PASSWORD);
  c.xmpp.setMaxListeners(50); // a follower, joins and requests in flight at once
  clients.push(c);
  return c;
}
async function guest() {
  const c = await connectGuest(stack.prosody);
  c.xmpp.setMaxListeners(50);
  clients.push(c);
  return c;
}
const component = () => stack.prosody.domains.component;
/** The session clock of a meeting now (ms since it started). */
const clockOf = (m: MeetingRef) => () => Date.now() - m.started;

/** The component process is still the one we started, and it answers. */
async function expectAlive(asker: TestClient, m: MeetingRef) {
  expect(stack.component.exit, `the component exited:\n${stack.component.stderrTail()}`).toBeNull();
  const state = await ask(asker, "get", m.jid, xml("state", { xmlns: NS.deckcast }), 10_000);
  expect(state.kind, "the component answers a <state/> request").toBe("result");
}

const bundle = (attrs: Record<string, string>, ...children: ReturnType<typeof xml>[]) => xml("bundle", { xmlns: NS.deckcast, ...attrs }, ...children);
const codeOf = (a: Answer) => (a.kind === "error" ? a.error.code : a.kind);

describe("one stanza nested thousands deep", () => {
  let alice: TestClient;
  let meeting: MeetingRef;
  beforeAll(async () => {
    alice = await user("alice");
    meeting = await createMeeting(alice, component());
  });
  afterAll(async () => {
    await ask(alice, "set", meeting.jid, xml("end", { xmlns: NS.deckcast }));
  });

  it("a guest bounces an <error> nesting 8,000 elements at the component: it keeps answering, and never logs the payload", async () => {
    const mallory = await guest();
    const bounce = (to: string) => `<message to="${to}" type="error" id="bounce-${to.length}"><error type="cancel">${nestedXml(8000)}</error></message>`;
    await writeRaw(mallory, bounce(component()));
    await writeRaw(mallory, bounce(meeting.jid));
    // Mallory's own next request travels the same stream, so it is handled after the bounces.
    await expectAlive(mallory, meeting);
    const created = await ask(alice, "set", component(), xml("create", { xmlns: NS.deckcast }, xml("title", {}, "After the bounce")), 15_000);
    expect(created.kind).toBe("result");
    const jid = created.kind === "result" ? created.element.getChild("meeting", NS.deckcast)?.attrs.jid : undefined;
    if (jid) await ask(alice, "set", String(jid), xml("end", { xmlns: NS.deckcast }));
    expect(stack.component.stderrTail()).not.toContain("<a><a><a><a>");
  });

  it("an IQ nesting 5,000 levels gets too-deep, and the answer does not carry the nesting back", async () => {
    const mallory = await guest();
    const answer = await askRaw(mallory, "get", meeting.jid, `<state xmlns="${NS.deckcast}">${nestedXml(5000)}</state>`, 10_000);
    expect(answer.kind, "the IQ is answered").toBe("error");
    if (answer.kind !== "error") return;
    expect(answer.error).toMatchObject({ code: "too-deep", type: "modify", condition: "policy-violation" });
    const size = measure(answer.element);
    expect(size.depth).toBeLessThan(8);
    expect(size.chars).toBeLessThan(2000);
    await expectAlive(mallory, meeting);
  });

  it("the presenter's bundle nesting 6,000 levels is refused the same way and archived nowhere", async () => {
    const answer = await askRaw(alice, "set", meeting.jid, `<bundle xmlns="${NS.deckcast}" id="deep-1" t="1"><page t="1" page="1">${nestedXml(6000, "x")}</page></bundle>`, 10_000);
    expect(codeOf(answer)).toBe("too-deep");
    if (answer.kind === "error") expect(measure(answer.element).chars).toBeLessThan(2000);
    await expectAlive(alice, meeting);
    const lines = await readArchive(archiveDir(stack.componentDataDir, meeting.session));
    expect(lines.filter((l) => l.id === "deep-1")).toEqual([]);
    // The presenter is not stuck: her next bundle is acknowledged.
    const next = await ask(alice, "set", meeting.jid, bundle({ id: "after-deep", t: String(clockOf(meeting)()) }, xml("page", { t: String(clockOf(meeting)()), page: "2" })));
    expect(next.kind).toBe("result");
  });
});

describe("a session time from the far future", () => {
  const FAR = "9007199254740991"; // Number.MAX_SAFE_INTEGER: valid as an integer, 285,000 years ahead
  const HUNDRED_HOURS = 100 * 3600_000;
  let alice: TestClient;
  let meeting: MeetingRef;
  const rec = syntheticRecording({ serial: 0xfa4, pages: 20, framesPerPage: 5, packetBytes: 120 });
  const audio = (i: number) => encodeBase64(i === 0 ? concat(rec.slice(0, 3)) : rec[i + 2]!);

  beforeAll(async () => {
    alice = await user("alice");
    meeting = await createMeeting(alice, component(), "Far future");
    // Audio is flowing: the stream has its headers, so a far `t` would make silence.
    const now = String(clockOf(meeting)());
    const first = await ask(alice, "set", meeting.jid, bundle({ id: "talk-0", t: now }, xml("audio", { t: now }, audio(0))));
    expect(first.kind).toBe("result");
  });

  it("bundles, events and audio at t = 2^53 − 1 or 100 hours ahead are refused with bad-time; the server keeps answering and does not balloon", async () => {
    const rssBefore = await stack.component.peakRss();
    const ahead = String(clockOf(meeting)() + HUNDRED_HOURS);
    const now = () => String(clockOf(meeting)());
    // Times without audio first (before the fix they were taken and poisoned the meeting's
    // clock), then audio (before the fix the component made silence until it ran out of memory).
    const attempts = [
      ["far-bundle", bundle({ id: "far-bundle", t: FAR }, xml("page", { t: now(), page: "1" }))],
      ["far-event", bundle({ id: "far-event", t: now() }, xml("page", { t: FAR, page: "1" }))],
      ["far-pointer", bundle({ id: "far-pointer", t: now() }, xml("pointer", { t: FAR, page: "1", x: "5", y: "5" }))],
      ["ahead-bundle", bundle({ id: "ahead-bundle", t: ahead })],
      ["far-audio", bundle({ id: "far-audio", t: now() }, xml("audio", { t: FAR }, audio(1)))],
      ["ahead-audio", bundle({ id: "ahead-audio", t: now() }, xml("audio", { t: ahead }, audio(1)))],
    ] as const;
    try {
      for (const [id, el] of attempts) {
        const answer = await ask(alice, "set", meeting.jid, el, 10_000);
        expect.soft(codeOf(answer), `${id} is refused`).toBe("bad-time");
        if (answer.kind === "error") expect.soft(answer.error.condition).toBe("bad-request");
        if (answer.kind === "timeout") break;
      }
      // Other requests are answered promptly (waited for, not timed).
      const g = await guest();
      expect((await ask(g, "get", meeting.jid, xml("state", { xmlns: NS.deckcast }), 5000)).kind).toBe("result");
      expect((await ask(g, "get", component(), xml("query", { xmlns: "http://jabber.org/protocol/disco#info" }), 5000)).kind).toBe("result");
      const rssAfter = await stack.component.peakRss();
      expect(rssAfter - rssBefore, "peak memory growth (bytes)").toBeLessThan(256 * 1024 * 1024);
    } finally {
      // Before the fix the component fills 285,000 years with silence: stop it burning the machine.
      if (stack.component.exit === null && (await ask(alice, "get", meeting.jid, xml("state", { xmlns: NS.deckcast }), 2000)).kind !== "result") await stack.component.kill9();
    }
  });

  it("the meeting is not poisoned: the next bundle is acknowledged, the clock is the real one, and <end/> is answered", async () => {
    const t = String(clockOf(meeting)());
    const next = await ask(alice, "set", meeting.jid, bundle({ id: "talk-1", t }, xml("page", { t, page: "2" }), xml("audio", { t }, audio(1))), 10_000);
    expect(next.kind).toBe("result");
    const watcher = await guest();
    const f = new Follower(watcher.xmpp, { room: meeting.room, meeting: meeting.jid, nick: "watcher" });
    const state = await f.join();
    expect(state.page).toBe(2);
    expect(state.clock).toBeLessThan(clockOf(meeting)() + 3600_000);
    const end = await ask(alice, "set", meeting.jid, xml("end", { xmlns: NS.deckcast }), 10_000);
    if (end.kind === "timeout") await stack.component.kill9(); // silence up to a poisoned clock
    expect(end.kind).toBe("result");
    const lines = await readArchive(archiveDir(stack.componentDataDir, meeting.session));
    expect(lines.map((l) => l.id).filter((id) => id.startsWith("far-") || id.startsWith("ahead-"))).toEqual([]);
    expect(Math.max(...lines.map((l) => l.t))).toBeLessThan(clockOf(meeting)() + 3600_000);
  });
});

describe("nicks the protocol cannot carry", () => {
  const LONG = "n".repeat(65); // LIMITS.maxNick is 64 code points
  let alice: TestClient;
  let meeting: MeetingRef;
  let watcher: Follower;
  beforeAll(async () => {
    alice = await user("alice");
    meeting = await createMeeting(alice, component(), "Long names");
    expect(await tryJoin(alice, meeting.room, "alice")).toBeNull();
    watcher = new Follower((await guest()).xmpp, { room: meeting.room, meeting: meeting.jid, nick: "watcher" });
    await watcher.join();
  });
  afterAll(async () => {
    await ask(alice, "set", meeting.jid, xml("end", { xmlns: NS.deckcast }));
  });

  it("a guest cannot join with a 65-code-point nick (bad-nick); 64 code points of 4-byte characters are fine", async () => {
    const g = await guest();
    const refused = await tryJoin(g, meeting.room, LONG);
    expect(refused?.code).toBe("bad-nick");
    expect(refused?.condition).toBe("not-acceptable");
    // U+10400 DESERET CAPITAL LETTER LONG I: 4 bytes, 2 UTF-16 units, and allowed by
    // resourceprep (Prosody's strict nick check refuses characters newer than Unicode 3.2, emoji).
    expect(await tryJoin(g, meeting.room, "\u{10400}".repeat(64))).toBeNull();
  });

  it("a guest in the room cannot change to a 65-code-point nick", async () => {
    const g = await guest();
    expect(await tryJoin(g, meeting.room, "shorty")).toBeNull();
    const refused = await tryJoin(g, meeting.room, `${LONG}x`);
    expect(refused?.code).toBe("bad-nick");
  });

  it("the owner cannot hand the presenter role to such an occupant; followers and late joiners go on reading the meeting", async () => {
    const g = await guest();
    await tryJoin(g, meeting.room, LONG); // refused once the door checks nicks
    const handed = await ask(alice, "set", meeting.jid, xml("presenter", { xmlns: NS.deckcast, nick: LONG }));
    expect(handed.kind).toBe("error");
    // Alice still presents, and everyone can read what she sends.
    const t = String(clockOf(meeting)());
    expect((await ask(alice, "set", meeting.jid, bundle({ id: "still-alice", t }, xml("page", { t, page: "3" })))).kind).toBe("result");
    await expectPage(watcher, 3);
    const late = new Follower((await guest()).xmpp, { room: meeting.room, meeting: meeting.jid, nick: "late" });
    const state = await late.join(); // "bad state" here before the fix
    expect(state.presenter).toBe("alice");
    expect(state.page).toBe(3);
  });
});

async function expectPage(f: Follower, page: number) {
  const until = Date.now() + 10_000;
  while (f.state?.page !== page && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
  expect(f.state?.page).toBe(page);
}

describe("the presenter's and the owner's nicks are theirs", () => {
  let alice: TestClient;
  let bob: TestClient;
  let meeting: MeetingRef;
  /** Guests who tried to take alice's or bob's nick (joined or not). */
  const imposters: TestClient[] = [];
  beforeAll(async () => {
    alice = await user("alice");
    bob = await user("bob");
    meeting = await createMeeting(alice, component(), "Reserved names");
    expect(await tryJoin(alice, meeting.room, "alice")).toBeNull();
    expect(await tryJoin(bob, meeting.room, "bob")).toBeNull();
    expect((await ask(alice, "set", meeting.jid, xml("presenter", { xmlns: NS.deckcast, nick: "bob" }))).kind).toBe("result");
    // Both step out of the room; bob is still the presenter, alice still the owner.
    await leave(bob, meeting.room, "bob");
    await leave(alice, meeting.room, "alice");
  });
  afterAll(async () => {
    await ask(alice, "set", meeting.jid, xml("end", { xmlns: NS.deckcast }));
  });

  const t = () => String(clockOf(meeting)());
  async function expectNoImposterPresents(when: string) {
    for (const [i, c] of imposters.entries()) {
      const sent = await ask(c, "set", meeting.jid, bundle({ id: `imposter-${i}-${Date.now()}`, t: t() }, xml("page", { t: t(), page: "4" })));
      expect(codeOf(sent), `guest ${i + 1} may not present ${when}`).toBe("not-presenter");
    }
  }

  it("a guest cannot take the presenter's or the owner's nick while they are out (conflict)", async () => {
    const g = await guest();
    const g2 = await guest();
    imposters.push(g, g2);
    expect((await tryJoin(g, meeting.room, "bob"))?.condition, "the presenter's nick").toBe("conflict");
    expect((await tryJoin(g2, meeting.room, "alice"))?.condition, "the owner's nick").toBe("conflict");
  });

  it("a take-back by nick never gives the role to a guest", async () => {
    await expectNoImposterPresents("at first");
    // Alice, outside the room, gives the role "back to bob", then takes it herself, by nick.
    await ask(alice, "set", meeting.jid, xml("presenter", { xmlns: NS.deckcast, nick: "bob" }));
    await expectNoImposterPresents("after a hand-over to “bob”");
    await ask(alice, "set", meeting.jid, xml("presenter", { xmlns: NS.deckcast, nick: "alice" }));
    await expectNoImposterPresents("after a take-back to “alice”");
    // The role stayed with an account: bob's or alice's bundle is taken.
    const bobs = await ask(bob, "set", meeting.jid, bundle({ id: "bob-1", t: t() }, xml("page", { t: t(), page: "1" })));
    const alices = await ask(alice, "set", meeting.jid, bundle({ id: "alice-1", t: t() }, xml("page", { t: t(), page: "1" })));
    expect([bobs.kind, alices.kind]).toContain("result");
    const watcher = new Follower((await guest()).xmpp, { room: meeting.room, meeting: meeting.jid, nick: "watcher" });
    const state = await watcher.join();
    expect(["alice", "bob"]).toContain(state.presenter);
  });
});

describe("the component's own bundle ids", () => {
  // The component numbers its own bundles srv-start, srv-stop, srv-presenter-<seq>,
  // srv-audio-<seq>, srv-recording-…; a resent id is acknowledged and not applied again.
  it("a presenter's bundle named like the component's cannot swallow the hand-over or the session-stop", async () => {
    const alice = await user("alice");
    const bob = await user("bob");
    const meeting = await createMeeting(alice, component(), "Own ids");
    expect(await tryJoin(bob, meeting.room, "bob")).toBeNull();
    const watcher = new Follower((await guest()).xmpp, { room: meeting.room, meeting: meeting.jid, nick: "watcher" });
    await watcher.join();
    const t = () => String(clockOf(meeting)());
    const seqOf = (a: Answer) => Number(a.kind === "result" ? a.element.getChild("ack", NS.deckcast)?.attrs.seq : NaN);
    const first = await ask(alice, "set", meeting.jid, bundle({ id: "plain-1", t: t() }, xml("page", { t: t(), page: "1" })));
    const seq = seqOf(first);
    // Alice names her next bundles (seq + 1, seq + 2) as the component will name its next two:
    // the hand-over (seq + 3) and the session-stop.
    await ask(alice, "set", meeting.jid, bundle({ id: `srv-presenter-${seq + 3}`, t: t() }, xml("page", { t: t(), page: "2" })));
    await ask(alice, "set", meeting.jid, bundle({ id: "srv-stop", t: t() }, xml("page", { t: t(), page: "3" })));
    expect((await ask(alice, "set", meeting.jid, xml("presenter", { xmlns: NS.deckcast, nick: "bob" }))).kind).toBe("result");
    const until = Date.now() + 10_000;
    while (watcher.state?.presenter !== "bob" && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
    expect(watcher.state?.presenter, "followers see bob present").toBe("bob");
    expect((await ask(alice, "set", meeting.jid, xml("end", { xmlns: NS.deckcast }))).kind).toBe("result");
    const lines = await readArchive(archiveDir(stack.componentDataDir, meeting.session));
    expect(lines.filter((l) => l.events.some((e) => e.type === "presenter")), "the hand-over is archived").toHaveLength(1);
    expect(lines.at(-1)?.events.map((e) => e.type), "the session-stop is archived last").toEqual(["session-stop"]);
    expect(new Set(lines.map((l) => l.id)).size, "ids are unique in the archive").toBe(lines.length);
  });
});

describe("<end/> racing bundles", () => {
  it("no bundle is archived after session-stop, and a second <end/> is answered with success", async () => {
    const alice = await user("alice");
    for (let round = 1; round <= 4; round++) {
      const meeting = await createMeeting(alice, component(), `Race ${round}`);
      const t = () => String(clockOf(meeting)());
      const send = (i: number) => ask(alice, "set", meeting.jid, bundle({ id: `race-${i}`, t: t() }, xml("page", { t: t(), page: String(1 + (i % 3)) })), 15_000);
      const end = () => ask(alice, "set", meeting.jid, xml("end", { xmlns: NS.deckcast }), 15_000);
      // Everything leaves at once, as from a presenter who clicks "End" while ink is in flight.
      const answers = await Promise.all([...[1, 2, 3, 4, 5, 6].map(send), end(), ...[7, 8, 9, 10, 11, 12].map(send), end()]);
      expect(answers.map((a) => a.kind), "every request is answered").not.toContain("timeout");
      expect(answers[6]!.kind, "the first <end/> succeeds").toBe("result");
      expect(answers[13]!.kind, `the second <end/> succeeds (got ${codeOf(answers[13]!)})`).toBe("result");
      const lines = await readArchive(archiveDir(stack.componentDataDir, meeting.session));
      const stop = lines.findIndex((l) => l.events.some((e) => e.type === "session-stop"));
      expect(stop, "the archive holds one session-stop").toBeGreaterThan(0);
      expect(lines.slice(stop + 1).map((l) => l.id), "nothing after session-stop").toEqual([]);
      expect(lines.filter((l) => l.events.some((e) => e.type === "session-stop"))).toHaveLength(1);
      const acked = new Map<string, number>();
      for (const a of answers) {
        const ack = a.kind === "result" ? a.element.getChild("ack", NS.deckcast) : undefined;
        if (ack) acked.set(String(ack.attrs.id), Number(ack.attrs.seq));
      }
      expect(acknowledgedProblems(lines, acked)).toEqual([]);
      // Once it is over, an <end/> is still answered (done already, or no such meeting now).
      const late = await end();
      expect(["result", "unknown-room"]).toContain(codeOf(late));
    }
    expect(stack.component.exit).toBeNull();
  });
});
