/**
 * `npm run test:deploy`: the two-service deployment (docker/), built and run with podman, and
 * used the way a browser does, through deckcast's HTTP port on 127.0.0.1 only (never a
 * container network's own address):
 *
 *   local Debian 12 + Node 20 bases (scripts/deploy-base.sh, cached) → both images built with
 *   BASE pointing at them → one pod whose two containers share a loopback, where deckcast
 *   reaches Prosody (NETWORK below: the host's, or the pod's own with a published port) → the
 *   presenter the prosody image created logs in over /xmpp-websocket, creates a meeting, uploads a generated
 *   PDF (XEP-0363) → two followers receive 50 bundles with audio, in order, while the deckcast
 *   container is restarted in the middle → the prosody container is restarted and /healthz
 *   says deckcast reconnected. Everything started is removed at the end (images stay cached).
 *
 * Prints one line per check and ends with "N passed, N failed" (what .ci/run adds up); exits 1
 * on any failure. Measures image sizes, build times and the time from `up` to the first meeting.
 */
import { randomBytes } from "node:crypto";
import { chmod, mkdtemp, rm, writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { client, type Client } from "@xmpp/client";
import xml, { type Element } from "@xmpp/xml";
import { WebSocket as WsWebSocket } from "ws";
import { NS } from "../../protocol/namespaces.ts";
import { parsePages } from "../../protocol/ogg.ts";
import type { AudioChunk } from "../../protocol/types.ts";
import { Follower } from "../../client-core/follower.ts";
import { PresenterSender } from "../../client-core/presenter-sender.ts";
import { decodeWholeCharacters } from "../../server/component/utf8-chunks.ts";
import { makePdf } from "../support/decks-pdf.ts";
import { chunksOf, concat, syntheticRecording } from "../support/opus.ts";
import { build, imageMb, podman, podmanQuiet, run, ULIMITS } from "./podman.ts";

// @xmpp/websocket uses the global WebSocket, which Node 20 only has behind a flag.
(globalThis as { WebSocket?: unknown }).WebSocket ??= WsWebSocket;

const ROOT = resolve(fileURLToPath(new URL("../..", import.meta.url)));
const RUN_ID = randomBytes(3).toString("hex");
const POD = `deckcast-deploy-${RUN_ID}`;
const PROSODY_IMAGE = "localhost/deckcast-prosody:deploy-test";
const DECKCAST_IMAGE = "localhost/deckcast:deploy-test";
const XMPP_HOST = "localhost";
const PRESENTER = "presenter";
const PASSWORD = randomBytes(12).toString("hex");
const BUNDLES = 50;
/**
 * How the test reaches the pod, always on 127.0.0.1:
 * - "host" (default): the pod shares the host's network; deckcast listens on 127.0.0.1:<port>
 *   and Prosody on 127.0.0.1 only (DECKCAST_PROSODY_INTERFACES).
 * - "published": `podman pod create -p 127.0.0.1:<port>:8080`, the two sharing the pod's own
 *   loopback. podman's port forwarding hands deckcast the connection from the bridge's gateway
 *   (10.88.0.1), not from loopback, and deckcast's /xmpp-websocket proxy passes that address to
 *   Prosody without X-Forwarded-Proto: mod_auth_deckcast_token then refuses the presenter's
 *   password ("encryption-required"). This mode passes once that proxy forwards https-ness.
 */
const NETWORK = process.env.DECKCAST_DEPLOY_NETWORK === "published" ? "published" : "host";

// ---- checks and the closing line --------------------------------------------------------

const testStarted = Date.now();
let passed = 0;
let failed = 0;
let blocked: string | null = null;
const notes: string[] = [];

/** Runs one check; after a failure the later ones are not run and count as failed. */
async function check(name: string, fn: () => Promise<string | void>, { always = false } = {}): Promise<void> {
  if (blocked && !always) {
    failed++;
    console.log(`✗ ${name} (not run: "${blocked}" failed)`);
    return;
  }
  const started = Date.now();
  try {
    const detail = await fn();
    passed++;
    console.log(`✓ ${name} (${((Date.now() - started) / 1000).toFixed(1)} s)${detail ? `: ${detail}` : ""}`);
  } catch (err) {
    failed++;
    blocked ??= name;
    console.log(`✗ ${name}: ${(err as Error).stack ?? err}`);
  }
}

async function waitFor<T>(what: string, ms: number, probe: () => Promise<T | undefined | null | false> | T | undefined | null | false): Promise<T> {
  const deadline = Date.now() + ms;
  let last: unknown;
  for (;;) {
    try {
      const v = await probe();
      if (v) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${ms / 1000} s waiting for ${what}${last ? ` (last: ${(last as Error).message})` : ""}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const s = createServer();
    s.once("error", rej);
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address() as { port: number };
      s.close(() => res(port));
    });
  });
}

