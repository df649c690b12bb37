/**
 * GET /decks/<id>/manifest?w=: a real deck (a PDF through the real pipeline, pages rendered by
 * pdftoppm) answers with every page at the width and every thumbnail, each hash being that of
 * the exact bytes its URL serves; the hashes are kept beside the images (a torn hash file is
 * recomputed); the answer is immutable and readable cross-origin.
 */
import { createHash } from "node:crypto";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { deckManifestUrl, readDeckManifest } from "../../protocol/deck-prefetch.ts";
import { DeckService } from "../../server/decks/service.ts";
import { UploadTracker } from "../../server/decks/upload/status.ts";
import { createHttpServer, type HttpServer } from "../../server/http/app.ts";
import { createDeckRouter } from "../../server/http/deck-routes.ts";
import { makePdf } from "../support/decks-pdf.ts";

const log = pino({ level: process.env.DECKCAST_TEST_LOG ?? "silent" });
const sha256 = (b: Uint8Array) => createHash("sha256").update(b).digest("hex");
let dataDir: string;
let base: string;
let server: HttpServer;
let service: DeckService;
let deck: string;

beforeAll(async () => {
  dataDir = await mkdtemp(path.join(tmpdir(), "deckcast-manifest-"));
  service = new DeckService({ dataDir, workers: 1, lazyOffice: true, log });
  server = createHttpServer({ log });
  base = `http://127.0.0.1:${await server.listen(0)}`;
  server.mount("/decks", createDeckRouter({ service, tracker: new UploadTracker(() => undefined), log }));
  const file = path.join(dataDir, "talk.pdf");
  await writeFile(file, makePdf(["One", "Two", "Three"], { title: "Manifest" }));
  const made = await service.ingest(file);
  if (!made.ok) throw new Error(made.error.message);
  deck = made.value.id;
}, 60_000);

afterAll(async () => {
  await server?.close();
  await service?.stop();
  await rm(dataDir, { recursive: true, force: true });
});

describe("the deck manifest route", () => {
  it("lists every page and thumb with the hash of the bytes each URL serves", async () => {
    const res = await fetch(base + deckManifestUrl(deck, 700));
    expect(res.status).toBe(200);
    expect(res.headers.get("access-control-allow-origin")).toBe("*");
    expect(res.headers.get("cache-control")).toBe("public, max-age=31536000, immutable");
    const read = readDeckManifest(await res.json(), { deck, width: 700 });
    if (!read.ok) throw new Error(read.error.message);
    const m = read.value;
    expect(m.width).toBe(800);
    expect(m.pages.map((p) => p.page)).toEqual([1, 2, 3]);
    expect(m.thumbs.map((p) => p.page)).toEqual([1, 2, 3]);
    for (const e of [...m.pages, ...m.thumbs]) {
      const img = await fetch(base + e.url);
      expect(img.status).toBe(200);
      expect(img.headers.get("access-control-allow-origin")).toBe("*");
      const bytes = new Uint8Array(await img.arrayBuffer());
      expect(bytes.length).toBe(e.bytes);
      expect(sha256(bytes)).toBe(e.sha256);
    }
    expect(new Set(m.pages.map((p) => p.sha256)).size).toBe(3);
  }, 60_000);

  it("keeps each hash beside its image, and recomputes a torn or stale one", async () => {
    const first = readDeckManifest(await (await fetch(base + deckManifestUrl(deck, 1280))).json());
    if (!first.ok) throw new Error(first.error.message);
    const image = service.store.imagePath(deck, 1280, 2);
    const kept = await readFile(`${image}.sha256`, "utf8");
    expect(kept).toBe(`${first.value.pages[1]!.sha256} ${first.value.pages[1]!.bytes}\n`);
    await writeFile(`${image}.sha256`, kept.slice(0, 20)); // torn
    await writeFile(`${service.store.imagePath(deck, 1280, 3)}.sha256`, `${"00".repeat(32)} 5\n`); // another size: stale
    await rm(`${service.store.imagePath(deck, 240, 1)}.sha256`); // missing
    const again = readDeckManifest(await (await fetch(base + deckManifestUrl(deck, 1280))).json());
    expect(again).toEqual(first);
    expect(await readFile(`${image}.sha256`, "utf8")).toBe(kept);
  }, 60_000);

  it("answers an unknown deck with its stable code", async () => {
    const res = await fetch(base + deckManifestUrl("cd".repeat(32), 1280));
    expect(res.status).toBe(404);
    expect(res.headers.get("access-control-allow-origin")).toBe("*");
    expect(await res.json()).toMatchObject({ error: { code: "unknown-deck" } });
  });
});
