/**
 * An edge on the office LAN for a distant server (issue 14, items 3 and 4), in network
 * namespaces the test makes (test/support/netns.ts): "cloud" (the central server, the real
 * `npm start` path) behind a 5 Mbit/s link with an 80 ms round trip (tc tbf and the harness's
 * delaying relay, which also counts the bytes), and "edge", "f1", "f2", "f3" on the LAN. Read as
 * the meeting it is:
 *
 *   The presenter, in Chromium in the cloud's namespace (at localhost), creates a meeting and
 *   uploads a generated deck. `deckcast edge --upstream <cloud> --lan --token <operator token>`
 *   runs on the edge host: it announces itself over mDNS (f1's `deckcast discover` finds it) and
 *   registers with the cloud, so the cloud's join page, opened by f1 over the uplink, says
 *   "Faster here: join through this office's edge". f1 joins through the edge and gets the whole
 *   deck; then a byte of one image in the edge's cache is forged; f2 and f3 join through the edge
 *   too, refuse the forged image (they fetch it from the cloud instead) and get the whole deck.
 *   The relay's count shows the uplink carried the deck's images about once, not three times.
 *   Everyone follows page turns; the edge is stopped; the followers fall back to the cloud's
 *   WebSocket and keep following.
 *
 * Only the namespaces' own addresses and their loopbacks are used.
 */
import { readFile, readdir, mkdtemp, rm, stat, writeFile, open } from "node:fs/promises";
import { once } from "node:events";
import os from "node:os";
import path from "node:path";
import type { ChildProcess } from "node:child_process";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { screenshot, type Person, type TestBrowser } from "../support/browser.ts";
import { makePdf } from "../support/decks-pdf.ts";
import { cleanup, cleanupStale, makeLan, requireNetns, stopChild, type Lan, type Relay, type RelayCounts, withoutDeckcastSettings } from "../support/netns.ts";
import { ensureWebClientBuilt } from "../../web-client/build.ts";
import { createMeeting, join, login, textOf, waitForPage } from "./support/meeting-page.ts";
import { waitFor } from "./support/stack.ts";

const skip = requireNetns();
const CLOUD_PORT = 8080;
const EDGE_PORT = 8081;
const PAGES = 8;
const FOLLOWERS = ["f1", "f2", "f3"] as const;
const REPO = path.resolve(".");

interface Follower {
  host: string;
  browser: TestBrowser;
  person: Person;
}

