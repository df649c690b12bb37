/**
 * Glass-to-glass page turn (issue 4): the presenter presses → in a real Chromium page, and
 * each follower's page (each its own browser context, its own XMPP connection through the
 * deckcast HTTP server's WebSocket proxy) paints the new page on its canvas. Clocks: the
 * presenter's keydown event time and each follower's dc-page-painted time (the animation
 * frame that shows the page), both as performance.timeOrigin + high-resolution time, in one
 * browser on one machine.
 *
 * Beside it, in the same run and on the same Prosody and component, the relay alone as the
 * fanout benchmark measures it (bench/fanout.ts: a Node presenter sends a page bundle to the
 * component, N Node followers receive it from the room), so the browser's share shows.
 *
 *   npm run bench -- glass [--followers 1,10] [--turns 50] [--gap 300] [--profile [presenter]] [--trace]
 *
 * `--profile` samples the first follower's main thread (Chromium's CPU profiler) during the
 * first row's turns and prints where a page turn's time goes, per turn, by function and script
 * (bench/support/cpu-profile.ts); it slows that follower a little, so its row is not a result.
 * `--profile presenter` samples the presenter's page instead (on this machine the two share
 * the cores, so the presenter's work a turn delays the followers' too).
 *
 * `--trace` records a trace of the whole browser (bench/support/browser-trace.ts) during the
 * first row's turns and again during the floor's, and prints the CPU a turn takes in each
 * process and thread, the first follower's rendering steps, and where a turn's time goes:
 * key to the bundle leaving the presenter's page, to it reaching the first follower's, and
 * (the rest of p50) the follower's own work and the frame.
 *
 * And the floor (bench/support/glass-floor.ts): in the same browser, N minimal pages that draw
 * the same, already decoded page image when a raw WebSocket message from a minimal presenter
 * page arrives. deckcast's p50/p99 over the floor's is what deckcast adds (goal ≤ 1.3×); the
 * rest is the machine: N browsers decoding, compositing and painting on 2 cores.
 *
 * Writes bench/results/glass.json as [{followers, p50_ms, p99_ms, relay_p99_ms, floor_p50_ms,
 * floor_p99_ms, ratio_p50, ratio_p99}].
 */
import path from "node:path";
import { existsSync } from "node:fs";
import { client, type Client } from "@xmpp/client";
import xml, { type Element } from "@xmpp/xml";
import { encodeBundle } from "../protocol/codec.ts";
import { NS } from "../protocol/namespaces.ts";
import { createMeeting, join, login, waitForPage } from "../test/e2e/support/meeting-page.ts";
import { PASSWORD, startWebStack, type WebStack } from "../test/e2e/support/stack.ts";
import { launchBrowser, type Person } from "../test/support/browser.ts";
import { arg, NO_THROTTLE } from "./support/args.ts";
import { printTable, quantile, round, writeResults } from "./support/table.ts";
import { joinRoom } from "../client-core/live-room.ts";
import { snapWidth } from "../web-client/src/render/page-images.ts";
import { mountGlassFloor, type GlassFloor } from "./support/glass-floor.ts";
import { profilePage } from "./support/cpu-profile.ts";
import { traceBrowser, type TraceSummary } from "./support/browser-trace.ts";
import { paintedAt, recordPaints } from "./support/painted.ts";

interface Row {
  followers: number;
  p50_ms: number;
  p99_ms: number;
  relay_p99_ms: number;
  floor_p50_ms: number;
  floor_p99_ms: number;
  ratio_p50: number;
  ratio_p99: number;
}

const DECK = path.resolve("../shared/fixtures/bench/deck30.pptx");


