/**
 * The client core (client-core/) in Node, driven by a scripted bundle source: ordering and
 * gap filling, bundles before the snapshot, catching up after a break (with backoff on the
 * injected timers), the presenter's pending events, playout on an injected clock, the
 * session clock's origin, the audio header; an archive's journal (the server's own, on
 * disk) as a source; and that the core imports nothing but protocol/.
 */
import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { BundleSource, BundleSourceEvents, RangeAnswer, Snapshot } from "../../client-core/bundle-source.ts";
import { Emitter } from "../../client-core/emitter.ts";
import { JournalSource } from "../../client-core/journal-source.ts";
import { MeetingView } from "../../client-core/meeting-view.ts";
import { VISUAL_LEAD_MS } from "../../client-core/playout.ts";
import type { Timers } from "../../client-core/timers.ts";
import { openJournal } from "../../server/archive/journal.ts";
import { buildPage } from "../../protocol/ogg.ts";
import { applyBundle, initialState } from "../../protocol/reducer.ts";
import type { DeckEvent, RoomState, StampedBundle } from "../../protocol/types.ts";
import { fakeClock } from "../support/fake-clock.ts";

/** Timers moved by the test; the wall clock runs with the monotonic one from `wallStart`. */
function manualTimers(wallStart = 1_700_000_000_000) {
  const c = fakeClock(0);
  const timers: Timers & { advance(ms: number): void; pending(): number } = {
    now: c.now,
    wall: () => wallStart + c.now(),
    set: c.after,
    clear: (h) => c.clear(h as number),
    advance: c.advance,
    pending: c.pending,
  };
  return timers;
}

const deck = { id: "d".repeat(64), pages: 20, title: "Q3" };
const opening: RoomState = { ...initialState("Q3"), started: true, presenter: "alice", deck };

/**
 * A source whose room is a list of bundles the test writes: `deliver` hands chosen ones to
 * the view as the live relay would (any order, twice, or never), `range` serves the list in
 * pages, and `failRanges` makes the next n range calls fail.
 */
class ScriptedSource extends Emitter<BundleSourceEvents> implements BundleSource {
  log: StampedBundle[] = [];
  snapshotAt = 0;
  pageSize = 200;
  ranges: [number, number | undefined][] = [];
  failRanges = 0;
  closed = false;
  audioHeader: Uint8Array | null = null;

  /** Appends a bundle from `from` with `events` to the room's log (not delivered). */
  add(events: DeckEvent[], o: { from?: string; audio?: Uint8Array; id?: string } = {}): StampedBundle {
    const seq = this.log.length + 1;
    const t = events[0]?.t ?? seq * 100;
    const b: StampedBundle = { id: o.id ?? `b-${seq}`, seq, t, ts: 1_700_000_000_000 + t, from: o.from ?? "alice", events };
    if (o.audio) b.audio = { t, data: o.audio };
    this.log.push(b);
    return b;
  }

  stateAt(seq: number): RoomState {
    return this.log.slice(0, seq).reduce(applyBundle, opening);
  }

  deliver(...seqs: number[]) {
    for (const s of seqs) this.emit("bundle", this.log[s - 1]!);
  }

  behind() {
    this.emit("behind");
  }

  async open(): Promise<Snapshot> {
    return { state: this.stateAt(this.snapshotAt), audioHeader: this.audioHeader };
  }

  async range(from: number, to?: number): Promise<RangeAnswer | null> {
    this.ranges.push([from, to]);
    if (this.failRanges > 0) {
      this.failRanges--;
      throw new Error("range failed");
    }
    const last = this.log.length;
    if (from > last) return null;
    const end = Math.min(to ?? last, from + this.pageSize - 1);
    const bundles = this.log.slice(from - 1, end);
    return { bundles, from, to: end, last };
  }

  async close() {
    this.closed = true;
  }
}

const page = (t: number, n: number): DeckEvent => ({ type: "page", t, page: n });
const settle = () => new Promise((r) => setImmediate(r));

function watch(view: MeetingView) {
  const applied: number[] = [];
  const errors: string[] = [];
  view.on("bundle", (b) => applied.push(b.seq));
  view.on("error", (e) => errors.push(e.message));
  return { applied, errors };
}

