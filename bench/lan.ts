/**
 * LAN distribution (issue 14, §Benchmark): 20 followers on an office LAN follow a presenter
 * whose server ("cloud") is behind a 5 Mbit/s link with an 80 ms round trip, once straight
 * from the cloud ("direct") and once through an edge on the LAN ("edge"), in one run.
 *
 * Network namespaces made here (test/support/netns.ts, the LAN tests' harness): "cloud" runs
 * the real `npm start` path; the LAN holds "edge" and four follower hosts, each one Chromium
 * with five followers (20); the cloud is reached only through the router's delaying relay,
 * whose byte count is "cloud_bytes". The presenter is Chromium in the cloud's namespace, at
 * localhost, with deck30 (../shared/fixtures/bench/deck30.pptx); the cloud renders its page
 * images at the followers' width before the first pass, so neither pass pays for that.
 *
 * Per pass, with fresh followers:
 * - all_ready_ms: from the first follower opening the join link to the last one showing
 *   "Deck ready offline" (every page image of the deck held and hash-checked);
 * - cloud_bytes: bytes over the cloud link in both directions meanwhile (the web client, the
 *   deck, the meeting); deck_bytes: the deck's images at that width (pages and thumbnails,
 *   from the manifest);
 * - turn_p50_ms / turn_p99_ms: 30 page turns, from the presenter's keydown to each follower's
 *   painted frame of the new page (dc-page-painted; wall clocks of one machine).
 *
 * And a floor, once per run, before both passes (bench/support/floor.ts: minimal presenter and
 * follower pages, a raw WebSocket relay, page images decoded up front, one drawImage and a
 * frame): on this 2-core machine twenty headless followers may be the limit, not deckcast, so
 * the same 30 turns are timed the same way for the least any web follower can do, in the same
 * presenter browser and the same four follower browsers, over the same kind of link. Its server
 * (bench/support/lan-floor-server.ts) is a process of its own in the cloud's namespace, reached
 * by the LAN through a second delaying relay of the router; it forwards the floor followers'
 * image GETs to the cloud's deckcast (127.0.0.1 there), so they load the same images at the
 * same width as deckcast's followers. The floor's pages are closed before deckcast is measured.
 * Every row carries floor_p50_ms / floor_p99_ms and ratio_p99 = turn_p99_ms / floor_p99_ms:
 * what deckcast adds over the machine and the link.
 *
 *   npm run bench -- lan [--followers 20] [--turns 30]
 *
 * Writes bench/results/lan.json as [{mode, followers, deck_bytes, cloud_bytes, all_ready_ms,
 * turn_p50_ms, turn_p99_ms, floor_p50_ms, floor_p99_ms, ratio_p99}]. Needs root (ip netns);
 * skipped with a message otherwise.
 * Only the namespaces' own addresses are used: nothing is sent on this machine's interfaces.
 */
