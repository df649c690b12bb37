/**
 * The replay's client-core pieces: a JournalSource opened at a seek's state (`start`), the
 * ReplayArchive reader, and the ReplayClock over an audio-like element. A scripted archive
 * (bundles in memory, keyframes every few bundles, seek = applyUntil from the keyframe at or
 * before t, as the server's seek answers) and a clock moved by hand: after a seek the view
 * shows exactly applyUntil(t), and while the audio plays at 1× or 2× it shows applyUntil of
 * the audio's position at every moment, seeking into the middle of a bundle included. The
 * web client's ReplayPlayer (app/replay-player.ts, no DOM) on the same archive: a seek in a
 * long session reads only a window ahead of the position, and reads on as it plays.
 */
import { describe, expect, it } from "vitest";
import { JournalSource } from "../../client-core/journal-source.ts";
import { MeetingView } from "../../client-core/meeting-view.ts";
import { archiveReader, searchPages, type ReplayArchive, type ReplaySeek } from "../../client-core/replay-archive.ts";
import { ReplayClock, type AudioLike } from "../../client-core/replay-clock.ts";
import type { Timers } from "../../client-core/timers.ts";
import { applyBundle, applyUntil, initialState } from "../../protocol/reducer.ts";
import type { DeckEvent, RoomState, StampedBundle } from "../../protocol/types.ts";
import { fakeClock } from "../support/fake-clock.ts";
import { ReplayPlayer, SilentMedia } from "../../web-client/src/app/replay-player.ts";

const deck = { id: "d".repeat(64), pages: 9, title: "Deck" };

/** A session: page turns, a stroke drawn over several bundles (progress batches), an erase, the end. Events ≥ 50 ms apart. */
function session(): StampedBundle[] {
  const specs: DeckEvent[][] = [
    [{ type: "session-start", t: 0, title: "Talk", presenter: "alice" }],
    [{ type: "deck-open", t: 100, deck }],
    [{ type: "page", t: 500, page: 2 }],
    [
      { type: "ink-progress", t: 1000, page: 2, stroke: "s1", tool: "pen", color: "#ff0000", width: 40, points: [100, 100, 200, 200] },
      { type: "ink-progress", t: 1050, page: 2, stroke: "s1", tool: "pen", color: "#ff0000", width: 40, points: [300, 300] },
      { type: "ink-progress", t: 1100, page: 2, stroke: "s1", tool: "pen", color: "#ff0000", width: 40, points: [400, 420] },
    ],
    [
      { type: "ink-progress", t: 1150, page: 2, stroke: "s1", tool: "pen", color: "#ff0000", width: 40, points: [500, 520] },
      { type: "ink-stroke", t: 1200, page: 2, stroke: "s1", tool: "pen", color: "#ff0000", width: 40, points: [100, 100, 200, 200, 300, 300, 400, 420, 500, 520] },
    ],
    [{ type: "pointer", t: 1400, page: 2, x: 5000, y: 5000 }],
    [{ type: "page", t: 2000, page: 3 }, { type: "pointer", t: 2050, page: 3 }],
    [{ type: "page", t: 3000, page: 2 }],
    [{ type: "ink-clear", t: 3500, page: 2 }],
    [{ type: "page", t: 4000, page: 7 }, { type: "page", t: 4100, page: 8 }, { type: "page", t: 4200, page: 9 }],
    [{ type: "session-stop", t: 5000 }],
  ];
  return specs.map((events, i) => ({ id: `b${i + 1}`, seq: i + 1, ts: 1_700_000_000_000 + events[0]!.t, from: "alice", t: events[0]!.t, events }));
}