export default async function run(args: string[]): Promise<void> {
  if (!existsSync(DECK)) {
    process.stdout.write(`skipped: the benchmark deck ${DECK} is missing (shared/fixtures beside the repo)\n`);
    return;
  }
  const counts = arg(args, "followers", "1,10").split(",").map(Number);
  const turns = Number(arg(args, "turns", "50"));
  const gapMs = Number(arg(args, "gap", "300"));
  const profile = args.includes("--profile");
  const profiled = args[args.indexOf("--profile") + 1] === "presenter" ? "presenter" : "follower 1";
  const trace = args.includes("--trace");
  const stack = await startWebStack({ accounts: ["alice", "bob"] });
  const browser = await launchBrowser({ extraArgs: NO_THROTTLE });
  const rows: Row[] = [];
  const floor = mountGlassFloor(stack.http, stack.url);
  try {
    const presenter = await browser.person("presenter");
    await login(presenter.page, stack.url, "alice", PASSWORD);
    const link = await createMeeting(presenter.page, "glass bench");
    await presenter.page.setInputFiles("dc-upload input[type=file]", DECK);
    await presenter.page.waitForSelector("dc-thumbs", { timeout: 180_000 });
    await presenter.page.click("dc-meeting dc-stage");
    await presenter.page.evaluate((trace) => {
      const w = window as unknown as { keys: number[]; sends: number[] };
      w.keys = [];
      window.addEventListener("keydown", (e) => w.keys.push(performance.timeOrigin + e.timeStamp), { capture: true });
      if (!trace) return;
      // --trace: when each bundle leaves the presenter's page.
      w.sends = [];
      const send = WebSocket.prototype.send;
      WebSocket.prototype.send = function (this: WebSocket, d: Parameters<WebSocket["send"]>[0]) {
        if (typeof d === "string" && d.includes("<bundle")) w.sends.push(performance.timeOrigin + performance.now());
        return send.call(this, d);
      };
    }, trace);

    const followers: Person[] = [];
    let page = 1;
    for (const n of counts) {
      while (followers.length < n) {
        const f = await browser.person(`f${followers.length + 1}`, { viewport: { width: 960, height: 600 } });
        await recordPaints(f);
        // --trace: when each bundle reaches the follower's page.
        if (trace) await f.page.addInitScript(() => {
          const got: number[] = ((window as unknown as { got: number[] }).got = []);
          const W = window.WebSocket;
          window.WebSocket = class extends W {
            constructor(...a: ConstructorParameters<typeof WebSocket>) {
              super(...a);
              this.addEventListener("message", (e) => { if (typeof e.data === "string" && e.data.includes("<bundle")) got.push(performance.timeOrigin + performance.now()); });
            }
          } as typeof WebSocket;
        });
        await join(f.page, link, `Follower ${followers.length + 1}`);
        await waitForPage(f.page, page);
        followers.push(f);
      }
      // Turns are timed once every follower holds the whole deck (as a meeting settles), so no
      // prefetch fetch or hash competes with them.
      for (const f of followers) await f.page.waitForSelector("dc-deck-offline[data-deck-ready]", { state: "attached", timeout: 120_000 });
      await presenter.page.waitForTimeout(500);
      const samples: number[] = [];
      const stopProfile = profile && rows.length === 0 ? await profilePage(profiled === "presenter" ? presenter.page : followers[0]!.page) : null;
      const stopTrace = trace && rows.length === 0 ? await traceBrowser(browser.browser) : null;
      for (let k = 0; k < turns; k++) {
        const forward = Math.floor(k / 25) % 2 === 0;
        const key = forward ? "ArrowRight" : "ArrowLeft";
        page += forward ? 1 : -1;
        await presenter.page.keyboard.press(key);
        const keyAt = await presenter.page.evaluate(() => (window as unknown as { keys: number[] }).keys.at(-1)!);
        for (const f of followers) samples.push((await paintedAt(f, page, keyAt)) - keyAt);
        await presenter.page.waitForTimeout(gapMs);
      }
      if (stopTrace) printTrace("deckcast", await stopTrace(traced(presenter, followers)), turns);
      if (stopProfile) {
        const p = await stopProfile();
        const perTurn = (ms: number) => Math.round((ms / turns) * 100) / 100;
        process.stdout.write(`\n${profiled}'s main thread over ${turns} turns: ${p.busyMs} ms busy of ${p.totalMs} ms (${perTurn(p.busyMs)} ms a turn)\n`);
        printTable(p.scripts.slice(0, 8).map((x) => ({ script: x.script, ms_per_turn: perTurn(x.selfMs) })));
        printTable(p.functions.slice(0, 25).map((x) => ({ function: x.name.slice(0, 40), where: x.where.slice(0, 40), ms_per_turn: perTurn(x.selfMs) })));
      }
      // p99 of 50 samples is their maximum: the relay gets more samples, as fanout does.
      const relay = await relayP99(stack, n, Math.max(turns, 100));
      const floorSamples = await floorTurns(browser, stack, floor, n, turns, gapMs, trace && rows.length === 0);
      if (trace && rows.length === 0) {
        // Where a turn's time goes: the presenter's page (key to the bundle's WebSocket send), the relay (send to the follower's WebSocket message), the follower's page (the rest).
        const { keys, sends } = await presenter.page.evaluate(() => ({ keys: (window as unknown as { keys: number[] }).keys, sends: (window as unknown as { sends: number[] }).sends }));
        const d = keys.slice(-turns).map((k) => (sends.find((x) => x >= k) ?? NaN) - k);
        process.stdout.write(`key → WebSocket send at the presenter: p50 ${quantile(d, 0.5).toFixed(2)} ms, p90 ${quantile(d, 0.9).toFixed(2)} ms\n`);
        const got = await followers[0]!.page.evaluate(() => (window as unknown as { got: number[] }).got);
        const s2 = sends.slice(-turns).map((x) => (got.find((g) => g >= x) ?? NaN) - x);
        process.stdout.write(`send → follower 1's WebSocket message: p50 ${quantile(s2, 0.5).toFixed(2)} ms, p90 ${quantile(s2, 0.9).toFixed(2)} ms\n`);
      }
      const p50 = quantile(samples, 0.5);
      const p99 = quantile(samples, 0.99);
      const f50 = quantile(floorSamples, 0.5);
      const f99 = quantile(floorSamples, 0.99);
      const row: Row = {
        followers: n,
        p50_ms: round(p50),
        p99_ms: round(p99),
        relay_p99_ms: round(relay),
        floor_p50_ms: round(f50),
        floor_p99_ms: round(f99),
        ratio_p50: Math.round((p50 / f50) * 100) / 100,
        ratio_p99: Math.round((p99 / f99) * 100) / 100,
      };
      rows.push(row);
      printTable([{ ...row, max_ms: round(Math.max(...samples)), samples: samples.length }]);
    }
    const errors = [presenter, ...followers].flatMap((p) => p.errors.map((e) => `${p.name}: ${e}`));
    if (errors.length) process.stdout.write(`console errors during the run:\n${errors.join("\n")}\n`);
  } finally {
    floor.stop();
    await browser.close();
    await stack.stop();
  }
  process.stdout.write("\n");
  printTable(rows.map((r) => ({ ...r, browser_share_p99_ms: round(r.p99_ms - r.relay_p99_ms) })));
  if (profile || trace) process.stdout.write(`not written to bench/results: the ${profile ? "profiler" : "trace"} slows the pages it watches\n`);
  else process.stdout.write(`wrote ${await writeResults("glass", rows)}\n`);
}