describe.skipIf(skip !== null)("an edge on the office LAN for a distant server", () => {
  let lan: Lan;
  let dir = "";
  let cloud: ChildProcess;
  let edge: ChildProcess;
  let relay: Relay;
  let presenterBrowser: TestBrowser;
  let alice: Person;
  let code = "";
  let edgeUrl = "";
  let cacheDir = "";
  let before: RelayCounts;
  let afterFirst: RelayCounts;
  let shownPage = 1;
  const followers: Follower[] = [];

  const turnTo = async (page: number) => {
    while (shownPage !== page) {
      await alice.page.keyboard.press(page > shownPage ? "ArrowRight" : "ArrowLeft");
      shownPage += page > shownPage ? 1 : -1;
      await waitForPage(alice.page, shownPage);
    }
  };

  beforeAll(async () => {
    await cleanupStale();
    await ensureWebClientBuilt({ quiet: true });
    dir = await mkdtemp(path.join(os.tmpdir(), "deckcast-lan-edge-"));
    lan = await makeLan({ hosts: ["edge", ...FOLLOWERS], bridge: "lan", wan: { host: "cloud", rateMbit: 5, delayMs: 80 } });
    const data = path.join(dir, "cloud-data");
    // The cloud listens on its own namespace's interfaces (lo, and the link to the router).
    cloud = lan.spawnIn("cloud", path.join(REPO, "node_modules/.bin/tsx"), ["server/main.ts"], {
      cwd: REPO,
      env: { ...withoutDeckcastSettings(process.env), DECKCAST_DATA_DIR: data, DECKCAST_HTTP_PORT: String(CLOUD_PORT), DECKCAST_HTTP_HOST: "0.0.0.0" },
    });
    let banner = "";
    let err = "";
    cloud.stdout!.on("data", (d: Buffer) => (banner += d));
    cloud.stderr!.on("data", (d: Buffer) => (err = (err + d).slice(-4000)));
    relay = await lan.relay(CLOUD_PORT);
    await waitFor(() => banner.includes("Press Ctrl+C to stop") || cloud.exitCode !== null, 90_000, `the cloud's server to start (stderr: ${err.slice(-500)})`);
    expect(cloud.exitCode, err).toBeNull();

    presenterBrowser = await lan.chromiumIn("cloud");
    alice = await presenterBrowser.person("alice");
    const account = JSON.parse(await readFile(path.join(data, "first-account.json"), "utf8")) as { user: string; password: string };
    await login(alice.page, `http://localhost:${CLOUD_PORT}`, account.user, account.password);
    code = (await createMeeting(alice.page, "Office")).split("/").at(-1)!;
    const pdf = path.join(dir, "edge-deck.pdf");
    await writeFile(pdf, makePdf(Array.from({ length: PAGES }, (_, i) => `Edge page ${i + 1}`), { title: "Edge deck" }));
    await alice.page.setInputFiles("dc-upload input[type=file]", pdf);
    await alice.page.waitForSelector("dc-thumbs", { timeout: 60_000 });
    await waitForPage(alice.page, 1, 60_000);

    const token = (await readFile(path.join(data, "operator-token"), "utf8")).trim();
    cacheDir = path.join(dir, "edge-cache");
    edge = lan.spawnIn("edge", process.execPath, ["server/cli/bin.mjs", "edge", "--upstream", relay.url, "--lan", "--port", String(EDGE_PORT), "--cache", cacheDir, "--token", token], {
      cwd: REPO,
      env: withoutDeckcastSettings(process.env),
    });
    let edgeOut = "";
    let edgeErr = "";
    edge.stdout!.on("data", (d: Buffer) => (edgeOut += d));
    edge.stderr!.on("data", (d: Buffer) => (edgeErr = (edgeErr + d).slice(-4000)));
    await waitFor(() => edgeOut.includes("followers open") || edge.exitCode !== null, 30_000, `the edge to start (stderr: ${edgeErr.slice(-500)})`);
    expect(edge.exitCode, edgeErr).toBeNull();
    edgeUrl = `http://${lan.host("edge").address}:${EDGE_PORT}`;
    expect(edgeOut).toContain(edgeUrl);
  }, 200_000);

  afterAll(async () => {
    if (followers[0]) await screenshot(followers[0].person.page, "lan-edge-follower").catch(() => undefined);
    await cleanup(); // browsers, the cloud, the edge, the relay, every namespace: also after a failure
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it("the edge announces itself over mDNS (`deckcast discover` on f1 finds it)", async () => {
    const child = lan.spawnIn("f1", process.execPath, ["server/cli/bin.mjs", "discover", "--json", "--timeout", "3"], { cwd: REPO });
    let out = "";
    child.stdout!.on("data", (d: Buffer) => (out += d));
    const [exit] = (await once(child, "exit")) as [number | null];
    expect(exit).toBe(0);
    expect(JSON.parse(out)).toEqual([expect.objectContaining({ role: "edge", url: `${edgeUrl}/` })]);
  });

  it("the cloud's join page, opened from the office, points to the edge; f1 joins through it and gets the whole deck", async () => {
    const browser = await lan.chromiumIn("f1");
    const person = await browser.person("f1");
    followers.push({ host: "f1", browser, person });
    await person.page.goto(`${relay.url}/m/${code}`);
    const hint = person.page.locator("dc-join .edge-hint a");
    await hint.waitFor({ timeout: 45_000 }); // the edge registers at start, then every 30 s
    expect(await textOf(person.page, "dc-join .edge-hint")).toContain("Faster here: join through this office's edge");
    expect(await hint.getAttribute("href")).toBe(`${edgeUrl}/m/${code}`);
    // What the uplink carries from here on: the deck and the meeting, not the web client.
    before = await relay.counts();
    await join(person.page, `${edgeUrl}/m/${code}`, "Follower f1");
    await waitForPage(person.page, 1, 30_000);
    await person.page.waitForSelector("dc-deck-offline[data-deck-ready]", { state: "attached", timeout: 60_000 });
    expect(await textOf(person.page, "dc-deck-offline")).toContain("Deck ready offline");
    afterFirst = await relay.counts();
  });

  it("a forged byte in the edge's cache is refused by f2 and f3, which take that image from the cloud; the uplink carried the deck once", async () => {
    const blobs = (await readdir(cacheDir)).filter((n) => /^[0-9a-f]{64}$/.test(n)).sort();
    expect(blobs.length).toBeGreaterThanOrEqual(PAGES);
    const sizes = await Promise.all(blobs.map(async (b) => (await stat(path.join(cacheDir, b))).size));
    const deckBytes = sizes.reduce((a, b) => a + b, 0);
    // Forge one byte in the middle of the largest image (same size: only the hash tells).
    const victim = blobs[sizes.indexOf(Math.max(...sizes))]!;
    const fh = await open(path.join(cacheDir, victim), "r+");
    const at = Math.floor(Math.max(...sizes) / 2);
    const one = Buffer.alloc(1);
    await fh.read(one, 0, 1, at);
    one[0] = one[0]! ^ 0xff;
    await fh.write(one, 0, 1, at);
    await fh.close();

    for (const host of ["f2", "f3"] as const) {
      const browser = await lan.chromiumIn(host);
      const person = await browser.person(host);
      followers.push({ host, browser, person });
      await join(person.page, `${edgeUrl}/m/${code}`, `Follower ${host}`);
    }
    for (const f of followers.slice(1)) {
      await f.person.page.waitForSelector("dc-deck-offline[data-deck-ready]", { state: "attached", timeout: 60_000 });
      expect(await textOf(f.person.page, "dc-deck-offline"), f.host).toMatch(/Deck ready offline.*1 refused/);
    }
    const after = await relay.counts();
    const first = afterFirst.down - before.down;
    const others = after.down - afterFirst.down;
    console.log(`deck ${deckBytes} bytes at the edge; the uplink carried ${first} bytes down for f1, ${others} for f2 and f3 (the forged image twice: ${2 * Math.max(...sizes)})`);
    expect(first).toBeGreaterThanOrEqual(deckBytes); // f1: the deck, once
    expect(others).toBeLessThan(deckBytes); // f2 and f3: no second copy of the deck, only the refused image and the meeting
    expect(first + others).toBeLessThan(2 * deckBytes); // three followers: once, not three times
  });

  it("every follower follows page turns", async () => {
    for (const p of [2, 3, 4, 5, 4]) {
      await turnTo(p);
      for (const f of followers) await waitForPage(f.person.page, p);
    }
  });

  it("stopping the edge falls the followers back to the cloud, and the meeting goes on", async () => {
    await stopChild(edge);
    for (const f of followers) {
      await f.person.page.waitForFunction(() => document.documentElement.dataset.deckcastRoute === "upstream", undefined, { timeout: 45_000 });
    }
    for (const p of [5, 6, 7, 8, 1]) {
      await turnTo(p);
      for (const f of followers) await waitForPage(f.person.page, p, 45_000);
    }
    for (const f of followers) {
      const stage = await f.person.page.evaluate(() => document.documentElement.dataset.deckcastRoute);
      expect(stage, f.host).toBe("upstream");
    }
  });
});