/** A scripted archive over the bundles: keyframes every `every` bundles, seek as the server answers it. */
function scriptedArchive(bundles: StampedBundle[], every = 3): ReplayArchive & { reads: number } {
  const keys: { seq: number; t: number; state: RoomState }[] = [{ seq: 0, t: 0, state: initialState("Talk") }];
  let s = keys[0]!.state;
  for (const b of bundles) {
    s = applyBundle(s, b);
    if (b.seq % every === 0) keys.push({ seq: b.seq, t: s.clock, state: s });
  }
  const last = bundles.length;
  const duration = s.clock;
  // Page marks as the seek index writes them: every page change and deck open.
  const pages: { t: number; seq: number; deck: string; page: number }[] = [];
  let shown = initialState("Talk");
  for (const b of bundles) {
    for (const e of b.events) {
      const before = shown;
      shown = applyBundle(shown, { ...b, events: [e] });
      if (shown.deck && (shown.page !== before.page || shown.deck !== before.deck)) pages.push({ t: e.t, seq: b.seq, deck: shown.deck.id, page: shown.page });
    }
  }
  const archive = {
    reads: 0,
    manifest: { session: "s", title: "Talk", createdAt: "2026-01-01T00:00:00Z", endedAt: "2026-01-01T00:00:05Z", duration, decks: [{ ...deck, at: 100, seq: 2 }] },
    index: async () => ({ keys: keys.map(({ seq, t }) => ({ seq, t })), pages, audio: [], last, duration }),
    async seek(t: number): Promise<ReplaySeek> {
      const key = [...keys].reverse().find((k) => k.t <= t)!;
      const r = applyUntil(key.state, bundles.slice(key.seq), t);
      return { t, state: r.state, seq: r.seq, events: r.events, last };
    },
    async bundles(from: number, to?: number) {
      archive.reads++;
      // Answers stop early (3 at most), as the HTTP API's may.
      return bundles.filter((b) => b.seq >= from && b.seq <= Math.min(to ?? last, from + 2));
    },
    lastSeq: async () => last,
    chat: async () => [],
    pageText: async () => [],
    audioUrl: () => "audio.opus",
    pageImageUrl: () => "",
    thumbUrl: () => "",
  };
  return archive;
}

/** An audio element on the fake clock: plays at its rate from where it was put. */
function fakeAudio(clock: ReturnType<typeof fakeClock>) {
  let base = 0;
  let since = 0;
  let paused = true;
  let rate = 1;
  const audio: AudioLike & { play(): void; pause(): void } = {
    get currentTime() {
      return (paused ? base : base + (clock.now() - since) * rate) / 1000;
    },
    set currentTime(s: number) {
      base = s * 1000;
      since = clock.now();
    },
    get playbackRate() {
      return rate;
    },
    set playbackRate(r: number) {
      base = audio.currentTime * 1000;
      since = clock.now();
      rate = r;
    },
    get paused() {
      return paused;
    },
    play() {
      since = clock.now();
      paused = false;
    },
    pause() {
      base = audio.currentTime * 1000;
      paused = true;
    },
  };
  return audio;
}

function timersOf(clock: ReturnType<typeof fakeClock>): Timers {
  return { now: clock.now, wall: () => 1_700_000_000_000 + clock.now(), set: (fn, ms) => clock.after(fn, ms), clear: (h) => clock.clear(h as number) };
}

/** Opens a view at session time t, the way the player seeks: a fresh view from archive.seek(t). */
async function openAt(archive: ReplayArchive, audio: AudioLike, timers: Timers, t: number) {
  const at = await archive.seek(t);
  const source = new JournalSource(archiveReader(archive), { title: archive.manifest.title, start: at, pageSize: 4 });
  const view = new MeetingView(source, { timers });
  view.setPlayoutClock(new ReplayClock(audio, timers));
  await view.open();
  return view;
}

const until = (bundles: StampedBundle[], t: number) => applyUntil(initialState("Talk"), bundles, t).state;

