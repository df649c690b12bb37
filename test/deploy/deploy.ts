/**
 * `npm run test:deploy`: the two-service deployment (docker/), built and run with podman, and
 * used the way a browser does, through deckcast's HTTP port on 127.0.0.1 only (never a
 * container network's own address). The services are started FROM docker/compose.yaml itself
 * (test/deploy/compose.ts turns it into `podman run` flags; a key it does not understand fails
 * the test), so what is checked is the file operators use:
 *
 *   local Debian 12 + Node 20 bases (scripts/deploy-base.sh, cached) → both images built from
 *   compose's `build:` with BASE pointing at them → a user network with DNS (aardvark-dns),
 *   prosody started and waited for until its health check passes, then deckcast, which finds it
 *   by the name `prosody`; only deckcast's port is published, on 127.0.0.1 → an https reverse
 *   proxy in this process (tls-proxy.ts) in front of it, the way docker/README.md says →
 *   the presenter the prosody image created logs in over wss:// through the proxy, creates a
 *   meeting, uploads a generated PDF to the slot URL (through the proxy too); the same password
 *   over plain ws:// to the published port is refused `encryption-required` → two followers
 *   (guests, plain ws://) receive 50 bundles with audio, in order, while the deckcast container
 *   is restarted in the middle → the prosody container is restarted and /healthz says deckcast
 *   reconnected (by name again). Everything started is removed at the end (images stay cached).
 *
 * Prints one line per check and ends with "N passed, N failed" (what .ci/run adds up); exits 1
 * on any failure. Measures image sizes, build times and the time from `up` to the first meeting.
 */
import { randomBytes } from "node:crypto";
import { chmod, mkdtemp, rm, stat, writeFile } from "node:fs/promises";
import { request as httpsRequest } from "node:https";
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
import { loadCompose, planServices, type Plan } from "./compose.ts";
import { build, imageMb, podman, podmanQuiet, run, ULIMITS } from "./podman.ts";
import { startTlsProxy, type TlsProxy } from "./tls-proxy.ts";

/** The proxy's self-signed certificate, once made: every WebSocket the test opens trusts it. */
let proxyCa: Buffer | undefined;
/** @xmpp/websocket uses the global WebSocket (Node 20 has none without a flag): `ws`, trusting the proxy's certificate. */
class TrustingWebSocket extends WsWebSocket {
  constructor(url: string | URL, protocols?: string | string[]) {
    super(url, protocols, proxyCa ? { ca: proxyCa } : {});
  }
}
(globalThis as { WebSocket?: unknown }).WebSocket = TrustingWebSocket;

const ROOT = resolve(fileURLToPath(new URL("../..", import.meta.url)));
const RUN_ID = randomBytes(3).toString("hex");
/** The compose project: containers `<project>-<service>`, volumes `<project>_<volume>`, the network `<project>_default`. */
const PROJECT = `deckcast-deploy-${RUN_ID}`;
const NET = `${PROJECT}_default`;
const PROSODY_IMAGE = "localhost/deckcast-prosody:deploy-test";
const DECKCAST_IMAGE = "localhost/deckcast:deploy-test";
const XMPP_HOST = "localhost";
const PRESENTER = "presenter";
const PASSWORD = randomBytes(12).toString("hex");
const BUNDLES = 50;
/**
 * The topology, always reached on 127.0.0.1:
 * - "compose" (default, what .ci/run runs): docker/compose.yaml as it is, on its own bridge
 *   network; deckcast's 8080 published on 127.0.0.1:<free port>, the https proxy in front.
 * - "host" (DECKCAST_DEPLOY_NETWORK=host): compose.yaml + compose.host-network.yaml, both on
 *   the host's network, every listener on 127.0.0.1 (Prosody needs 5222, 5280, 5347 free).
 *   A presenter on this machine is loopback there, so the plain-ws refusal is not checked.
 */