// ---- the deployment ------------------------------------------------------------------------

let port = 0;
let base = "";
let secrets = "";
let upAt = 0;
const volumes = { prosody: `${POD}-prosody-data`, deckcast: `${POD}-deckcast-data` };
const containers = { prosody: `${POD}-prosody`, deckcast: `${POD}-deckcast` };
const xmppClients: Client[] = [];

interface HealthReport {
  ok: boolean;
  parts: Record<string, { ok: boolean; reconnects?: number; since?: string | null; [k: string]: unknown }>;
}
async function health(): Promise<{ status: number; body: HealthReport }> {
  const res = await fetch(`${base}/healthz`, { signal: AbortSignal.timeout(5000) });
  return { status: res.status, body: (await res.json()) as HealthReport };
}
const healthy = async () => ((await health()).status === 200 ? (await health()).body : undefined);

async function logs(name: string): Promise<string> {
  const r = await podman(["logs", "--tail", "30", name]).catch((e: Error) => ({ stdout: "", stderr: e.message }));
  return `${r.stdout}\n${r.stderr}`.trim();
}

/** Resolves when 127.0.0.1:`p` can be bound (nothing else listens there). */
function portFree(p: number): Promise<boolean> {
  return new Promise((res) => {
    const s = createServer();
    s.once("error", () => res(false));
    s.listen(p, "127.0.0.1", () => s.close(() => res(true)));
  });
}