describe("meeting view: ordering and gaps", () => {
  it("applies bundles that arrive out of order once each, in seq order, ending at the reducer's state", async () => {
    const src = new ScriptedSource();
    for (let i = 2; i <= 6; i++) src.add([page(i * 100, i)]);
    src.snapshotAt = 1;
    const view = new MeetingView(src, { timers: manualTimers() });
    const { applied } = watch(view);
    await view.open();
    src.deliver(5, 3, 1, 4, 2, 3, 5);
    await settle();
    src.deliver(4); // late duplicate
    await settle();
    expect(applied).toEqual([2, 3, 4, 5]);
    expect(view.confirmed).toEqual(src.stateAt(5));
    expect(view.view).toEqual(src.stateAt(5));
    expect(src.ranges).toEqual([[2, 4]]); // 5 came first: 2..4 were asked for once, the relayed copies ignored
  });

  it("fills a gap from the source's ranges, in pages", async () => {
    const src = new ScriptedSource();
    for (let i = 1; i <= 9; i++) src.add([page(i * 100, i)]);
    src.pageSize = 3;
    const view = new MeetingView(src, { timers: manualTimers() });
    const { applied } = watch(view);
    await view.open();
    src.deliver(9);
    await settle();
    expect(src.ranges).toEqual([[1, 8], [4, 8], [7, 8]]);
    expect(applied).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(view.confirmed).toEqual(src.stateAt(9));
  });

  it("keeps bundles that arrive before the snapshot and applies those after it", async () => {
    const src = new ScriptedSource();
    for (let i = 1; i <= 4; i++) src.add([page(i * 100, i)]);
    src.snapshotAt = 2;
    const view = new MeetingView(src, { timers: manualTimers() });
    const { applied } = watch(view);
    src.deliver(1, 2, 3, 4); // relayed while the view was joining
    await view.open();
    expect(applied).toEqual([3, 4]);
    expect(view.confirmed).toEqual(src.stateAt(4));
  });

  it("catches up after a break, and retries with backoff while the source cannot answer", async () => {
    const src = new ScriptedSource();
    src.add([page(100, 2)]);
    const timers = manualTimers();
    const view = new MeetingView(src, { timers });
    const { applied, errors } = watch(view);
    await view.open();
    src.deliver(1);
    await settle();
    for (let i = 3; i <= 6; i++) src.add([page(i * 100, i)]); // relayed while we were away: never delivered
    src.failRanges = 2;
    src.behind();
    await settle();
    expect(errors).toEqual(["range failed"]);
    timers.advance(999);
    await settle();
    expect(src.ranges.length).toBe(1); // the first retry waits 1 s
    timers.advance(1);
    await settle();
    expect(errors).toEqual(["range failed", "range failed"]);
    timers.advance(1999);
    await settle();
    expect(src.ranges.length).toBe(2); // then 2 s
    timers.advance(1);
    await settle();
    expect(applied).toEqual([1, 2, 3, 4, 5]);
    expect(view.confirmed).toEqual(src.stateAt(5));
    expect(timers.pending()).toBe(0);
  });

  it("a newer break ends the retries of an older one, and close ends them all", async () => {
    const src = new ScriptedSource();
    const timers = manualTimers();
    const view = new MeetingView(src, { timers });
    await view.open();
    src.failRanges = 10;
    src.behind();
    await settle();
    src.behind();
    await settle();
    expect(src.ranges.length).toBe(2);
    timers.advance(1000);
    await settle();
    expect(src.ranges.length).toBe(3); // one loop goes on, not two
    await view.close();
    timers.advance(60_000);
    await settle();
    expect(src.ranges.length).toBe(3);
    expect(src.closed).toBe(true);
  });
});

describe("meeting view: the presenter's pending events", () => {
  it("shows proposed events at once, settles them on the relay's echo, and snaps back when they are withdrawn", async () => {
    const src = new ScriptedSource();
    const view = new MeetingView(src, { self: "alice", timers: manualTimers() });
    await view.open();
    expect(view.presenting).toBe(true);
    const turn = page(100, 3);
    view.propose([turn]);
    expect(view.view!.page).toBe(3);
    expect(view.confirmed!.page).toBe(1);
    expect(view.pending).toBe(1);
    src.add([turn]);
    src.deliver(1);
    await settle();
    expect(view.pending).toBe(0);
    expect(view.view!.page).toBe(3);

    const refused = page(200, 19);
    view.propose([refused]);
    expect(view.view!.page).toBe(19);
    view.withdraw([refused]);
    expect(view.pending).toBe(0);
    expect(view.view!.page).toBe(3);
  });

  it("drops pending events when the role moves away, and a follower cannot propose", async () => {
    const src = new ScriptedSource();
    const view = new MeetingView(src, { self: "alice", timers: manualTimers() });
    await view.open();
    view.propose([page(100, 7)]);
    src.add([{ type: "presenter", t: 150, nick: "bob" }], { from: "deckcast", id: "srv-presenter-1" });
    src.deliver(1);
    await settle();
    expect(view.presenting).toBe(false);
    expect(view.pending).toBe(0);
    expect(view.view!.page).toBe(1);
    view.propose([page(200, 9)]);
    expect(view.pending).toBe(0);
    expect(view.view!.page).toBe(1);
  });
});

