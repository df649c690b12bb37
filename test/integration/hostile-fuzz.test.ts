/**
 * Random fuzzing of a live meeting (issue 9, "Keep it that way"): for a fixed seed, a guest
 * and the presenter send a few hundred each of bundles (valid, mutated, with broken audio),
 * IQs and messages (and some presences) to the component, the meeting and the room, while a
 * guest follows. Afterwards the server still answers, every request was answered with a
 * catalogued error or a result (never `internal`), every acknowledged bundle is in the
 * archive exactly once, audio.opus is one valid Ogg stream, and the follower's state and a
 * late joiner's equal the reducer over the archive's lines.
 *
 * DECKCAST_FUZZ_SEED and DECKCAST_FUZZ_SCALE (a multiplier of the counts) explore further.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import fc from "fast-check";
import xml from "@xmpp/xml";
import { NS } from "../../protocol/namespaces.ts";
import { decodeError } from "../../protocol/stanza-error.ts";
import { Follower } from "../../client-core/follower.ts";
import { acknowledgedProblems, archiveDir, audioProblems, readArchive, readTitle, reduceArchive, type ArchivedLine } from "../support/hostile-archive.ts";
import { AudioSource, bundleTemplateArb, iqTemplateArb, messageTemplateArb, presenceTemplateArb, stanzaXml, type FuzzContext, type Template } from "../support/hostile-fuzz.ts";
import { PASSWORD, startHostileStack, type HostileStack } from "../support/hostile-stack.ts";
import { ask, createMeeting, tryJoin, waitStanza, writeRaw, type MeetingRef } from "../support/hostile-xmpp.ts";
import { connectGuest, connectUser, type TestClient } from "../support/xmpp.ts";

const SEED = Number(process.env.DECKCAST_FUZZ_SEED ?? 20251201);
const SCALE = Number(process.env.DECKCAST_FUZZ_SCALE ?? 1);
const count = (n: number) => Math.max(1, Math.round(n * SCALE));

let stack: HostileStack;
const clients: TestClient[] = [];
beforeAll(async () => {
  // No periodic recording reports: the archive must be still when it is compared.
  stack = await startHostileStack({ recordingReportMs: 3_600_000 });
});
afterAll(async () => {
  for (const c of clients) await c.stop();
  await stack?.stop();
});

type Sender = "presenter" | "guest";
interface Step {
  sender: Sender;
  what: "bundle" | "iq" | "message" | "presence";
  template: Template;
}

/** The plan: every category from both senders, shuffled with the same seed. */
function plan(): Step[] {
  const take = (arb: fc.Arbitrary<Template>, n: number, offset: number) => fc.sample(arb, { seed: SEED + offset, numRuns: count(n) });
  const steps: Step[] = [
    ...take(bundleTemplateArb, 300, 1).map((template) => ({ sender: "presenter" as const, what: "bundle" as const, template })),
    ...take(bundleTemplateArb, 100, 2).map((template) => ({ sender: "guest" as const, what: "bundle" as const, template })),
    ...take(iqTemplateArb({ ending: false }), 150, 3).map((template) => ({ sender: "presenter" as const, what: "iq" as const, template })),
    ...take(iqTemplateArb({ ending: true }), 150, 4).map((template) => ({ sender: "guest" as const, what: "iq" as const, template })),
    ...take(messageTemplateArb, 120, 5).map((template) => ({ sender: "presenter" as const, what: "message" as const, template })),
    ...take(messageTemplateArb, 120, 6).map((template) => ({ sender: "guest" as const, what: "message" as const, template })),
    ...take(presenceTemplateArb, 30, 7).map((template) => ({ sender: "presenter" as const, what: "presence" as const, template })),
    ...take(presenceTemplateArb, 30, 8).map((template) => ({ sender: "guest" as const, what: "presence" as const, template })),
  ];
  const order = fc.sample(fc.shuffledSubarray(steps.map((_, i) => i), { minLength: steps.length }), { seed: SEED, numRuns: 1 })[0]!;
  return order.map((i) => steps[i]!);
}