import type { ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { deckManifestUrl, readDeckManifest } from "../protocol/deck-prefetch.ts";
import { snapWidth } from "../protocol/deck-urls.ts";
import type { Page } from "playwright-core";
import type { Person, TestBrowser } from "../test/support/browser.ts";
import { cleanup, cleanupStale, makeLan, netnsSkipReason, stopChild, withoutDeckcastSettings, type Lan } from "../test/support/netns.ts";
import { createMeeting, login, waitForPage } from "../test/e2e/support/meeting-page.ts";
import { waitFor } from "../test/e2e/support/stack.ts";
import { ensureWebClientBuilt } from "../web-client/build.ts";
import { arg, NO_THROTTLE } from "./support/args.ts";
import { floorFollowerUrl, floorPresenterUrl } from "./support/floor.ts";
import { paintedAt, recordPaints } from "./support/painted.ts";
import { printTable, quantile, round, writeResults } from "./support/table.ts";

const DECK = path.resolve("../shared/fixtures/bench/deck30.pptx");
const CLOUD_PORT = 8080;
const EDGE_PORT = 8081;
/** The floor server's port in the cloud (and its relay's on the router). */
const FLOOR_PORT = 8090;
const HOSTS = ["f1", "f2", "f3", "f4"];
const VIEWPORT = { width: 960, height: 600 };
const REPO = path.resolve(".");

interface Row {
  mode: "edge" | "direct";
  followers: number;
  deck_bytes: number;
  cloud_bytes: number;
  all_ready_ms: number;
  turn_p50_ms: number;
  turn_p99_ms: number;
  floor_p50_ms: number;
  floor_p99_ms: number;
  ratio_p99: number;
}

/** A child's output kept (the last 4 KB of stderr) until `text` appears, or it exits. */
async function started(child: ChildProcess, text: string, what: string, ms: number): Promise<void> {
  let out = "";
  let err = "";
  child.stdout!.on("data", (d: Buffer) => (out += d));
  child.stderr!.on("data", (d: Buffer) => (err = (err + d).slice(-4000)));
  await waitFor(() => out.includes(text) || child.exitCode !== null, ms, `${what} to start`);
  if (child.exitCode !== null) throw new Error(`${what} exited: ${err.slice(-800)}`);
}

export default async function run(args: string[]): Promise<void> {
  const skip = netnsSkipReason();
  if (skip) return void process.stdout.write(`skipped: ${skip}\n`);
  if (!existsSync(DECK)) return void process.stdout.write(`skipped: the benchmark deck ${DECK} is missing (shared/fixtures beside the repo)\n`);
  const followers = Number(arg(args, "followers", "20"));
  const turns = Number(arg(args, "turns", "30"));
  const perHost = Math.ceil(followers / HOSTS.length);

  await cleanupStale();
  await ensureWebClientBuilt({ quiet: true });
  const dir = await mkdtemp(path.join(os.tmpdir(), "deckcast-bench-lan-"));
  const rows: Row[] = [];
  let lan: Lan | null = null;
  try {
    lan = await makeLan({ hosts: ["edge", ...HOSTS], bridge: "lan", wan: { host: "cloud", rateMbit: 5, delayMs: 80 } });
    const data = path.join(dir, "cloud-data");
    const cloud = lan.spawnIn("cloud", path.join(REPO, "node_modules/.bin/tsx"), ["server/main.ts"], {
      cwd: REPO,
      env: { ...withoutDeckcastSettings(process.env), DECKCAST_DATA_DIR: data, DECKCAST_HTTP_PORT: String(CLOUD_PORT), DECKCAST_HTTP_HOST: "0.0.0.0", DECKCAST_LOG_LEVEL: "warn" },
    });
    const relay = await lan.relay(CLOUD_PORT);
    await started(cloud, "Press Ctrl+C to stop", "the cloud's server", 120_000);
    const floorServer = lan.spawnIn("cloud", path.join(REPO, "node_modules/.bin/tsx"), ["bench/support/lan-floor-server.ts", "--port", String(FLOOR_PORT), "--upstream", `http://127.0.0.1:${CLOUD_PORT}`], {
      cwd: REPO,
      env: withoutDeckcastSettings(process.env),
    });
    const floorRelay = await lan.relay(FLOOR_PORT);
    await started(floorServer, "floor listening", "the floor server", 60_000);

    // The presenter, at the cloud (localhost), with deck30; the keydown times of its turns.
    const presenterBrowser = await lan.chromiumIn("cloud", { extraArgs: NO_THROTTLE });
    const alice = await presenterBrowser.person("alice");
    const account = JSON.parse(await readFile(path.join(data, "first-account.json"), "utf8")) as { user: string; password: string };
    await login(alice.page, `http://localhost:${CLOUD_PORT}`, account.user, account.password);
    const code = (await createMeeting(alice.page, "LAN bench")).split("/").at(-1)!;
    await alice.page.setInputFiles("dc-upload input[type=file]", DECK);
    await alice.page.waitForSelector("dc-thumbs", { timeout: 300_000 });
    await waitForPage(alice.page, 1, 60_000);
    await alice.page.click("dc-meeting dc-stage");
    await alice.page.evaluate(() => {
      const w = window as unknown as { keys: number[] };
      w.keys = [];
      window.addEventListener("keydown", (e) => w.keys.push(performance.timeOrigin + e.timeStamp), { capture: true });
    });

    // The followers' width, rendered once at the cloud (the manifest renders every page).
    const deck = await alice.page.evaluate(() => {
      const app = document.querySelector("deckcast-app")?.shadowRoot;
      return (app?.querySelector("dc-meeting")?.shadowRoot?.querySelector("dc-stage") as (HTMLElement & { deck: string | null }) | null)?.deck ?? null;
    });
    if (!deck) throw new Error("the presenter's stage shows no deck");
    const width = snapWidth(VIEWPORT.width);
    const manifestText = await alice.page.evaluate(async (url) => (await fetch(url)).text(), `http://localhost:${CLOUD_PORT}${deckManifestUrl(deck, width)}`);
    const manifest = readDeckManifest(JSON.parse(manifestText) as unknown);
    if (!manifest.ok) throw new Error(`the cloud's manifest: ${manifest.error.message}`);
    const deckBytes = [...manifest.value.pages, ...manifest.value.thumbs].reduce((s, e) => s + e.bytes, 0);

    const token = (await readFile(path.join(data, "operator-token"), "utf8")).trim();
    const edge = lan.spawnIn("edge", process.execPath, ["server/cli/bin.mjs", "edge", "--upstream", relay.url, "--port", String(EDGE_PORT), "--cache", path.join(dir, "edge-cache"), "--token", token, "--lan"], {
      cwd: REPO,
      env: withoutDeckcastSettings(process.env),
    });
    await started(edge, "followers open", "the edge", 60_000);
    const edgeUrl = `http://${lan.host("edge").address}:${EDGE_PORT}`;

    const browsers: TestBrowser[] = [];
    for (const host of HOSTS) browsers.push(await lan.chromiumIn(host, { extraArgs: NO_THROTTLE }));
    const pages = manifest.value.pages.length;

    // The floor, before deckcast's passes; its pages and server are gone before those start.
    const floorSamples = await floorPass({ presenterBrowser, browsers, followers, turns, pages, deck, width, followerOrigin: floorRelay.url, presenterOrigin: `http://localhost:${FLOOR_PORT}` });
    await floorRelay.stop();
    await stopChild(floorServer);
    const floorP50 = quantile(floorSamples, 0.5);
    const floorP99 = quantile(floorSamples, 0.99);
    process.stdout.write(`floor: ${followers} followers, p50 ${round(floorP50)} ms, p99 ${round(floorP99)} ms over ${floorSamples.length} paints\n`);

    let page = 1;
    for (const mode of ["direct", "edge"] as const) {
      const base = mode === "edge" ? edgeUrl : relay.url;
      const people: Person[] = [];
      for (let i = 0; i < followers; i++) {
        const p = await browsers[i % browsers.length]!.person(`${mode}-${i + 1}`, { viewport: VIEWPORT });
        await recordPaints(p);
        people.push(p);
      }
      const before = await relay.counts();
      const t0 = performance.now();
      // Everyone joins at once, as a class does when the link goes up on the screen.
      await Promise.all(people.map((p, i) => joinSlowly(p, `${base}/m/${code}`, `Follower ${i + 1}`)));
      await Promise.all(people.map((p) => p.page.waitForSelector("dc-deck-offline[data-deck-ready]", { state: "attached", timeout: 600_000 })));
      const allReady = performance.now() - t0;
      const after = await relay.counts();
      process.stdout.write(`${mode}: ${followers} followers hold the whole deck after ${Math.round(allReady)} ms\n`);

      const timed = await timeTurns(alice.page, people, page, turns, pages);
      const samples = timed.samples;
      page = timed.page;
      const p99 = quantile(samples, 0.99);
      const row: Row = {
        mode,
        followers,
        deck_bytes: deckBytes,
        cloud_bytes: after.up - before.up + (after.down - before.down),
        all_ready_ms: round(allReady),
        turn_p50_ms: round(quantile(samples, 0.5)),
        turn_p99_ms: round(p99),
        floor_p50_ms: round(floorP50),
        floor_p99_ms: round(floorP99),
        ratio_p99: Math.round((p99 / floorP99) * 100) / 100,
      };
      rows.push(row);
      printTable([{ ...row, deck_copies: Math.round(((after.down - before.down) / deckBytes) * 10) / 10, per_host: perHost }]);
      const errors = people.flatMap((p) => p.errors.map((e) => `${p.name}: ${e}`));
      if (errors.length) process.stdout.write(`console errors:\n${errors.slice(0, 10).join("\n")}\n`);
      for (const p of people) await p.context.close();
    }
  } finally {
    await cleanup(); // browsers, the cloud, the floor server (if a failure left it), the edge, the relays and every namespace
    await rm(dir, { recursive: true, force: true });
  }
  process.stdout.write("\n");
  printTable(rows);
  process.stdout.write(`wrote ${await writeResults("lan", rows)}\n`);
}

/**
 * `turns` page turns from `presenter` (its window.keys logs keydown times), starting at page
 * `from` of `pages`: forward for the first half (and whenever on page 1), then back, 300 ms
 * apart; each timed from its keydown to each follower's painted frame of the new page
 * (window.paints). Both deckcast's passes and the floor's turn so.
 */
async function timeTurns(presenter: Page, followers: Person[], from: number, turns: number, pages: number): Promise<{ samples: number[]; page: number }> {
  const samples: number[] = [];
  let page = from;
  for (let k = 0; k < turns; k++) {
    const forward = page < pages && (k < turns / 2 || page === 1);
    await presenter.keyboard.press(forward ? "ArrowRight" : "ArrowLeft");
    page += forward ? 1 : -1;
    const keyAt = await presenter.evaluate(() => (window as unknown as { keys: number[] }).keys.at(-1)!);
    for (const p of followers) samples.push((await paintedAt(p, page, keyAt, 30_000)) - keyAt);
    await presenter.waitForTimeout(300);
  }
  return { samples, page };
}

/**
 * The floor pass: `followers` floor followers (deckcast's viewport and width) spread over the
 * LAN's browsers as deckcast's are, at the floor relay's URL; once every one holds every page
 * decoded and its socket open, the floor presenter page (in the presenter's browser, at the
 * cloud's localhost) turns as deckcast's presenter does. Every floor page is closed after.
 */
async function floorPass(o: {
  presenterBrowser: TestBrowser;
  browsers: TestBrowser[];
  followers: number;
  turns: number;
  pages: number;
  deck: string;
  width: number;
  followerOrigin: string;
  presenterOrigin: string;
}): Promise<number[]> {
  const people: Person[] = [];
  try {
    for (let i = 0; i < o.followers; i++) people.push(await o.browsers[i % o.browsers.length]!.person(`floor-${i + 1}`, { viewport: VIEWPORT }));
    const url = floorFollowerUrl(o.followerOrigin, { deck: o.deck, pages: o.pages, width: o.width });
    const t0 = performance.now();
    const ready = (p: Person) =>
      p.page.waitForFunction(() => (window as unknown as { ready: boolean }).ready === true, undefined, { timeout: 300_000, polling: 100 }).catch(async (err: Error) => {
        const seen = await p.page.evaluate(() => ({ problems: (window as unknown as { problems?: string[] }).problems ?? [], pending: (window as unknown as { pending?: number }).pending ?? -1 })).catch(() => ({ problems: [], pending: -1 }));
        throw new Error(`${p.name} never got ready (${err.message.split("\n")[0]}); images not yet held: ${seen.pending}; its problems: ${seen.problems.slice(-5).join("; ") || "none"}`);
      });
    await Promise.all(people.map(async (p) => (await p.page.goto(url, { timeout: 600_000 }), await ready(p))));
    process.stdout.write(`floor: ${o.followers} followers hold the whole deck decoded after ${Math.round(performance.now() - t0)} ms\n`);
    const presenter = await o.presenterBrowser.person("floor-presenter");
    people.push(presenter);
    await presenter.page.goto(floorPresenterUrl(o.presenterOrigin, 1));
    await ready(presenter);
    await presenter.page.click("canvas");
    const { samples } = await timeTurns(presenter.page, people.slice(0, o.followers), 1, o.turns, o.pages);
    const errors = people.flatMap((p) => p.errors.map((e) => `${p.name}: ${e}`));
    if (errors.length) process.stdout.write(`floor console errors:\n${errors.slice(0, 10).join("\n")}\n`);
    return samples;
  } finally {
    for (const p of people) await p.context.close().catch(() => undefined);
  }
}

/** Joins as a guest; twenty pages loading at once over 5 Mbit/s take longer than a test's 30 s. */
async function joinSlowly(p: Person, link: string, nick: string): Promise<void> {
  await p.page.goto(link, { timeout: 600_000 });
  await p.page.fill("dc-join #nick", nick, { timeout: 600_000 });
  await p.page.click("dc-join button[type=submit]");
  await p.page.waitForSelector("dc-meeting dc-stage", { timeout: 600_000 });
}