async function startContainers(): Promise<void> {
  if (NETWORK === "host") {
    // Prosody's container ports are fixed (prosody/container-config.ts): on the host network they must be free.
    for (const p of [5222, 5280, 5347]) {
      if (!(await portFree(p))) throw new Error(`127.0.0.1:${p} is in use on this machine; the host-network mode needs 5222, 5280 and 5347`);
    }
  }
  secrets = await mkdtemp(join(tmpdir(), "deckcast-deploy-"));
  const secretFile = join(secrets, "component_secret");
  const passwordFile = join(secrets, "presenter_password");
  await writeFile(secretFile, `${randomBytes(24).toString("hex")}\n`);
  await writeFile(passwordFile, `${PASSWORD}\n`);
  // Bind-mounted files keep their mode: the containers' users (prosody, node) must read them.
  await chmod(secretFile, 0o644);
  await chmod(passwordFile, 0o644);
  port = await freePort();
  base = `http://127.0.0.1:${port}`;
  upAt = Date.now();
  for (const v of Object.values(volumes)) await podman(["volume", "create", v]);
  await podman(["pod", "create", "--name", POD, ...(NETWORK === "host" ? ["--network", "host"] : ["-p", `127.0.0.1:${port}:8080`])]);
  // Host networking: every listener on 127.0.0.1, deckcast on the free port picked above.
  const local = NETWORK === "host" ? ["-e", "DECKCAST_PROSODY_INTERFACES=127.0.0.1"] : [];
  const http = NETWORK === "host" ? ["-e", "DECKCAST_HTTP_HOST=127.0.0.1", "-e", `DECKCAST_HTTP_PORT=${port}`] : [];
  await podman([
    "run", "-d", "--pod", POD, "--name", containers.prosody, ...ULIMITS, "--restart", "unless-stopped",
    "-v", `${volumes.prosody}:/var/lib/prosody`,
    "-v", `${secretFile}:/run/secrets/component_secret:ro`,
    "-v", `${passwordFile}:/run/secrets/presenter_password:ro`,
    "-e", `DECKCAST_XMPP_HOST=${XMPP_HOST}`,
    "-e", "DECKCAST_COMPONENT_SECRET_FILE=/run/secrets/component_secret",
    "-e", `DECKCAST_PRESENTER_USER=${PRESENTER}`,
    "-e", "DECKCAST_PRESENTER_PASSWORD_FILE=/run/secrets/presenter_password",
    ...local,
    PROSODY_IMAGE,
  ]);
  await podman([
    "run", "-d", "--pod", POD, "--name", containers.deckcast, ...ULIMITS, "--init", "--restart", "unless-stopped",
    "-v", `${volumes.deckcast}:/data`,
    "-v", `${secretFile}:/run/secrets/component_secret:ro`,
    "-e", "DECKCAST_XMPP_SERVER=external",
    "-e", "DECKCAST_XMPP_SERVER_HOST=127.0.0.1", // the shared loopback (the pod's, or the host's)
    "-e", `DECKCAST_XMPP_HOST=${XMPP_HOST}`,
    "-e", "DECKCAST_COMPONENT_SECRET_FILE=/run/secrets/component_secret",
    "-e", `DECKCAST_PUBLIC_URL=${base}`,
    ...http,
    DECKCAST_IMAGE,
  ]);
}

async function removeEverything(): Promise<string[]> {
  for (const c of xmppClients) {
    c.reconnect.stop();
    await c.stop().catch(() => undefined);
  }
  await podmanQuiet(["pod", "rm", "-f", "-t", "10", POD]);
  for (const v of Object.values(volumes)) await podmanQuiet(["volume", "rm", "-f", v]);
  if (secrets) await rm(secrets, { recursive: true, force: true });
  const left: string[] = [];
  const ps = await podman(["ps", "-a", "--format", "{{.Names}}"]).catch(() => ({ stdout: "" }));
  left.push(...ps.stdout.split("\n").filter((n) => n.startsWith(POD)));
  const vols = await podman(["volume", "ls", "--format", "{{.Name}}"]).catch(() => ({ stdout: "" }));
  left.push(...vols.stdout.split("\n").filter((n) => n.startsWith(POD)));
  const pods = await podman(["pod", "ls", "--format", "{{.Name}}"]).catch(() => ({ stdout: "" }));
  left.push(...pods.stdout.split("\n").filter((n) => n === POD));
  return left;
}

// ---- XMPP through the published port --------------------------------------------------------

async function connect(opts: { user?: string; password?: string }): Promise<Client> {
  const xmpp = client({
    service: `ws://127.0.0.1:${port}/xmpp-websocket`,
    domain: opts.user ? XMPP_HOST : `guest.${XMPP_HOST}`,
    resource: `deploy-${randomBytes(3).toString("hex")}`,
    ...(opts.user ? { credentials: (auth: (c: object, mech: string) => Promise<void>) => auth({ username: opts.user, password: opts.password }, "PLAIN") } : {}),
  } as never);
  decodeWholeCharacters(xmpp);
  xmpp.on("error", () => undefined); // drops are expected (restarts): @xmpp/client reconnects
  xmppClients.push(xmpp);
  await xmpp.start();
  await xmpp.send(xml("presence"));
  return xmpp;
}

function nextStanza(xmpp: Client, pred: (el: Element) => boolean, ms: number): Promise<Element> {
  return new Promise((res, rej) => {
    const timer = setTimeout(() => {
      xmpp.off("stanza", on);
      rej(new Error("timed out waiting for a stanza"));
    }, ms);
    const on = (el: Element) => {
      if (!pred(el)) return;
      clearTimeout(timer);
      xmpp.off("stanza", on);
      res(el);
    };
    xmpp.on("stanza", on);
  });
}

