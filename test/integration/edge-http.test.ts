/**
 * The edge (server/edge/) in front of a whole deckcast on loopback: its /api/config (the
 * upstream's domains, `edge.upstream`), deck images from its content-addressed cache fetched
 * from the upstream once per hash however many ask at once (and checked against the
 * upstream's manifest), other /decks and /api GETs passed through and never kept, /api/health,
 * and the XMPP WebSocket relayed to the upstream's (a guest logs in and joins through it).
 * The LAN parts (mDNS, many hosts, a shaped uplink) are test/e2e/lan-edge.test.ts.
 */
import { createHash } from "node:crypto";
import { mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { deckManifestUrl, readDeckManifest, type DeckManifest } from "../../protocol/deck-prefetch.ts";
import { deckInfoUrl, pageImageUrl, thumbUrl } from "../../protocol/deck-urls.ts";
import { xmppConnector } from "../../android-bridge/gateway/xmpp-connect.ts";
import { startEdge, type RunningEdge } from "../../server/edge/edge.ts";
import { startWebStack, type WebStack } from "../e2e/support/stack.ts";
import { makePdf } from "../support/decks-pdf.ts";

const log = pino({ level: process.env.DECKCAST_TEST_LOG ?? "silent" });
const sha = (b: Uint8Array) => createHash("sha256").update(b).digest("hex");

let stack: WebStack;
let edge: RunningEdge;
let dir: string;
let deck: string;
let edgeUrl: string;

beforeAll(async () => {
  stack = await startWebStack();
  dir = await mkdtemp(path.join(os.tmpdir(), "dc-edge-http-"));
  const pdf = path.join(dir, "deck.pdf");
  await writeFile(pdf, makePdf(["One", "Two", "Three", "Four"], { title: "Edge deck" }));
  const ingested = await stack.decks.service.ingest(pdf, { name: "deck.pdf" });
  if (!ingested.ok) throw new Error(ingested.error.message);
  deck = ingested.value.id;
  edge = await startEdge({ upstream: stack.url, lan: false, host: "127.0.0.1", port: 0, cacheDir: path.join(dir, "cache"), cacheBytes: 64 * 1024 * 1024, token: null, log });
  edgeUrl = `http://127.0.0.1:${edge.port}`;
}, 120_000);

afterAll(async () => {
  await edge?.stop();
  await stack?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

const bytesOf = async (url: string) => {
  const res = await fetch(url);
  return { status: res.status, from: res.headers.get("x-deckcast-edge"), type: res.headers.get("content-type"), bytes: new Uint8Array(await res.arrayBuffer()) };
};

describe("an edge in front of a deckcast server", () => {
  it("answers its own /api/config: the upstream's domains, edge.upstream set, no edges", async () => {
    const [mine, up] = await Promise.all([edgeUrl, stack.url].map(async (u) => (await fetch(`${u}/api/config`)).json() as Promise<Record<string, unknown>>));
    expect(mine).toMatchObject({ domains: up!.domains, websocketPath: "/xmpp-websocket", edge: { upstream: new URL(stack.url).origin }, edges: [], publicUrl: null });
    expect(up).toMatchObject({ edge: null, edges: [] });
  });

  it("serves page images from its cache: one upstream fetch per hash however many ask", async () => {
    const manifest = readDeckManifest(await (await fetch(stack.url + deckManifestUrl(deck, 640))).json(), { deck, width: 640 });
    expect(manifest.ok).toBe(true);
    const m = (manifest as { value: DeckManifest }).value;
    const url = edgeUrl + pageImageUrl(deck, 2, 640);
    const answers = await Promise.all(Array.from({ length: 6 }, () => bytesOf(url)));
    for (const a of answers) {
      expect(a.status).toBe(200);
      expect(a.type).toMatch(/^image\/jpeg/);
      expect(sha(a.bytes)).toBe(m.pages[1]!.sha256);
    }
    expect(edge.cache.stats().fetches).toBe(1);
    expect((await bytesOf(url)).from).toBe("cache");
    expect(await readdir(path.join(dir, "cache"))).toContain(m.pages[1]!.sha256);
    // Every other page and the thumbnails: once each.
    for (let p = 1; p <= 4; p++) {
      expect(sha((await bytesOf(edgeUrl + pageImageUrl(deck, p, 640))).bytes)).toBe(m.pages[p - 1]!.sha256);
      expect(sha((await bytesOf(edgeUrl + thumbUrl(deck, p))).bytes)).toBe(m.thumbs[p - 1]!.sha256);
    }
    expect(edge.cache.stats().fetches).toBe(8);
  });

  it("passes deck records and unknown decks through, never keeping them", async () => {
    const before = edge.cache.stats().blobs;
    const info = await fetch(edgeUrl + deckInfoUrl(deck));
    expect(info.status).toBe(200);
    expect(((await info.json()) as { id: string }).id).toBe(deck);
    const unknown = await fetch(`${edgeUrl}/decks/${"0".repeat(64)}/pages/1.jpg?w=640`);
    expect(unknown.status).toBe(404);
    expect(((await unknown.json()) as { error: { code: string } }).error.code).toBe("unknown-deck");
    const api = await fetch(`${edgeUrl}/api/meetings`);
    expect(api.status).toBe(401); // the upstream's answer: operators only
    expect(edge.cache.stats().blobs).toBe(before);
  });

  it("reports its health: upstream reachable, the cache's size", async () => {
    const res = await fetch(`${edgeUrl}/api/health`);
    expect(res.status).toBe(200);
    const h = (await res.json()) as { ok: boolean; upstream: { reachable: boolean }; cache: { blobs: number; bytes: number } };
    expect(h.ok).toBe(true);
    expect(h.upstream.reachable).toBe(true);
    expect(h.cache.blobs).toBe(8);
    expect(h.cache.bytes).toBeGreaterThan(0);
  });

  it("relays the XMPP WebSocket to the upstream's: a guest logs in through the edge", async () => {
    const config = (await (await fetch(`${edgeUrl}/api/config`)).json()) as { domains: { guests: string; accounts: string; muc: string; component: string } };
    const guest = await xmppConnector({ websocketUrl: `ws://127.0.0.1:${edge.port}/xmpp-websocket`, domains: config.domains }).guest();
    try {
      expect(guest.jid?.domain).toBe(config.domains.guests);
      expect(edge.wsProxy.openCount()).toBe(1);
    } finally {
      guest.reconnect.stop();
      await guest.stop().catch(() => undefined);
    }
  });
});