describe("meeting view: playout, clock, audio", () => {
  it("shows each event when the playout clock reaches its time, and everything at once without a clock", async () => {
    const src = new ScriptedSource();
    src.add([page(100, 2), page(150, 3)]);
    src.add([page(400, 4)]);
    const timers = manualTimers();
    const view = new MeetingView(src, { timers });
    await view.open();
    view.setPlayoutClock({ heardAt: (t) => t + 1000 });
    src.deliver(1, 2);
    await settle();
    expect(view.confirmed!.page).toBe(4);
    expect(view.view!.page).toBe(1);
    expect(view.held).toBe(3);
    timers.advance(1100 - VISUAL_LEAD_MS);
    expect(view.view!.page).toBe(2);
    timers.advance(50);
    expect(view.view!.page).toBe(3);
    view.setPlayoutClock(null);
    expect(view.view).toEqual(view.confirmed);
    expect(view.held).toBe(0);
  });

  it("takes the session clock's origin from the snapshot, then from server-made bundles", async () => {
    const timers = manualTimers(1_700_000_010_000);
    const src = new ScriptedSource();
    src.log.push({ id: "srv-start", seq: 1, t: 0, ts: 1_700_000_000_000, from: "deckcast", events: [] });
    src.snapshotAt = 1;
    const view = new MeetingView(src, { timers });
    await view.open();
    // The snapshot says clock 0 at seq 1: the origin is "now" until a server bundle says better.
    expect(view.now()).toBe(0);
    src.log.push({ id: "srv-rec", seq: 2, t: 5_000, ts: 1_700_000_005_000, from: "deckcast", events: [] });
    src.deliver(2);
    await settle();
    expect(view.now()).toBe(10_000);
    timers.advance(250);
    expect(view.now()).toBe(10_250);
    expect(view.clock()).toBe(10_250);
  });

  it("keeps the stream's header pages from the first audio and passes audio on in seq order", async () => {
    const head = buildPage({ continued: false, bos: true, eos: false, granule: 0, serial: 7, sequence: 0, segments: Uint8Array.of(19), body: new TextEncoder().encode("OpusHead".padEnd(19, "\0")) });
    const tags = buildPage({ continued: false, bos: false, eos: false, granule: 0, serial: 7, sequence: 1, segments: Uint8Array.of(16), body: new TextEncoder().encode("OpusTags".padEnd(16, "\0")) });
    const audio = buildPage({ continued: false, bos: false, eos: false, granule: 960, serial: 7, sequence: 2, segments: Uint8Array.of(3), body: Uint8Array.of(1, 2, 3) });
    const src = new ScriptedSource();
    src.add([], { audio: Uint8Array.from([...head, ...tags, ...audio]) });
    src.add([], { audio });
    const view = new MeetingView(src, { timers: manualTimers() });
    const heard: number[] = [];
    view.on("audio", (a) => heard.push(a.t));
    await view.open();
    expect(view.audioHeader).toBeNull();
    src.deliver(2, 1);
    await settle();
    expect(heard).toEqual([100, 200]);
    expect([...view.audioHeader!]).toEqual([...head, ...tags]);
  });
});

describe("an archive's journal as the source", () => {
  let dir = "";
  afterEach(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
    dir = "";
  });

  it("reads a session from the server's journal to the same state the component's reducer reached, and follows it as it grows", async () => {
    dir = await mkdtemp(path.join(tmpdir(), "dc-core-journal-"));
    const journal = await openJournal(dir);
    const source: StampedBundle[] = [];
    const write = async (n: number) => {
      for (let i = 0; i < n; i++) {
        const seq = journal.lastSeq + 1;
        const events: DeckEvent[] = seq === 1 ? [{ type: "deck-open", t: 10, deck }] : [page(seq * 10, 1 + (seq % deck.pages))];
        const b: StampedBundle = { id: `b-${seq}`, seq, t: seq * 10, ts: 1_700_000_000_000 + seq * 10, from: "alice", events };
        await (await journal.append(b)).durable;
        source.push(b);
      }
    };
    await write(450);
    let reads = 0;
    const js = new JournalSource(
      { lastSeq: () => journal.lastSeq, read: (from, to) => (reads++, journal.read(from, to)) },
      { title: "Q3 review" },
    );
    const view = new MeetingView(js, { timers: manualTimers() });
    const { applied } = watch(view);
    await view.open();
    const fold = (n: number) => source.slice(0, n).reduce(applyBundle, initialState("Q3 review"));
    expect(applied.length).toBe(450);
    expect(applied).toEqual(Array.from({ length: 450 }, (_, i) => i + 1));
    expect(reads).toBe(3); // pages of 200
    expect(view.confirmed).toEqual(fold(450));

    await write(30);
    js.grew();
    await vi.waitFor(() => expect(view.seq).toBe(480));
    expect(view.confirmed).toEqual(fold(480));
    await view.close();
    await journal.close();
  });
});

describe("client-core's imports", () => {
  it("imports nothing but protocol/ and itself, so it runs in a browser, in Node and over an archive", async () => {
    const root = path.resolve(import.meta.dirname, "../../client-core");
    const files = (await readdir(root)).filter((f) => f.endsWith(".ts"));
    expect(files.length).toBeGreaterThan(5);
    const outside: string[] = [];
    for (const f of files) {
      const text = await readFile(path.join(root, f), "utf8");
      for (const m of text.matchAll(/^\s*(?:import|export)\b[^;]*?from\s+"([^"]+)"/gm)) {
        const spec = m[1]!;
        if (!(spec.startsWith("./") || spec.startsWith("../protocol/"))) outside.push(`${f}: ${spec}`);
      }
    }
    expect(outside).toEqual([]);
  });
});