// ---- the run ---------------------------------------------------------------------------------

const component = `deckcast.${XMPP_HOST}`;
let presenterXmpp: Client;
let meeting: { code: string; room: string; jid: string };
let presenter: PresenterSender;
let deck: { id: string; pages: number; title: string };
const followers: { f: Follower; audio: Uint8Array[]; seqs: number[] }[] = [];
const chunks: AudioChunk[] = chunksOf(concat(syntheticRecording({ serial: 0x5eed, pages: BUNDLES })), 2000);
const sent: Uint8Array[] = [];

async function sendBundles(from: number, to: number): Promise<void> {
  for (let i = from; i < to; i++) {
    presenter.send([{ type: "page", t: chunks[i]!.t, page: 1 + (i % deck.pages) }], chunks[i]);
    sent.push(chunks[i]!.data);
    await presenter.flush(); // acknowledged: from here on it must never be lost
  }
}

/** A chunk's audio page body: the component may renumber pages (serial, sequence, CRC), never the packets. */
function audioPayload(chunk: Uint8Array): Buffer {
  const r = parsePages(chunk);
  if (!r.ok) throw new Error(`not Ogg: ${r.error.message}`);
  return Buffer.from(r.value.at(-1)!.body);
}

async function caughtUp(what: string): Promise<void> {
  await waitFor(what, 120_000, () => followers.every(({ audio }) => audio.length >= sent.length));
  for (const [i, { audio, seqs }] of followers.entries()) {
    const gaps = seqs.flatMap((s, k) => (k === 0 || s === seqs[k - 1]! + 1 ? [] : [`${seqs[k - 1]} → ${s}`]));
    if (gaps.length) throw new Error(`follower ${i}: bundles out of order or missing: ${gaps.join(", ")}`);
    if (audio.length !== sent.length) throw new Error(`follower ${i}: ${audio.length} audio chunks, expected ${sent.length}`);
    audio.forEach((a, k) => {
      if (Buffer.compare(audioPayload(a), audioPayload(sent[k]!)) !== 0) throw new Error(`follower ${i}: audio chunk ${k + 1} differs from what was sent`);
    });
  }
}