const NETWORK = process.env.DECKCAST_DEPLOY_NETWORK === "host" ? "host" : "compose";
const COMPOSE_FILES = [join(ROOT, "docker/compose.yaml"), ...(NETWORK === "host" ? [join(ROOT, "docker/compose.host-network.yaml")] : [])];

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
let tmp = "";
let upAt = 0;
let proxy: TlsProxy | undefined;
/** Who deckcast trusts as its reverse proxy: the network's gateway as the container sees it (compose mode). */
let trusted = "";
let plan: Plan | undefined;
const IMAGES: Record<string, string> = { prosody: PROSODY_IMAGE, deckcast: DECKCAST_IMAGE };
const containers = { prosody: `${PROJECT}-prosody`, deckcast: `${PROJECT}-deckcast` };
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

/**
 * The container's own health check (compose.yaml's healthcheck:, run by `podman healthcheck
 * run`: without systemd podman runs none on its timer). Compose calls a container unhealthy
 * only after `retries` (3) failures in a row `interval` (10 s) apart, so that is what is
 * tried here; a failure says how long each run took and what the check printed (podman's
 * health log), so a loaded machine's timeout is told from a wrong answer.
 */
async function healthCheck(name: string, intervalMs = 10_000): Promise<string> {
  const runs: string[] = [];
  for (let i = 0; i < 3; i++) {
    if (i > 0) await new Promise((r) => setTimeout(r, intervalMs));
    const started = Date.now();
    const r = await podman(["healthcheck", "run", name]).then(
      () => null,
      (e: Error) => e.message,
    );
    if (r === null) return "healthy";
    runs.push(`${Date.now() - started} ms: ${r.trim().split("\n").at(-1) || "nothing"}`);
  }
  const log = await podman(["inspect", "--format", "{{json .State.Health.Log}}", name]).then(
    (r) => r.stdout.trim().slice(-1500),
    (e: Error) => e.message,
  );
  return `unhealthy (3 runs ${intervalMs / 1000} s apart: ${runs.join("; ")}; podman's health log: ${log})`;
}

async function logs(name: string): Promise<string> {
  const r = await podman(["logs", "--tail", "30", name]).catch((e: Error) => ({ stdout: "", stderr: e.message }));
  return `${r.stdout}\n${r.stderr}`.trim();
}

/** Both containers' last log lines, for a failure's message. */
async function bothLogs(): Promise<string> {
  return `--- prosody:\n${await logs(containers.prosody)}\n--- deckcast:\n${await logs(containers.deckcast)}`;
}

/** Resolves when 127.0.0.1:`p` can be bound (nothing else listens there). */
function portFree(p: number): Promise<boolean> {
  return new Promise((res) => {
    const s = createServer();
    s.once("error", () => res(false));
    s.listen(p, "127.0.0.1", () => s.close(() => res(true)));
  });
}

/** docker/compose.yaml (+ the host overlay) read with the values an operator's .env would give. */
function composePlan(env: Record<string, string>, secretFiles: Record<string, string> = {}): Plan {
  return planServices(loadCompose(COMPOSE_FILES, { DECKCAST_XMPP_HOST: XMPP_HOST, DECKCAST_PRESENTER_USER: PRESENTER, ...env }), {
    project: PROJECT,
    network: NET,
    secretFiles,
    hostPort: (service, containerPort) => {
      if (service === "deckcast" && containerPort === 8080) return port;
      throw new Error(`compose.yaml publishes ${service}'s ${containerPort}: the deploy test publishes only deckcast's 8080`);
    },
  });
}

/** Passes once `podman healthcheck run` (the compose file's health check) does. */
async function waitHealthy(container: string, ms: number): Promise<void> {
  await waitFor(`${container}'s health check`, ms, () => podman(["healthcheck", "run", container], { timeoutMs: 30_000 }).then(() => true)).catch(async (err: Error) => {
    throw new Error(`${err.message}\n--- ${container}:\n${await logs(container)}`);
  });
}