/** Floor pages opened so far (kept across rows, like the deckcast followers). */
const floorPeople: Person[] = [];

/**
 * The floor for `n` followers: `turns` page turns from the floor presenter page, each timed
 * from its keydown to each floor follower's painted frame, exactly as deckcast's are.
 */
async function floorTurns(browser: Awaited<ReturnType<typeof launchBrowser>>, stack: WebStack, floor: GlassFloor, n: number, turns: number, gapMs: number, trace = false): Promise<number[]> {
  const deck = stack.component.meetings.all().find((m) => m.state.deck)?.state.deck;
  if (!deck) throw new Error("no deck is open for the floor to draw");
  const width = snapWidth(960);
  while (floorPeople.length < n) {
    const f = await browser.person(`floor${floorPeople.length + 1}`, { viewport: { width: 960, height: 600 } });
    await f.page.goto(floor.followerUrl({ deck: deck.id, pages: deck.pages, width }));
    await f.page.waitForFunction(() => (window as unknown as { ready: boolean }).ready === true, undefined, { timeout: 60_000 });
    floorPeople.push(f);
  }
  const presenter = await browser.person("floor-presenter");
  let page = 1;
  await presenter.page.goto(floor.presenterUrl(page));
  await presenter.page.waitForFunction(() => (window as unknown as { ready: boolean }).ready === true);
  await presenter.page.click("canvas");
  const samples: number[] = [];
  const stopTrace = trace ? await traceBrowser(browser.browser) : null;
  try {
    for (let k = 0; k < turns; k++) {
      const forward = Math.floor(k / 25) % 2 === 0;
      page += forward ? 1 : -1;
      await presenter.page.keyboard.press(forward ? "ArrowRight" : "ArrowLeft");
      const keyAt = await presenter.page.evaluate(() => (window as unknown as { keys: number[] }).keys.at(-1)!);
      for (const f of floorPeople.slice(0, n)) samples.push((await paintedAt(f, page, keyAt)) - keyAt);
      await presenter.page.waitForTimeout(gapMs);
    }
    if (stopTrace) printTrace("floor", await stopTrace(traced(presenter, floorPeople.slice(0, n))), turns);
  } finally {
    await presenter.context.close();
  }
  return samples;
}

