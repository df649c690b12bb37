/**
 * Upload and deck HTTP, as a presenter and a follower would use them: slots, PUT, status
 * messages, the content-addressed deck URLs and their caching, and every way a PUT can be
 * refused (expired or forged token, wrong size, reused slot, aborted upload).
 */
import { createHash } from "node:crypto";
import http from "node:http";
import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import xml, { type Element } from "@xmpp/xml";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import type { IqHandler } from "../../server/component/link.ts";
import { DeckService } from "../../server/decks/service.ts";
import { setupDecks, type Decks } from "../../server/decks/setup.ts";
import { NS } from "../../protocol/namespaces.ts";
import { SlotIssuer } from "../../server/decks/upload/slots.ts";
import { parseDeckStatus, UploadTracker, type UploadStatus } from "../../server/decks/upload/status.ts";
import { createHttpServer, type HttpServer } from "../../server/http/app.ts";
import { createDeckRouter } from "../../server/http/deck-routes.ts";
import { createUploadRouter } from "../../server/http/upload-routes.ts";
import { makeExe, makeImage } from "../support/decks-files.ts";
import { needFixtures } from "../support/fixtures.ts";
import { makePdf } from "../support/decks-pdf.ts";
import { withZipComment } from "../support/decks-zip.ts";

const log = pino({ level: process.env.DECKCAST_TEST_LOG ?? "silent" });
const ALICE = "alice@localhost/web";
const clock = { now: Date.now() };
const tables = needFixtures("decks/tbl-cell.pptx");
let dataDir: string;
let base: string;
let server: HttpServer;
let service: DeckService;
let slots: SlotIssuer;
const told: { jid: string; status: UploadStatus }[] = [];

const sha256 = (b: Buffer) => createHash("sha256").update(b).digest("hex");
const toldAbout = (slot: string) => told.filter((t) => t.status.slot === slot).map((t) => t.status);

async function put(url: string, body: Buffer, headers: Record<string, string> = {}) {
  return fetch(url, { method: "PUT", body: new Uint8Array(body), headers: { "content-type": "application/octet-stream", ...headers } });
}

/** Alice asks for a slot and uploads `bytes`; resolves with the 201 body once the deck is ready or failed. */
async function upload(bytes: Buffer, filename: string): Promise<{ slot: string; sha256: string; final: UploadStatus }> {
  const slot = slots.issueSlot({ jid: ALICE, filename, size: bytes.length });
  const res = await put(slot.putUrl, bytes);
  expect(res.status).toBe(201);
  const body = (await res.json()) as { slot: string; sha256: string };
  const final = await vi.waitFor(() => {
    const s = toldAbout(slot.id).at(-1);
    if (!s || (s.state !== "ready" && s.state !== "failed")) throw new Error("not yet");
    return s;
  }, { timeout: 30_000, interval: 20 });
  return { ...body, final };
}

async function uploadsLeft(): Promise<string[]> {
  return readdir(path.join(dataDir, "uploads")).catch(() => []);
}

beforeAll(async () => {
  dataDir = await mkdtemp(path.join(tmpdir(), "deckcast-http-"));
  service = new DeckService({ dataDir, workers: 1, log });
  server = createHttpServer({ log });
  const port = await server.listen(0);
  base = `http://127.0.0.1:${port}`;
  slots = new SlotIssuer({ secret: "test-secret", publicUrl: base, ttlMs: 60_000, now: () => clock.now });
  const tracker = new UploadTracker((jid, status) => told.push({ jid, status }));
  server.mount("/upload", createUploadRouter({ slots, service, tracker, uploadDir: path.join(dataDir, "uploads"), log }));
  server.mount("/decks", createDeckRouter({ service, tracker, log }));
});

afterAll(async () => {
  await server?.close();
  await service?.stop();
  await rm(dataDir, { recursive: true, force: true });
});

