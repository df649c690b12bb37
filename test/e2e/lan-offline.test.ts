/**
 * A meeting on one laptop, fully offline (issue 14, item 1), in network namespaces the test
 * makes (test/support/netns.ts): hosts "laptop", "f1", "f2", "f3" on a "lan" bridge, no
 * internet, no default route. Read as the meeting it is:
 *
 *   The laptop runs the real `npm start` path (tsx server/main.ts, DECKCAST_LAN=1, its own
 *   data dir): its banner prints the LAN URL and a QR code, and it announces _deckcast._tcp.
 *   The presenter, in Chromium on the laptop at http://localhost (a secure context, so the
 *   microphone works), logs in with first-account.json, creates a meeting (the invite panel
 *   offers the LAN link, "On this network"), uploads a generated deck and talks (a fake
 *   microphone that beeps). Each follower's namespace finds the laptop with
 *   `deckcast discover` (mDNS), opens the discovered plain-http join link (not a secure
 *   context: no WebCodecs, so the voice goes through the decoder worker), joins as a guest,
 *   hears the beeps, gets the whole deck ("Deck ready offline") and follows 20 page turns.
 *   No page asks anything of an origin but its own (Chromium's request log).
 *
 * Only the namespaces' own addresses and their loopbacks are used: nothing binds a LAN
 * address of this machine or sends multicast on its interfaces.
 */
import { readFile, mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { once } from "node:events";
import type { ChildProcess } from "node:child_process";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Page } from "playwright-core";
import { screenshot, type Person, type TestBrowser } from "../support/browser.ts";
import { makePdf } from "../support/decks-pdf.ts";
import { cleanup, cleanupStale, makeLan, requireNetns, type Lan, withoutDeckcastSettings } from "../support/netns.ts";
import { beepWav, fakeMicFlags } from "./support/audio-probes.ts";
import { createMeeting, join, login, textOf, waitForPage } from "./support/meeting-page.ts";
import { waitFor } from "./support/stack.ts";

const skip = requireNetns();
const PORT = 8080;
const PAGES = 6;
const TURNS = 20;
const FOLLOWERS = ["f1", "f2", "f3"] as const;
const REPO = path.resolve(".");

interface Follower {
  host: string;
  browser: TestBrowser;
  person: Person;
  workers: string[];
}

/** Every request a page made (its WebSockets too), for the "nothing from outside" check. */
function logRequests(page: Page): string[] {
  const urls: string[] = [];
  page.on("request", (r) => urls.push(r.url()));
  page.on("websocket", (ws) => urls.push(ws.url()));
  return urls;
}

/** Requests anywhere but `origin`'s host and port (data: and blob: URLs are the page's own). */
function offOrigin(urls: string[], origin: string): string[] {
  const own = new URL(origin).host;
  return urls.filter((u) => !u.startsWith("data:") && !u.startsWith("blob:") && new URL(u).host !== own);
}

/**
 * Follower (listening): counts the beeps the player's output plays. An AnalyserNode polled
 * every 20 ms, because an AudioWorklet (audio-probes.ts's detector) needs a secure context.
 */
async function listenForSound(page: Page): Promise<void> {
  await page.evaluate(() => {
    const w = window as unknown as { __loud: number; __deckcast: { audio: { player: { output: GainNode } | null } } };
    const player = w.__deckcast.audio.player;
    if (!player) throw new Error("the follower is not listening");
    const analyser = player.output.context.createAnalyser();
    analyser.fftSize = 2048;
    player.output.connect(analyser);
    const samples = new Float32Array(analyser.fftSize);
    let loud = false;
    w.__loud = 0;
    setInterval(() => {
      analyser.getFloatTimeDomainData(samples);
      const now = samples.some((v) => Math.abs(v) >= 0.1);
      if (now && !loud) w.__loud++;
      loud = now;
    }, 20);
  });
}

const loudMoments = (page: Page): Promise<number> => page.evaluate(() => (window as unknown as { __loud: number }).__loud);