describe("replay (client core)", () => {
  const bundles = session();

  it("a seek shows exactly applyUntil(t), mid-bundle included, with every bundle after it read", async () => {
    const archive = scriptedArchive(bundles);
    const clock = fakeClock(0);
    const timers = timersOf(clock);
    for (const t of [0, 99, 100, 499, 500, 1000, 1025, 1075, 1100, 1150, 1175, 1999, 2025, 3999, 4150, 5000, 9000]) {
      const audio = fakeAudio(clock);
      audio.currentTime = t / 1000;
      const view = await openAt(archive, audio, timers, t);
      expect(view.view, `at ${t}`).toEqual(until(bundles, t));
      expect(view.confirmed, `confirmed at ${t}`).toEqual(until(bundles, Infinity));
      await view.close();
    }
  });

  for (const rate of [1, 2]) {
    it(`plays at ${rate}×: at every time the view is applyUntil of the audio's position`, async () => {
      const archive = scriptedArchive(bundles);
      const clock = fakeClock(0);
      const timers = timersOf(clock);
      const audio = fakeAudio(clock);
      audio.playbackRate = rate;
      const start = 1075; // inside the bundle of ink progress
      audio.currentTime = start / 1000;
      const view = await openAt(archive, audio, timers, start);
      expect(view.view).toEqual(until(bundles, start));
      audio.play();
      view.retimePlayout();
      // Check just before each event (not yet shown), at it and between it and the next (shown).
      const times = bundles.flatMap((b) => b.events.map((e) => e.t)).filter((t) => t > start + 25);
      const checks = times.flatMap((t) => [t - 25, t, t + 25]).sort((a, b) => a - b);
      for (const pos of checks) {
        const wait = (pos - audio.currentTime * 1000) / rate;
        clock.advance(wait);
        expect(Math.round(audio.currentTime * 1000)).toBe(pos);
        expect(view.view, `at ${pos} (${rate}×)`).toEqual(until(bundles, pos));
      }
      await view.close();
    });
  }

  it("pausing holds the picture; a seek back while playing is a fresh view at the new time", async () => {
    const archive = scriptedArchive(bundles);
    const clock = fakeClock(0);
    const timers = timersOf(clock);
    const audio = fakeAudio(clock);
    audio.currentTime = 0.9;
    let view = await openAt(archive, audio, timers, 900);
    audio.play();
    view.retimePlayout();
    clock.advance(200); // 1100
    expect(view.view).toEqual(until(bundles, 1100));
    audio.pause();
    view.retimePlayout();
    clock.advance(5000);
    expect(view.view).toEqual(until(bundles, 1100));
    await view.close();
    audio.currentTime = 0.51;
    view = await openAt(archive, audio, timers, 510);
    expect(view.view).toEqual(until(bundles, 510));
    audio.play();
    view.retimePlayout();
    clock.advance(690); // 1200: the stroke is finished
    expect(view.view).toEqual(until(bundles, 1200));
    expect(view.view!.ink[2]).toHaveLength(1);
    await view.close();
  });

  it("the archive reader reads every bundle of a range though answers stop early", async () => {
    const archive = scriptedArchive(bundles);
    const got = await archiveReader(archive).read(2, 10);
    expect(got.map((b) => b.seq)).toEqual([2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(await archiveReader(archive).read(10, 40)).toHaveLength(2);
  });

  it("search lists the times each matching page was shown", () => {
    const pages = [
      { t: 100, seq: 2, deck: "a", page: 1 },
      { t: 500, seq: 3, deck: "a", page: 2 },
      { t: 900, seq: 4, deck: "a", page: 3 },
      { t: 1500, seq: 5, deck: "a", page: 2 },
    ];
    const hits = searchPages("ELEPHANT", [{ deck: "a", text: ["intro", "The elephant in the room", "never shown elephant", "x"] }], pages);
    expect(hits).toHaveLength(2);
    expect(hits[0]).toMatchObject({ deck: "a", page: 2, times: [500, 1500] });
    expect(hits[0]!.snippet).toContain("elephant");
    expect(hits[1]).toMatchObject({ page: 3, times: [900] });
    expect(searchPages("  ", [{ deck: "a", text: ["x"] }], pages)).toEqual([]);
  });

  it("the player: a seek in a long session reads a window ahead, not the rest; playing reads on and shows applyUntil", async () => {
    // 20 minutes: a page turn every second (pages 1..9 round), keyframes every 10 bundles.
    const long: StampedBundle[] = [{ id: "b1", seq: 1, ts: 1_700_000_000_000, from: "alice", t: 0, events: [{ type: "session-start", t: 0, title: "Talk", presenter: "alice" }, { type: "deck-open", t: 0, deck }] }];
    for (let i = 1; i <= 1200; i++) long.push({ id: `b${i + 1}`, seq: i + 1, ts: 1_700_000_000_000 + i * 1000, from: "alice", t: i * 1000, events: [{ type: "page", t: i * 1000, page: (i % 9) + 1 }] });
    const archive = scriptedArchive(long, 10);
    const read: number[] = [];
    const bundles = archive.bundles.bind(archive);
    archive.bundles = async (from, to) => {
      const got = await bundles(from, to);
      read.push(...got.map((b) => b.seq));
      return got;
    };
    const clock = fakeClock(0);
    const timers = timersOf(clock);
    const media = new SilentMedia(timers);
    const p = new ReplayPlayer(archive, Object.assign(media, { duration: NaN }), timers);
    await p.open(300_000);
    expect(p.view).toEqual(applyUntil(initialState("Talk"), long, 300_000).state);
    expect(Math.max(...read)).toBeLessThan(300 + 140); // about 2 minutes ahead, not to the end (1201)
    expect(Math.min(...read)).toBeGreaterThan(300);
    await p.play();
    for (let s = 1; s <= 90; s++) {
      clock.advance(1000);
      await new Promise((r) => setImmediate(r)); // the reads the view started
    }
    expect(p.position).toBe(390_000);
    expect(p.view).toEqual(applyUntil(initialState("Talk"), long, 390_000).state);
    expect(Math.max(...read)).toBeGreaterThan(390 + 60);
    expect(p.firstTimeOf(5)).toBe(4000);
    await p.close();
  });

  it("a rewind of a live meeting: reloads audio that reached the length it loaded, and knows when it has caught up with live", async () => {
    const session: StampedBundle[] = [{ id: "b1", seq: 1, ts: 1_700_000_000_000, from: "alice", t: 0, events: [{ type: "session-start", t: 0, title: "Talk", presenter: "alice" }, { type: "deck-open", t: 0, deck }] }];
    for (let i = 1; i <= 20; i++) session.push({ id: `b${i + 1}`, seq: i + 1, ts: 1_700_000_000_000 + i * 1000, from: "alice", t: i * 1000, events: [{ type: "page", t: i * 1000, page: (i % 9) + 1 }] });
    const archive = scriptedArchive(session, 5);
    const live = Object.assign(archive, { manifest: { ...archive.manifest, endedAt: null, live: true } });
    const clock = fakeClock(0);
    const timers = timersOf(clock);
    // The <audio> element as the player sees it: it loaded 15 s of the stream; time runs while it plays.
    const media = { currentTime: 0, playbackRate: 1, paused: true, duration: 15, play() { media.paused = false; }, pause() { media.paused = true; } };
    const p = new ReplayPlayer(live, media, timers);
    await p.open(10_000);
    media.currentTime = 10;
    await p.play();
    expect(p.audioNeedsReload(false)).toBe(false); // 5 s of loaded audio left
    media.currentTime = 14.6;
    expect(p.audioNeedsReload(false)).toBe(true); // within half a second of the loaded end; the session is 20 s long
    expect(p.audioNeedsReload(true)).toBe(true);
    expect(p.caughtUp).toBe(false);
    clock.advance(3000); // the live edge moves on with the session clock: 20 s + 3 s
    expect(p.liveEdge).toBe(23_000);
    media.currentTime = 21.5;
    expect(p.caughtUp).toBe(false);
    media.currentTime = 22.2;
    expect(p.caughtUp).toBe(true);
    media.pause();
    expect(p.caughtUp).toBe(false); // paused: the person is looking at something
    // A finished session has no live edge to chase and nothing to reload.
    const ended = new ReplayPlayer(scriptedArchive(session, 5), { ...media, currentTime: 14.9, paused: false }, timers);
    await ended.open(0);
    expect(ended.audioNeedsReload(true)).toBe(false);
    expect(ended.caughtUp).toBe(false);
    await p.close();
    await ended.close();
  });
});