describe("a presenter uploads, followers fetch", () => {
  const pdf = makePdf(["Welcome\nto the talk", "Second slide"], { title: "Upload test" });
  let deck: string;

  it("Alice PUTs a PDF: 201 at once, then uploaded → converting → ready with the page count", async () => {
    const r = await upload(pdf, "talk.pdf");
    expect(r.sha256).toBe(sha256(pdf));
    deck = r.sha256;
    expect(r.final).toMatchObject({ state: "ready", deck, pages: 2, title: "Upload test" });
    const states = toldAbout(r.slot).map((s) => s.state);
    expect(states[0]).toBe("uploaded");
    expect(states).toContain("converting");
    expect(told.filter((t) => t.status.slot === r.slot && t.jid !== ALICE), "statuses told to anyone but Alice").toEqual([]);
    const status = await (await fetch(`${base}/upload/${r.slot}/status`)).json();
    expect(status).toMatchObject({ state: "ready", deck, pages: 2 });
    const pending = await fetch(`${base}/decks/pending/${r.slot}`, { redirect: "manual" });
    expect(pending.status).toBe(303);
    expect(pending.headers.get("location")).toBe(`/decks/${deck}`);
    expect(await uploadsLeft()).toEqual([]);
  });

  it("Bob fetches the record, the PDF and page images, cacheable forever", async () => {
    const rec = await fetch(`${base}/decks/${deck}`);
    expect(rec.status).toBe(200);
    expect(rec.headers.get("cache-control")).toBe("public, max-age=31536000, immutable");
    const record = (await rec.json()) as Record<string, unknown>;
    expect(record).toMatchObject({ id: deck, sourceType: "pdf", pages: 2, title: "Upload test", pageSizes: [{ width: 720, height: 405 }, { width: 720, height: 405 }] });
    expect(record.text).toBeUndefined();
    const withText = (await (await fetch(`${base}/decks/${deck}?text=1`)).json()) as { text: string[] };
    expect(withText.text[0]).toContain("Welcome");

    const file = await fetch(`${base}/decks/${deck}/deck.pdf`);
    expect(file.headers.get("content-type")).toBe("application/pdf");
    const etag = file.headers.get("etag")!;
    expect(etag).toBe(`"${deck}"`);
    expect(Buffer.from(await file.arrayBuffer())).toEqual(pdf);
    expect((await fetch(`${base}/decks/${deck}/deck.pdf`, { headers: { "if-none-match": etag } })).status).toBe(304);

    const { loadImage } = await import("@napi-rs/canvas");
    const page = await fetch(`${base}/decks/${deck}/pages/2.jpg?w=300`);
    expect(page.headers.get("content-type")).toBe("image/jpeg");
    expect(page.headers.get("cache-control")).toContain("immutable");
    expect((await loadImage(Buffer.from(await page.arrayBuffer()))).width).toBe(320);
    const thumb = await fetch(`${base}/decks/${deck}/thumbs/1.jpg`);
    expect((await loadImage(Buffer.from(await thumb.arrayBuffer()))).width).toBe(240);
    expect((await fetch(`${base}/decks/${deck}/pages/3.jpg`)).status).toBe(400);
    expect((await fetch(`${base}/decks/${deck}/pages/x.png`)).status).toBe(400);
  });

  // What "at once" means here is "nothing was converted": how fast a cache hit is, over HTTP,
  // `npm run bench -- convert` measures (its "cache" row).
  it("the same file again is ready at once, without converting", async () => {
    const record = service.get(deck);
    const stored = await readdir(path.join(dataDir, "decks"));
    const r = await upload(pdf, "again.pdf");
    expect(toldAbout(r.slot).map((s) => s.state)).toEqual(["uploaded", "ready"]);
    expect(r.final).toMatchObject({ deck, pages: 2 });
    expect(service.get(deck), "the stored record, not a rebuilt one").toEqual(record);
    expect(await readdir(path.join(dataDir, "decks")), "no deck added or staged").toEqual(stored);
    expect(await uploadsLeft()).toEqual([]);
  });

  it("an image upload becomes a one-page deck", async () => {
    const r = await upload(await makeImage("png", 320, 180), "diagram.png");
    expect(r.final).toMatchObject({ state: "ready", pages: 1, title: "diagram" });
  });

  it.skipIf(tables.skip)(`a PPTX goes through LibreOffice${tables.note}`, async () => {
    const pptx = withZipComment(await readFile(tables.paths[0]!), "http");
    const r = await upload(pptx, "tables.pptx");
    expect(r.final).toMatchObject({ state: "ready", pages: 3 });
  });

  it("unknown and malformed deck ids are 404 with a JSON error, never a file", async () => {
    for (const p of [`/decks/${"0".repeat(64)}`, "/decks/..%2F..%2Fetc%2Fpasswd", `/decks/${"0".repeat(64)}/deck.pdf`,
      "/decks/..%2F..%2Fetc%2Fpasswd/deck.pdf", `/decks/${deck.toUpperCase()}/deck.pdf`, `/decks/${deck}/deck.json`, `/decks/${deck}/source.pdf`]) {
      const res = await fetch(`${base}${p}`);
      expect(res.status, p).toBe(404);
      expect(await res.json()).toMatchObject({ error: { code: "unknown-deck" } });
    }
    // Dot segments are resolved before routing: this one never reaches the deck routes.
    expect((await fetch(`${base}/decks/%2e%2e/%2e%2e/deck.pdf`)).status).toBe(404);
  });
});