async function startContainers(bases: { DEBIAN_BASE: string; NODE_BASE: string }): Promise<string> {
  if (NETWORK === "host") {
    // Prosody's container ports are fixed (prosody/container-config.ts): on the host network they must be free.
    for (const p of [5222, 5280, 5347]) {
      if (!(await portFree(p))) throw new Error(`127.0.0.1:${p} is in use on this machine; the host-network mode needs 5222, 5280 and 5347`);
    }
  }
  tmp = await mkdtemp(join(tmpdir(), "deckcast-deploy-"));
  const secretFiles = { component_secret: join(tmp, "component_secret"), presenter_password: join(tmp, "presenter_password") };
  await writeFile(secretFiles.component_secret, `${randomBytes(24).toString("hex")}\n`);
  await writeFile(secretFiles.presenter_password, `${PASSWORD}\n`);
  // Bind-mounted files keep their mode: the containers' users (prosody, node) must read them.
  await chmod(secretFiles.component_secret, 0o644);
  await chmod(secretFiles.presenter_password, 0o644);
  port = await freePort();
  base = `http://127.0.0.1:${port}`;
  if (NETWORK === "compose") {
    await podman(["network", "create", NET]);
    const [net] = JSON.parse((await podman(["network", "inspect", NET])).stdout) as { dns_enabled?: boolean; subnets?: { gateway?: string }[] }[];
    trusted = net?.subnets?.[0]?.gateway ?? "";
    if (!trusted) throw new Error(`podman network inspect ${NET} names no gateway`);
    if (net?.dns_enabled !== true) throw new Error(`${NET} has no DNS: deckcast could not find prosody by name`);
  } else {
    trusted = "127.0.0.1";
  }
  proxy = await startTlsProxy({ dir: tmp, targetPort: port });
  proxyCa = proxy.cert;
  plan = composePlan(
    { DECKCAST_DEBIAN_BASE: bases.DEBIAN_BASE, DECKCAST_NODE_BASE: bases.NODE_BASE, DECKCAST_PUBLIC_URL: proxy.url, DECKCAST_TRUSTED_PROXIES: trusted, DECKCAST_HTTP_PORT: String(port) },
    secretFiles,
  );
  for (const s of plan.services) {
    if (!IMAGES[s.service]) throw new Error(`compose.yaml has a service "${s.service}" the deploy test builds no image for`);
    for (const p of s.published) if (p.hostIp !== "127.0.0.1") throw new Error(`compose.yaml publishes ${s.service}'s ${p.containerPort} on ${p.hostIp}, not 127.0.0.1`);
  }
  upAt = Date.now();
  for (const v of plan.volumes) await podman(["volume", "create", v]);
  const waits: string[] = [];
  for (const s of plan.services) {
    for (const d of s.dependsOn.filter((d) => d.healthy)) {
      const started = Date.now();
      await waitHealthy(`${PROJECT}-${d.service}`, 120_000);
      waits.push(`${s.service} waited ${((Date.now() - started) / 1000).toFixed(1)} s for ${d.service} to be healthy`);
    }
    await podman(["run", "-d", ...ULIMITS, ...s.args, IMAGES[s.service]!]);
  }
  return waits.join("; ");
}

/** GETs or PUTs through the https proxy, trusting its certificate; resolves with the status. */
function httpsSend(url: string, method: string, body?: Uint8Array): Promise<number> {
  return new Promise((res, rej) => {
    const req = httpsRequest(url, { method, ca: proxyCa, timeout: 60_000, headers: body ? { "content-length": String(body.length) } : {} }, (r) => {
      r.resume();
      r.on("end", () => res(r.statusCode ?? 0));
    });
    req.on("timeout", () => req.destroy(new Error(`${method} ${url} timed out`)));
    req.on("error", rej);
    req.end(body ? Buffer.from(body) : undefined);
  });
}