/** The pages a trace labels: "presenter", "follower 1", ... */
function traced(presenter: Person, followers: Person[]): { name: string; page: Person["page"] }[] {
  return [{ name: "presenter", page: presenter.page }, ...followers.map((f, k) => ({ name: `follower ${k + 1}`, page: f.page }))];
}

/** A trace's CPU per turn: by process and thread (the busiest), and the followers' main-thread steps. */
function printTrace(what: string, t: TraceSummary, turns: number): void {
  const perTurn = (ms: number) => Math.round((ms / turns) * 100) / 100;
  process.stdout.write(`\n${what}: CPU ms a turn by process and thread (whole-browser trace over ${turns} turns)\n`);
  printTable(t.threads.filter((u) => u.cpuMs / turns >= 0.05).slice(0, 16).map((u) => ({ process: u.process.slice(0, 24), thread: u.thread.slice(0, 32), cpu_ms_per_turn: perTurn(u.cpuMs) })));
  printTable(t.steps.filter((s) => s.process.startsWith("follower 1") && s.cpuMs / turns >= 0.02).map((s) => ({ process: s.process, step: s.step, cpu_ms_per_turn: perTurn(s.cpuMs) })));
}

/**
 * The relay alone, measured the way bench/fanout.ts does: a Node presenter (bob, over TCP)
 * sends `count` page-turn bundles to its own meeting at 5 a second (after 5 unmeasured
 * ones); `n` Node followers in the room take the time from send to receive.
 */
async function relayP99(stack: WebStack, n: number, count: number): Promise<number> {
  const p = stack.prosody;
  const connect = async (username?: string): Promise<Client> => {
    const x = client({
      service: `xmpp://127.0.0.1:${p.ports.c2s}`,
      domain: username ? p.domains.accounts : p.domains.guests,
      resource: Math.random().toString(36).slice(2, 10),
      timeout: 30_000,
      ...(username ? { credentials: (auth: (c: object, m: string) => Promise<void>) => auth({ username, password: PASSWORD }, "PLAIN") } : {}),
    } as never);
    x.on("error", () => undefined);
    x.reconnect.stop();
    await x.start();
    return x;
  };
  const clients: Client[] = [];
  try {
    const presenter = await connect("bob");
    clients.push(presenter);
    const created = await presenter.iqCaller.request(xml("iq", { type: "set", to: p.domains.component }, xml("create", { xmlns: NS.deckcast, nick: "bob" }, xml("title", {}, "relay"))));
    const m = created.getChild("meeting", NS.deckcast)!.attrs as { room: string; jid: string };
    const sentAt = new Map<string, number>();
    const latencies: number[] = [];
    for (let i = 0; i < n; i++) {
      const f = await connect();
      clients.push(f);
      await joinRoom(f, m.room, `relay-${i}`);
      f.on("stanza", (el: Element) => {
        const id = el.name === "message" ? (el.getChild("bundle", NS.deckcast)?.attrs.id as string | undefined) : undefined;
        const t0 = id ? sentAt.get(id) : undefined;
        if (t0 !== undefined) latencies.push(performance.now() - t0);
      });
    }
    // A few unmeasured bundles first, as the browsers had their first turns before measuring.
    const warmup = 5;
    for (let k = -warmup; k < count; k++) {
      const id = `relay-${n}-${k < 0 ? `w${-k}` : k}`;
      const bundle = encodeBundle({ id, t: 1000 + warmup + k, events: [{ type: "page", t: 1000 + warmup + k, page: ((k + warmup) % 25) + 1 }] });
      if (k >= 0) sentAt.set(id, performance.now());
      void presenter.iqCaller.request(xml("iq", { type: "set", to: m.jid }, bundle), 30_000).catch(() => undefined);
      await new Promise((r) => setTimeout(r, 200));
    }
    const until = Date.now() + 10_000;
    while (latencies.length < n * count && Date.now() < until) await new Promise((r) => setTimeout(r, 50));
    return quantile(latencies, 0.99);
  } finally {
    for (const c of clients) await c.stop().catch(() => undefined);
  }
}