describe("refused uploads leave nothing behind", () => {
  const bytes = makePdf(["refused"]);

  it("a renamed program is stored, then fails with unknown-type, and no deck appears", async () => {
    const decksBefore = await readdir(path.join(dataDir, "decks"));
    const r = await upload(makeExe(), "slides.pptx");
    expect(r.final).toMatchObject({ state: "failed", code: "unknown-type" });
    const pending = await fetch(`${base}/decks/pending/${r.slot}`);
    expect(pending.status).toBe(415);
    expect(await pending.json()).toMatchObject({ error: { code: "unknown-type" } });
    expect(await readdir(path.join(dataDir, "decks"))).toEqual(decksBefore);
    expect(await uploadsLeft()).toEqual([]);
  });

  it("an expired token: 403 token-expired", async () => {
    const slot = slots.issueSlot({ jid: ALICE, filename: "late.pdf", size: bytes.length });
    clock.now += 60_001;
    try {
      const res = await put(slot.putUrl, bytes);
      expect(res.status).toBe(403);
      expect(await res.json()).toMatchObject({ error: { code: "token-expired" } });
    } finally {
      clock.now -= 60_001;
    }
  });

  it("a forged token and an unknown slot: 403 token-invalid", async () => {
    const slot = slots.issueSlot({ jid: ALICE, filename: "x.pdf", size: bytes.length });
    const forged = slot.putUrl.replace(/token=([^&]*)/, (_m, t: string) => `token=${t.slice(0, -3)}abc`);
    for (const url of [forged, `${base}/upload/${"A".repeat(22)}?token=${encodeURIComponent(slot.token)}`, `${base}/upload/${slot.id}`]) {
      const res = await put(url, bytes);
      expect(res.status).toBe(403);
      expect(await res.json()).toMatchObject({ error: { code: "token-invalid" } });
    }
  });

  it("a size other than declared: 400 size-mismatch; a used slot: 409 slot-used", async () => {
    const slot = slots.issueSlot({ jid: ALICE, filename: "x.pdf", size: bytes.length + 1 });
    expect((await put(slot.putUrl, bytes)).status).toBe(400);
    const good = slots.issueSlot({ jid: ALICE, filename: "x.pdf", size: bytes.length });
    expect((await put(good.putUrl, bytes)).status).toBe(201);
    const again = await put(good.putUrl, bytes);
    expect(again.status).toBe(409);
    expect(await again.json()).toMatchObject({ error: { code: "slot-used" } });
  });

  it("an aborted upload keeps no partial file and the slot can be used again", async () => {
    const big = Buffer.alloc(4 * 1024 * 1024, 7);
    const slot = slots.issueSlot({ jid: ALICE, filename: "big.pdf", size: big.length });
    const req = http.request(slot.putUrl, { method: "PUT", headers: { "content-length": String(big.length) } });
    req.on("error", () => undefined); // the abort below makes the client side fail: expected
    req.write(big.subarray(0, 1024 * 1024));
    await vi.waitFor(() => expect(slots.get(slot.id)?.receiving).toBe(true), { timeout: 5000 });
    req.destroy();
    await vi.waitFor(async () => {
      expect(slots.get(slot.id)?.receiving).toBe(false);
      expect(await uploadsLeft()).toEqual([]);
    }, { timeout: 5000 });
    expect(toldAbout(slot.id)).toEqual([]);
    const pdf = makePdf(["after abort"]);
    const retry = slots.issueSlot({ jid: ALICE, filename: "x.pdf", size: pdf.length });
    expect((await put(retry.putUrl, pdf)).status).toBe(201);
    expect((await put(slot.putUrl, big)).status).toBe(201);
  });
});

describe("setupDecks wires the slot IQ and the status messages to the component link", () => {
  let decks: Decks;
  let iq: IqHandler | undefined;
  const sent: Element[] = [];
  let wired: HttpServer;
  let wiredBase: string;
  let wiredDir: string;

  beforeAll(async () => {
    wiredDir = await mkdtemp(path.join(tmpdir(), "deckcast-setup-"));
    wired = createHttpServer({ log });
    wiredBase = `http://127.0.0.1:${await wired.listen(0)}`;
    const link = {
      domain: "deckcast.localhost",
      async send(el: Element) {
        sent.push(el);
      },
      onIq(type: "get" | "set", ns: string, name: string, handler: IqHandler) {
        if (type === "get" && ns === NS.upload && name === "request") iq = handler;
      },
    };
    decks = setupDecks(link, { dataDir: wiredDir, publicUrl: wiredBase, accountDomain: "localhost", secret: "s", workers: 1, log });
    wired.mount("/upload", decks.uploadRouter);
    wired.mount("/decks", decks.deckRouter);
  });

  afterAll(async () => {
    await wired?.close();
    await decks?.stop();
    await rm(wiredDir, { recursive: true, force: true });
  });

  it("Alice asks the component for a slot, uploads, and hears 'ready' over XMPP", async () => {
    const pdf = makePdf(["Wired deck"]);
    const element = xml("request", { xmlns: NS.upload, filename: "wired.pdf", size: String(pdf.length) });
    const slot = (await iq!({ from: ALICE, to: "deckcast.localhost", local: "", element, stanza: xml("iq", { type: "get" }, element) }))!;
    const putUrl = slot.getChild("put")!.attrs.url as string;
    expect(putUrl.startsWith(`${wiredBase}/upload/`)).toBe(true);
    expect((await put(putUrl, pdf)).status).toBe(201);
    const ready = await vi.waitFor(() => {
      const s = sent.map(parseDeckStatus).find((x) => x?.state === "ready");
      if (!s) throw new Error("not yet");
      return s;
    }, { timeout: 30_000 });
    expect(ready).toMatchObject({ deck: sha256(pdf), pages: 1, title: "wired" }); // the file name, before the first line
    expect(sent[0]!.attrs).toMatchObject({ to: ALICE, from: "deckcast.localhost", type: "normal" });
    expect((await fetch(`${wiredBase}/decks/${sha256(pdf)}/deck.pdf`)).status).toBe(200);
  });
});