async function removeEverything(): Promise<string[]> {
  for (const c of xmppClients) {
    c.reconnect.stop();
    await c.stop().catch(() => undefined);
  }
  await proxy?.close();
  const mine = async (what: string[]) => ((await podman(what).catch(() => ({ stdout: "" }))).stdout.split("\n").filter((n) => n.startsWith(PROJECT)));
  const ps = ["ps", "-a", "--format", "{{.Names}}"];
  const vols = ["volume", "ls", "--format", "{{.Name}}"];
  const nets = ["network", "ls", "--format", "{{.Name}}"];
  // deckcast first (it depends on prosody), each given its compose stop_grace_period.
  for (const c of (await mine(ps)).sort((a, b) => (a.endsWith("-deckcast") ? -1 : b.endsWith("-deckcast") ? 1 : 0))) await podmanQuiet(["rm", "-f", "-t", "20", c]);
  for (const v of await mine(vols)) await podmanQuiet(["volume", "rm", "-f", v]);
  for (const n of await mine(nets)) await podmanQuiet(["network", "rm", "-f", n]);
  if (tmp) await rm(tmp, { recursive: true, force: true });
  const tmpLeft = tmp && (await stat(tmp).then(() => true, () => false)) ? [tmp] : [];
  return [...(await mine(ps)), ...(await mine(vols)), ...(await mine(nets)), ...tmpLeft];
}

// ---- XMPP through the published port, or through the https proxy ------------------------