async function main(): Promise<void> {
  const builds: Record<string, { seconds: number; cached: number; steps: number }> = {};
  let bases = { DEBIAN_BASE: "", NODE_BASE: "" };

  await check("local Debian 12 and Node 20 bases (scripts/deploy-base.sh, cached)", async () => {
    const started = Date.now();
    const { stdout } = await run("bash", [join(ROOT, "scripts/deploy-base.sh")], { timeoutMs: 15 * 60_000 });
    for (const line of stdout.split("\n")) {
      const m = /^(DEBIAN_BASE|NODE_BASE)=(.+)$/.exec(line.trim());
      if (m) bases = { ...bases, [m[1]!]: m[2]! };
    }
    if (!bases.DEBIAN_BASE || !bases.NODE_BASE) throw new Error(`scripts/deploy-base.sh named no bases:\n${stdout}`);
    return `${bases.NODE_BASE} (${((Date.now() - started) / 1000).toFixed(0)} s)`;
  });
  await check("the prosody image builds from docker/Dockerfile.prosody", async () => {
    builds.prosody = await build({ root: ROOT, file: join(ROOT, "docker/Dockerfile.prosody"), ignorefile: join(ROOT, "docker/Dockerfile.prosody.dockerignore"), tag: PROSODY_IMAGE, buildArgs: { BASE: bases.DEBIAN_BASE, NODE_BASE: bases.NODE_BASE } });
    return `${builds.prosody.seconds.toFixed(0)} s, ${builds.prosody.cached} steps cached, ${await imageMb(PROSODY_IMAGE)} MB`;
  });
  await check("the deckcast image builds from docker/Dockerfile.deckcast", async () => {
    builds.deckcast = await build({ root: ROOT, file: join(ROOT, "docker/Dockerfile.deckcast"), ignorefile: join(ROOT, "docker/Dockerfile.deckcast.dockerignore"), tag: DECKCAST_IMAGE, buildArgs: { BASE: bases.NODE_BASE } });
    return `${builds.deckcast.seconds.toFixed(0)} s, ${builds.deckcast.cached} steps cached, ${await imageMb(DECKCAST_IMAGE)} MB`;
  });

  try {
    await check(`both start in one pod (${NETWORK === "host" ? "host network" : "port published"}) and /healthz answers ok on 127.0.0.1`, async () => {
      await startContainers();
      const body = await waitFor("/healthz to answer 200", 180_000, healthy).catch(async (err: Error) => {
        throw new Error(`${err.message}\n--- prosody:\n${await logs(containers.prosody)}\n--- deckcast:\n${await logs(containers.deckcast)}`);
      });
      const prosodyHc = await podman(["healthcheck", "run", containers.prosody]).then(() => "healthy", () => "unhealthy");
      const deckcastHc = await podman(["healthcheck", "run", containers.deckcast]).then(() => "healthy", () => "unhealthy");
      if (prosodyHc !== "healthy" || deckcastHc !== "healthy") throw new Error(`image health checks: prosody ${prosodyHc}, deckcast ${deckcastHc}`);
      return `parts ${Object.keys(body.parts).join(", ")}; both image health checks pass`;
    });

    await check("the presenter the prosody image created logs in over /xmpp-websocket and creates a meeting", async () => {
      presenterXmpp = await connect({ user: PRESENTER, password: PASSWORD });
      const res = await presenterXmpp.iqCaller.request(xml("iq", { type: "set", to: component }, xml("create", { xmlns: NS.deckcast }, xml("title", {}, "Deployed"))), 15_000);
      const m = res.getChild("meeting", NS.deckcast)!.attrs;
      meeting = { code: String(m.code), room: String(m.room), jid: String(m.jid) };
      const upToMeeting = (Date.now() - upAt) / 1000;
      notes.push(`time from up to the first meeting created: ${upToMeeting.toFixed(1)} s`);
      await new Follower(presenterXmpp, { room: meeting.room, meeting: meeting.jid, nick: "presenter" }).join();
      presenter = new PresenterSender(presenterXmpp, { meeting: meeting.jid, clock: () => 0 });
      return `meeting ${meeting.code}, ${upToMeeting.toFixed(1)} s after up`;
    });

    await check("a generated PDF uploads over XEP-0363 through deckcast's port and converts", async () => {
      const pdf = makePdf(["Deployed one", "Deployed two", "Deployed three"], { title: "Deploy test" });
      const slotIq = await presenterXmpp.iqCaller.request(xml("iq", { type: "get", to: component }, xml("request", { xmlns: NS.upload, filename: "deploy.pdf", size: String(pdf.length) })), 15_000);
      const put = String(slotIq.getChild("slot", NS.upload)!.getChild("put")!.attrs.url);
      if (!put.startsWith(`${base}/upload/`)) throw new Error(`the slot's PUT URL ${put} is not on ${base}`);
      const ready = nextStanza(presenterXmpp, (el) => ["ready", "failed"].includes(String(el.getChild("deck-status", NS.deckcast)?.attrs.state)), 120_000);
      const res = await fetch(put, { method: "PUT", body: new Uint8Array(pdf), headers: { "content-length": String(pdf.length) } });
      if (res.status !== 201) throw new Error(`PUT answered ${res.status}`);
      const st = (await ready).getChild("deck-status", NS.deckcast)!;
      if (st.attrs.state !== "ready") throw new Error(`deck ${st.attrs.state}: ${st.toString().slice(0, 300)}`);
      deck = { id: String(st.attrs.deck), pages: Number(st.attrs.pages), title: String(st.attrs.title ?? "") };
      if (deck.pages !== 3) throw new Error(`expected 3 pages, got ${deck.pages}`);
      presenter.send([{ type: "deck-open", t: 1000, deck }]);
      await presenter.flush();
      const img = await fetch(`${base}/decks/${deck.id}/pages/2.jpg?w=320`);
      if (img.status !== 200) throw new Error(`page image answered ${img.status}`);
      return `deck ${deck.id.slice(0, 12)}…, ${deck.pages} pages`;
    });

    await check(`two followers receive the first ${BUNDLES / 2} bundles with audio, in order`, async () => {
      for (const nick of ["fern", "gus"]) {
        const f = new Follower(await connect({}), { room: meeting.room, meeting: meeting.jid, nick });
        const entry = { f, audio: [] as Uint8Array[], seqs: [] as number[] };
        f.on("bundle", (b) => {
          entry.seqs.push(b.seq!);
          if (b.audio) entry.audio.push(b.audio.data);
        });
        await f.join();
        followers.push(entry);
      }
      await sendBundles(0, BUNDLES / 2);
      await caughtUp("the followers to get the first half");
    });

    await check("the deckcast container restarts mid-meeting: nothing acknowledged is lost, the followers catch up", async () => {
      await podman(["restart", "-t", "20", containers.deckcast]);
      await waitFor("deckcast's /healthz after its restart", 180_000, healthy);
      await sendBundles(BUNDLES / 2, BUNDLES);
      await caughtUp("the followers to catch up after deckcast's restart");
      // A late joiner loads the meeting from the restarted deckcast: the same state the followers built.
      const late = new Follower(await connect({}), { room: meeting.room, meeting: meeting.jid, nick: "late" });
      const state = await late.join();
      for (const [i, { f }] of followers.entries()) {
        if (JSON.stringify(state) !== JSON.stringify(f.state)) throw new Error(`follower ${i}'s state differs from a late joiner's after the restart`);
      }
      return `${sent.length} audio bundles at each follower, seqs without gaps; a late joiner's state matches`;
    });

    await check("the prosody container restarts: deckcast reconnects and /healthz says so", async () => {
      const before = (await health()).body.parts.xmpp;
      if (!before) throw new Error(`/healthz has no xmpp part: ${JSON.stringify((await health()).body)}`);
      await podman(["restart", "-t", "10", containers.prosody]);
      const after = await waitFor("/healthz to report the XMPP link back", 120_000, async () => {
        const h = await health();
        const x = h.body.parts.xmpp;
        return h.status === 200 && x && (x.reconnects ?? 0) > (before.reconnects ?? 0) && x.since !== before.since ? x : undefined;
      });
      // And the meeting goes on: the presenter and followers reconnect through deckcast.
      presenter.send([{ type: "page", t: 900_000, page: 1 }]);
      await presenter.flush();
      return `xmpp part: reconnects ${after.reconnects}, since ${after.since}`;
    });
  } finally {
    const left = await removeEverything();
    await check("everything the test started is removed (pod, containers, volumes)", async () => {
      if (left.length) throw new Error(`left behind: ${left.join(", ")}`);
    }, { always: true });
  }

  for (const [name, tag] of [["prosody", PROSODY_IMAGE], ["deckcast", DECKCAST_IMAGE]] as const) {
    const mb = await imageMb(tag).catch(() => NaN);
    const b = builds[name];
    notes.push(`${name} image: ${mb} MB` + (b ? `, built in ${b.seconds.toFixed(0)} s (${b.cached}/${b.steps} steps from the cache)` : ""));
  }
  notes.push(`the whole deploy test: ${((Date.now() - testStarted) / 1000).toFixed(0)} s`);
  for (const n of notes) console.log(`deploy: ${n}`);
}

await main().catch((err: Error) => {
  failed++;
  console.log(`✗ the deploy test itself: ${err.stack ?? err}`);
});
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