describe(`fuzzing a live meeting (seed ${SEED})`, () => {
  let alice: TestClient;
  let mallory: TestClient;
  let meeting: MeetingRef;
  let watcher: Follower;

  beforeAll(async () => {
    alice = await connectUser(stack.prosody, "alice", PASSWORD);
    mallory = await connectGuest(stack.prosody);
    const w = await connectGuest(stack.prosody);
    clients.push(alice, mallory, w);
    for (const c of clients) c.xmpp.setMaxListeners(100);
    meeting = await createMeeting(alice, stack.prosody.domains.component, "Fuzzed");
    expect(await tryJoin(alice, meeting.room, "alice")).toBeNull();
    expect(await tryJoin(mallory, meeting.room, "mallory")).toBeNull();
    watcher = new Follower(w.xmpp, { room: meeting.room, meeting: meeting.jid, nick: "watcher" });
    await watcher.join();
  });

  it("the server answers everything, keeps every acknowledged bundle once, and followers agree with the archive", async () => {
    const steps = plan();
    const audio = new AudioSource();
    const acked = new Map<string, number>();
    const guestAcked: string[] = [];
    const pastIds: string[] = [];
    const unanswered: string[] = [];
    const internal: string[] = [];
    const uncatalogued = new Set<string>();
    const clientOf = (s: Sender) => (s === "presenter" ? alice : mallory);
    /** Answers by kind (DECKCAST_FUZZ_STATS=1 prints them). */
    const stats = new Map<string, number>();
    const tally = (k: string) => stats.set(k, (stats.get(k) ?? 0) + 1);

    for (const [i, step] of steps.entries()) {
      const c = clientOf(step.sender);
      const ctx: FuzzContext = {
        now: Date.now() - meeting.started,
        meeting: meeting.jid,
        component: stack.prosody.domains.component,
        room: meeting.room,
        unknownMeeting: `zzzzzz@${stack.prosody.domains.component}`,
        audio,
        pastIds,
        nextSeq: watcher.seq + 1,
      };
      const stanza = step.template(ctx);
      const id = `fz-${i}`;
      const raw = stanzaXml(stanza, id);
      if (stanza.kind !== "iq" || (stanza.type !== "get" && stanza.type !== "set")) {
        await writeRaw(c, raw);
      } else {
        const answer = waitStanza(c, (el) => el.name === "iq" && el.attrs.id === id && (el.attrs.type === "result" || el.attrs.type === "error"), 5000);
        await writeRaw(c, raw);
        const el = await answer;
        if (!el) {
          unanswered.push(`${step.sender} ${raw.slice(0, 300)}`);
          if (unanswered.length >= 3 || stack.component.exit) break; // down: say so now, not in minutes
        } else if (el.attrs.type === "error") {
          const e = decodeError(el);
          tally(`${step.sender} ${step.what}: ${e.code ?? e.condition}${process.env.DECKCAST_FUZZ_STATS === "2" ? ` ${e.text.slice(0, 60)}` : ""}`);
          if (e.code === "internal" || e.condition === "internal-server-error") internal.push(`${step.sender} ${raw.slice(0, 300)} → ${e.text}`);
          // Prosody itself refuses an IQ with two payloads before the component sees it.
          const prosodys = e.text === "Incorrect number of children for IQ stanza";
          if (e.code === null && e.condition !== "service-unavailable" && !prosodys) uncatalogued.add(`${e.condition} from ${el.attrs.from} (${e.text}) to ${step.sender} ${raw.slice(0, 200)}`);
        } else {
          tally(`${step.sender} ${step.what}: result`);
          const ack = el.getChild("ack", NS.deckcast);
          if (ack && stanza.to === meeting.jid) {
            if (step.sender === "guest") guestAcked.push(String(ack.attrs.id));
            acked.set(String(ack.attrs.id), Number(ack.attrs.seq));
          }
        }
        if (step.what === "bundle") pastIds.push(/ id="([^"]*)"/.exec(stanza.payload)?.[1] ?? "");
        // A hand-over (to anyone, even the component) is taken back by the owner at once.
        if (step.sender === "presenter" && stanza.payload.startsWith("<presenter")) await ask(alice, "set", meeting.jid, xml("presenter", { xmlns: NS.deckcast, nick: "alice" }));
      }
      // Now and then a barrier: each sender's next answer comes after all it sent before.
      if (i % 25 === 24) for (const s of ["presenter", "guest"] as const) await ask(clientOf(s), "get", meeting.jid, xml("state", { xmlns: NS.deckcast }), 10_000);
      if (stack.component.exit) break;
    }

    if (process.env.DECKCAST_FUZZ_STATS) console.log([...stats].sort().map(([k, v]) => `${String(v).padStart(5)}  ${k}`).join("\n"));
    expect(stack.component.exit, `the component exited:\n${stack.component.stderrTail()}`).toBeNull();
    expect(unanswered, "requests never answered").toEqual([]);
    expect(internal, "requests that made a handler fail").toEqual([]);
    expect([...uncatalogued], "refusals without a deckcast code").toEqual([]);
    expect(guestAcked, "bundles taken from a guest").toEqual([]);
    expect(acked.size, "the fuzz exercised the accepting path").toBeGreaterThan(30);

    // The archive, read from disk once it is still.
    const dir = archiveDir(stack.componentDataDir, meeting.session);
    let lines: ArchivedLine[] = [];
    for (let seen = -1; lines.length !== seen; ) {
      seen = lines.length;
      await ask(alice, "get", meeting.jid, xml("state", { xmlns: NS.deckcast }), 10_000);
      lines = await readArchive(dir);
      const last = lines.at(-1)!.seq;
      const until = Date.now() + 15_000;
      while (watcher.seq < last && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
      expect(watcher.seq, "the follower caught up").toBeGreaterThanOrEqual(last);
    }
    expect(acknowledgedProblems(lines, acked)).toEqual([]);
    expect(lines.filter((l) => l.audio).length, "some audio was archived").toBeGreaterThan(10);
    expect(await audioProblems(dir, lines)).toEqual([]);
    const reduced = reduceArchive(lines, await readTitle(dir));
    expect(watcher.state).toEqual(reduced);
    expect(reduced.clock, "no time from the far future got in").toBeLessThan(Date.now() - meeting.started + 3600_000);
    const late = new Follower((await connectGuest(stack.prosody).then((c) => (clients.push(c), c))).xmpp, { room: meeting.room, meeting: meeting.jid, nick: "late" });
    expect(await late.join()).toEqual(reduced);

    // The presenter ends the meeting: answered, session-stop archived last, the follower sees it.
    const end = await ask(alice, "set", meeting.jid, xml("end", { xmlns: NS.deckcast }), 15_000);
    if (end.kind === "timeout") await stack.component.kill9(); // (silence up to a poisoned clock)
    expect(end.kind, "<end/> is answered").toBe("result");
    const final = await readArchive(dir);
    expect(final.at(-1)?.events.map((e) => e.type)).toContain("session-stop");
    expect(final.filter((l) => l.events.some((e) => e.type === "session-stop"))).toHaveLength(1);
    expect(await audioProblems(dir, final)).toEqual([]);
    const until = Date.now() + 15_000;
    while (!watcher.state?.ended && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
    expect(watcher.state).toEqual(reduceArchive(final, await readTitle(dir)));
  }, 120_000);
});