async function connect(opts: { user?: string; password?: string; via?: "proxy" | "direct" }): Promise<Client> {
  const xmpp = client({
    service: opts.via === "proxy" ? `wss://127.0.0.1:${proxy!.port}/xmpp-websocket` : `ws://127.0.0.1:${port}/xmpp-websocket`,
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
  // The images are built the way compose's `build:` says (context, dockerfile, args with BASE
  // interpolated from DECKCAST_*_BASE), its ignore file next to the Dockerfile as BuildKit reads it.
  const buildPlan = () => composePlan({ DECKCAST_DEBIAN_BASE: bases.DEBIAN_BASE, DECKCAST_NODE_BASE: bases.NODE_BASE }, { component_secret: "-", presenter_password: "-" });
  for (const service of ["prosody", "deckcast"] as const) {
    await check(`the ${service} image builds from compose.yaml's build: (docker/Dockerfile.${service})`, async () => {
      const b = buildPlan().services.find((s) => s.service === service)?.build;
      if (!b) throw new Error(`compose.yaml's ${service} has no build:`);
      builds[service] = await build({ root: b.context, file: b.dockerfile, ignorefile: `${b.dockerfile}.dockerignore`, tag: IMAGES[service]!, buildArgs: b.args });
      return `${builds[service]!.seconds.toFixed(0)} s, ${builds[service]!.cached} steps cached, ${await imageMb(IMAGES[service]!)} MB`;
    });
  }

  try {
    await check(`both start from docker/compose.yaml (${NETWORK === "host" ? "+ compose.host-network.yaml, host network" : "own network, deckcast finds prosody by name, 8080 published on 127.0.0.1"}) and /healthz answers ok`, async () => {
      const waited = await startContainers(bases);
      const body = await waitFor("/healthz to answer 200", 180_000, healthy).catch(async (err: Error) => {
        throw new Error(`${err.message}\n${await bothLogs()}`);
      });
      const prosodyHc = await healthCheck(containers.prosody);
      const deckcastHc = await healthCheck(containers.deckcast);
      if (prosodyHc !== "healthy" || deckcastHc !== "healthy") {
        throw new Error(`image health checks: prosody ${prosodyHc}, deckcast ${deckcastHc}\n${await bothLogs()}`);
      }
      return `parts ${Object.keys(body.parts).join(", ")}; both compose health checks pass; ${waited}; deckcast trusts ${trusted} as its proxy`;
    });

    await check("the presenter the prosody image created logs in over wss:// through the https proxy and creates a meeting", async () => {
      presenterXmpp = await connect({ user: PRESENTER, password: PASSWORD, via: "proxy" });
      const res = await presenterXmpp.iqCaller.request(xml("iq", { type: "set", to: component }, xml("create", { xmlns: NS.deckcast }, xml("title", {}, "Deployed"))), 15_000);
      const m = res.getChild("meeting", NS.deckcast)!.attrs;
      meeting = { code: String(m.code), room: String(m.room), jid: String(m.jid) };
      const upToMeeting = (Date.now() - upAt) / 1000;
      notes.push(`time from the first podman command starting the services to the first meeting created: ${upToMeeting.toFixed(1)} s`);
      await new Follower(presenterXmpp, { room: meeting.room, meeting: meeting.jid, nick: "presenter" }).join();
      presenter = new PresenterSender(presenterXmpp, { meeting: meeting.jid, clock: () => 0 });
      return `meeting ${meeting.code}, ${upToMeeting.toFixed(1)} s after up`;
    });

    if (NETWORK === "compose") {
      await check("the presenter's password over plain ws:// to the published port is refused encryption-required", async () => {
        const x = client({
          service: `ws://127.0.0.1:${port}/xmpp-websocket`,
          domain: XMPP_HOST,
          resource: `deploy-plain-${randomBytes(3).toString("hex")}`,
          credentials: (auth: (c: object, mech: string) => Promise<void>) => auth({ username: PRESENTER, password: PASSWORD }, "PLAIN"),
        } as never);
        x.on("error", () => undefined);
        let timer: NodeJS.Timeout | undefined;
        try {
          const outcome = await Promise.race([
            x.start().then(() => "logged in", (err: Error & { condition?: string }) => err),
            new Promise<string>((res) => (timer = setTimeout(() => res("no answer within 20 s"), 20_000))),
          ]);
          if (typeof outcome === "string") throw new Error(`a password over plain ws:// from the bridge: ${outcome}`);
          if (outcome.condition !== "encryption-required") throw new Error(`refused, but with ${outcome.condition ?? outcome.message}, not encryption-required`);
        } finally {
          clearTimeout(timer);
          x.reconnect.stop();
          await x.stop().catch(() => undefined);
        }
        return "SASL failure <encryption-required/>";
      });
    }

    await check("a generated PDF uploads over XEP-0363 to the slot URL (through the https proxy) and converts", async () => {
      const pdf = makePdf(["Deployed one", "Deployed two", "Deployed three"], { title: "Deploy test" });
      const slotIq = await presenterXmpp.iqCaller.request(xml("iq", { type: "get", to: component }, xml("request", { xmlns: NS.upload, filename: "deploy.pdf", size: String(pdf.length) })), 15_000);
      const put = String(slotIq.getChild("slot", NS.upload)!.getChild("put")!.attrs.url);
      if (!put.startsWith(`${proxy!.url}/upload/`)) throw new Error(`the slot's PUT URL ${put} is not on ${proxy!.url} (DECKCAST_PUBLIC_URL)`);
      const ready = nextStanza(presenterXmpp, (el) => ["ready", "failed"].includes(String(el.getChild("deck-status", NS.deckcast)?.attrs.state)), 120_000);
      const status = await httpsSend(put, "PUT", new Uint8Array(pdf));
      if (status !== 201) throw new Error(`PUT answered ${status}`);
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
      const address = async () => (await podman(["inspect", "--format", "{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}", containers.prosody])).stdout.trim() || "the host's";
      const addressBefore = await address();
      await podman(["restart", "-t", "10", containers.prosody]);
      const after = await waitFor("/healthz to report the XMPP link back", 120_000, async () => {
        const h = await health();
        const x = h.body.parts.xmpp;
        return h.status === 200 && x && (x.reconnects ?? 0) > (before.reconnects ?? 0) && x.since !== before.since ? x : undefined;
      });
      // And the meeting goes on: the presenter and followers reconnect through deckcast.
      presenter.send([{ type: "page", t: 900_000, page: 1 }]);
      await presenter.flush();
      return `xmpp part: reconnects ${after.reconnects}, since ${after.since}; prosody's address ${addressBefore} → ${await address()}${NETWORK === "compose" ? ', reached by the name "prosody"' : ""}`;
    });
  } finally {
    const left = await removeEverything();
    await check("everything the test started is removed (containers, volumes, network, proxy, temp files)", async () => {
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