describe.skipIf(skip !== null)("a LAN meeting on one offline laptop", () => {
  let lan: Lan;
  let dir = "";
  let server: ChildProcess;
  let banner = "";
  let presenterBrowser: TestBrowser;
  let alice: Person;
  let aliceRequests: string[] = [];
  const followers: Follower[] = [];
  const requests = new Map<string, string[]>();
  let link = "";
  let lanUrl = "";

  beforeAll(async () => {
    await cleanupStale();
    dir = await mkdtemp(path.join(os.tmpdir(), "deckcast-lan-"));
    lan = await makeLan({ hosts: ["laptop", ...FOLLOWERS], bridge: "lan" });
    const data = path.join(dir, "data");
    server = lan.spawnIn("laptop", path.join(REPO, "node_modules/.bin/tsx"), ["server/main.ts"], {
      cwd: REPO,
      env: { ...withoutDeckcastSettings(process.env), DECKCAST_LAN: "1", DECKCAST_DATA_DIR: data, DECKCAST_HTTP_PORT: String(PORT) },
    });
    let err = "";
    server.stdout!.on("data", (d: Buffer) => (banner += d));
    server.stderr!.on("data", (d: Buffer) => (err += d));
    const wav = await beepWav(dir);
    await waitFor(() => banner.includes("Press Ctrl+C to stop") || server.exitCode !== null, 90_000, `the laptop's server to start (stderr: ${err.slice(-500)})`);
    expect(server.exitCode, err).toBeNull();
    presenterBrowser = await lan.chromiumIn("laptop", { extraArgs: fakeMicFlags(wav) });
    alice = await presenterBrowser.person("alice");
    aliceRequests = logRequests(alice.page);
    const account = JSON.parse(await readFile(path.join(data, "first-account.json"), "utf8")) as { user: string; password: string };
    await login(alice.page, `http://localhost:${PORT}`, account.user, account.password);
    link = await createMeeting(alice.page, "Offline");
    const pdf = path.join(dir, "lan-deck.pdf");
    await writeFile(pdf, makePdf(Array.from({ length: PAGES }, (_, i) => `LAN page ${i + 1}`), { title: "LAN deck" }));
    await alice.page.setInputFiles("dc-upload input[type=file]", pdf);
    await alice.page.waitForSelector("dc-thumbs", { timeout: 60_000 });
    await waitForPage(alice.page, 1, 60_000);
  }, 170_000);

  afterAll(async () => {
    await cleanup(); // browsers, the laptop's server, every namespace: also after a failure
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it("the laptop listens on its LAN address: the banner prints the LAN URL with a QR code, the invite panel offers it", async () => {
    const laptop = lan.host("laptop").address;
    lanUrl = `http://${laptop}:${PORT}`;
    expect(banner).toContain(`On this network: ${lanUrl}`);
    expect(banner).toMatch(/[▀▄█]{10}/); // the terminal QR code
    expect(link).toMatch(new RegExp(`^${lanUrl.replace(/\./g, "\\.")}/m/[^/]+$`));
    expect(await textOf(alice.page, "dc-share")).toContain("On this network");
  });

  it("each follower's namespace finds the laptop over mDNS (`deckcast discover`)", async () => {
    const discovered = await Promise.all(
      FOLLOWERS.map(async (host) => {
        const child = lan.spawnIn(host, process.execPath, ["server/cli/bin.mjs", "discover", "--json", "--timeout", "3"], { cwd: REPO });
        let out = "";
        child.stdout!.on("data", (d: Buffer) => (out += d));
        const [code] = (await once(child, "exit")) as [number | null];
        return { host, code, found: code === 0 ? (JSON.parse(out) as { name: string; role: string; url: string }[]) : out };
      }),
    );
    for (const { host, code, found } of discovered) {
      expect(code, host).toBe(0);
      expect(found, `what ${host} discovered`).toEqual([expect.objectContaining({ role: "server", url: `${lanUrl}/` })]);
    }
  });

  it("followers open the plain-http LAN link (not a secure context), join as guests and hear the voice through the decoder worker", async () => {
    const code = link.split("/").at(-1)!;
    await alice.page.click("dc-mic button:has-text('Switch microphone on')");
    await alice.page.waitForSelector("dc-mic dc-level-meter").catch(async (e) => {
      throw new Error(`${(e as Error).message}\nmic: ${await textOf(alice.page, "dc-mic")}\nerrors: ${alice.errors.join("\n")}`);
    });
    for (const host of FOLLOWERS) {
      const browser = await lan.chromiumIn(host);
      const person = await browser.person(host);
      const workers: string[] = [];
      person.page.on("worker", (w) => workers.push(w.url()));
      requests.set(host, logRequests(person.page));
      followers.push({ host, browser, person, workers });
      await join(person.page, `${lanUrl}/m/${code}`, `Follower ${host}`);
      expect(await person.page.evaluate(() => ({ secure: isSecureContext, webCodecs: typeof AudioDecoder }))).toEqual({ secure: false, webCodecs: "undefined" });
      await person.page.click("dc-listen button:has-text('Tap to listen')");
      await person.page.waitForSelector("dc-listen input[type=range]");
      await listenForSound(person.page);
    }
    for (const f of followers) {
      await waitFor(async () => (await loudMoments(f.person.page)) >= 2, 20_000, `${f.host} to hear two beeps`);
      expect(f.workers.some((u) => u === `${lanUrl}/opus-recorder/decoderWorker.min.js`), `${f.host}'s workers: ${f.workers.join(", ")}`).toBe(true);
      const stats = await f.person.page.evaluate(() => (window as unknown as { __deckcast: { audio: { player: { stats: { chunks: number } } | null } } }).__deckcast.audio.player?.stats);
      expect(stats?.chunks).toBeGreaterThan(0);
    }
  });

  it("every follower gets the whole deck before it is needed: Deck ready offline", async () => {
    // P's prefetch (client-core/deck-prefetch.ts, <dc-deck-offline>) shows this in the meeting view.
    for (const f of followers) await f.person.page.waitForSelector("dc-deck-offline[data-deck-ready]", { state: "attached", timeout: 30_000 });
    for (const f of followers) expect(await textOf(f.person.page, "dc-deck-offline")).toContain("Deck ready offline");
  });

  it("every follower follows 20 page turns", async () => {
    let page = 1;
    for (let turn = 0; turn < TURNS; turn++) {
      // Forward to the last page, back to the first, and so on.
      const forward = Math.floor(turn / (PAGES - 1)) % 2 === 0;
      page += forward ? 1 : -1;
      await alice.page.keyboard.press(forward ? "ArrowRight" : "ArrowLeft");
      await waitForPage(alice.page, page);
      for (const f of followers) await waitForPage(f.person.page, page);
    }
    await screenshot(followers[0]!.person.page, "lan-offline-follower");
  });

  it("nothing was fetched from outside: every request of every page went to its own origin", () => {
    expect(offOrigin(aliceRequests, `http://localhost:${PORT}`)).toEqual([]);
    for (const [host, urls] of requests) {
      expect(urls.filter((u) => u.startsWith("ws://")).length, `${host}'s XMPP WebSocket`).toBeGreaterThan(0);
      expect(offOrigin(urls, lanUrl), host).toEqual([]);
    }
    for (const p of [alice, ...followers.map((f) => f.person)]) expect(p.errors, p.name).toEqual([]);
  });
});
