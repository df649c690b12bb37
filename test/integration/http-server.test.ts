/**
 * The HTTP server as operators, browsers and uploaders meet it, over a real Prosody and the
 * real component: /api/meetings only for the operator token and only for this server's own
 * host names; security headers on every answer; /healthz part by part; and the upload
 * limits — pending slots per account (asked over XMPP), a body that goes silent, and the
 * size refusal's wording.
 */
import { createHash } from "node:crypto";
import { readdirSync } from "node:fs";
import { stat, readFile } from "node:fs/promises";
import net from "node:net";
import path from "node:path";
import xml, { type Element } from "@xmpp/xml";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { NS } from "../../protocol/namespaces.ts";
import { decodeError } from "../../protocol/stanza-error.ts";
import { setupDecks, type Decks } from "../../server/decks/setup.ts";
import { createHttpServer, type HttpServer } from "../../server/http/app.ts";
import { hostPolicy } from "../../server/http/hosts.ts";
import { mountMeetingsApi } from "../../server/http/meetings-api.ts";
import { ensureOperatorToken } from "../../server/http/operator.ts";
import { mountWebClient } from "../../server/http/web-client.ts";
import { ensureWebClientBuilt } from "../../web-client/build.ts";
import { makePdf } from "../support/decks-pdf.ts";
import { PASSWORD, startDeckcast, waitFor, type TestDeckcast } from "../support/deckcast.ts";
import { connectUser, type TestClient } from "../support/xmpp.ts";

const log = pino({ level: process.env.DECKCAST_TEST_LOG ?? "silent" });
let dc: TestDeckcast;
let http: HttpServer;
let decks: Decks;
let base: string;
let port: number;
let token: string;
let alice: TestClient;
let bob: TestClient;
let code: string;

/** A raw HTTP/1.1 request with any Host header (fetch does not let us set one). */
function rawGet(pathname: string, headers: Record<string, string>): Promise<{ status: number; headers: string; body: string }> {
  return new Promise((resolve, reject) => {
    const s = net.connect({ host: "127.0.0.1", port });
    let got = "";
    s.on("error", reject);
    s.on("data", (b) => (got += b.toString("utf8")));
    s.on("end", () => {
      const [head, ...rest] = got.split("\r\n\r\n");
      resolve({ status: Number(/^HTTP\/1\.1 (\d{3})/.exec(head ?? "")?.[1]), headers: head ?? "", body: rest.join("\r\n\r\n") });
    });
    s.write([`GET ${pathname} HTTP/1.1`, ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`), "Connection: close", "", ""].join("\r\n"));
  });
}

/** Alice asks the component for an upload slot over XMPP; resolves with the slot or the error. */
async function askSlot(who: TestClient, filename: string, size: number): Promise<{ put: string } | { code: string | undefined; text: string | undefined }> {
  try {
    const res: Element = await who.xmpp.iqCaller.request(xml("iq", { type: "get", to: dc.prosody.domains.component }, xml("request", { xmlns: NS.upload, filename, size: String(size) })));
    return { put: res.getChild("slot", NS.upload)!.getChild("put")!.attrs.url as string };
  } catch (err) {
    const el = (err as { element?: Element }).element;
    const e = el ? decodeError(el) : null;
    return { code: e?.code ?? undefined, text: e?.text ?? undefined };
  }
}

beforeAll(async () => {
  await ensureWebClientBuilt({ quiet: true });
  dc = await startDeckcast();
  http = createHttpServer({ log, hosts: hostPolicy({ publicUrl: "https://deck.example.org", boundHost: "127.0.0.1" }) });
  port = await http.listen(0, "127.0.0.1");
  base = `http://127.0.0.1:${port}`;
  decks = setupDecks(dc.component.link, { dataDir: dc.dataDir, publicUrl: base, accountDomain: dc.prosody.domains.accounts, secret: "test-secret", workers: 1, log });
  http.mount("/upload", decks.uploadRouter);
  http.mount("/decks", decks.deckRouter);
  mountWebClient(http, { domains: dc.prosody.domains });
  token = (await ensureOperatorToken(dc.dataDir)).token;
  mountMeetingsApi(http, { meetings: dc.component.meetings, operatorToken: token });
  http.health("component", () => ({ ok: dc.component.link.online }));
  alice = await connectUser(dc.prosody, "alice", PASSWORD);
  bob = await connectUser(dc.prosody, "bob", PASSWORD);
  const res = await alice.xmpp.iqCaller.request(xml("iq", { type: "set", to: dc.prosody.domains.component }, xml("create", { xmlns: NS.deckcast })));
  code = res.getChild("meeting", NS.deckcast)!.attrs.code as string;
}, 60_000);

afterAll(async () => {
  await alice?.stop();
  await bob?.stop();
  await http?.close();
  await decks?.stop();
  await dc?.stop();
});

describe("operators", () => {
  it("have a token in the data dir, readable by the server's account only, kept across starts", async () => {
    const file = path.join(dc.dataDir, "operator-token");
    expect(((await stat(file)).mode & 0o777).toString(8)).toBe("600");
    const text = (await readFile(file, "utf8")).trim();
    expect(text).toBe(token);
    expect(Buffer.from(text, "base64url")).toHaveLength(32);
    expect((await ensureOperatorToken(dc.dataDir)).token).toBe(token);
  });

  it("list live meetings with their join codes only to the token's holder", async () => {
    const none = await fetch(`${base}/api/meetings`);
    expect(none.status).toBe(401);
    expect(none.headers.get("www-authenticate")).toMatch(/^Bearer/);
    const noneBody = JSON.stringify(await none.json());
    expect(noneBody).toContain('"code":"operator-token-required"');
    expect(noneBody).not.toContain(code);

    // One character changed (to one it is not already: a token ending in "A" once made this the right one).
    const wrongToken = `${token.slice(0, -1)}${token.endsWith("A") ? "B" : "A"}`;
    const wrong = await fetch(`${base}/api/meetings`, { headers: { authorization: `Bearer ${wrongToken}` } });
    expect(wrong.status).toBe(401);
    expect(await wrong.json()).toMatchObject({ error: { code: "operator-token-invalid" } });

    const right = await fetch(`${base}/api/meetings`, { headers: { authorization: `Bearer ${token}` } });
    expect(right.status).toBe(200);
    const { meetings } = (await right.json()) as { meetings: { code: string }[] };
    expect(meetings.map((m) => m.code)).toContain(code);
  });

  it("are not answered on /api/* for a host name that is not this server's (DNS rebinding)", async () => {
    for (const host of ["evil.example", `evil.example:${port}`, "deck.example.org.evil.example"]) {
      const r = await rawGet("/api/meetings", { Host: host, Authorization: `Bearer ${token}` });
      expect(r.status, host).toBe(421);
      expect(r.body).toContain('"code":"wrong-host"');
      expect(r.body).not.toContain(code);
      expect((await rawGet("/api/config", { Host: host })).status, host).toBe(421);
    }
    for (const host of [`localhost:${port}`, `127.0.0.1:${port}`, "deck.example.org", `[::1]:${port}`]) {
      expect((await rawGet("/api/meetings", { Host: host, Authorization: `Bearer ${token}` })).status, host).toBe(200);
    }
    // No Host at all: Node refuses the request itself (400), and it never reaches the route.
    expect((await rawGet("/api/meetings", { Authorization: `Bearer ${token}` })).status).toBe(400);
  });
});

describe("security headers", () => {
  it("are on every answer: pages, assets, APIs, decks, uploads, errors", async () => {
    const index = await (await fetch(`${base}/`, { headers: { accept: "text/html" } })).text();
    const asset = /src="(\/assets\/[^"]+\.js)"/.exec(index)![1]!;
    for (const p of ["/", "/m/ABC123", asset, "/opus-recorder/decoderWorker.min.js", "/api/config", "/api/meetings", "/healthz", `/decks/${"0".repeat(64)}`, "/decks/pending/nope", "/upload/nope/status", "/nothing-here.txt"]) {
      const res = await fetch(`${base}${p}`, { headers: { accept: "text/html,*/*" } });
      expect(res.headers.get("content-security-policy"), p).toMatch(/default-src 'self'.*frame-ancestors 'none'/);
      expect(res.headers.get("x-frame-options"), p).toBe("DENY");
      expect(res.headers.get("x-content-type-options"), p).toBe("nosniff");
      expect(res.headers.get("referrer-policy"), p).toBe("no-referrer");
    }
  });
});

describe("/healthz", () => {
  it("is 200 with each part while all are ok, and 503 naming the part that is not", async () => {
    const up = await fetch(`${base}/healthz`);
    expect(up.status).toBe(200);
    expect(await up.json()).toEqual({ ok: true, parts: { http: { ok: true }, component: { ok: true } } });
    await dc.component.link.stop();
    try {
      const down = await fetch(`${base}/healthz`);
      expect(down.status).toBe(503);
      expect(await down.json()).toMatchObject({ ok: false, parts: { http: { ok: true }, component: { ok: false } } });
    } finally {
      await dc.component.link.start();
      await waitFor(() => dc.component.link.online, 15_000, "the component to reconnect");
    }
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
  });
});

describe("upload limits", () => {
  it("refuse a file over the size limit with exact sizes that cannot read the same", async () => {
    const max = 100 * 1024 * 1024;
    const r = await askSlot(alice, "huge.pptx", max + 1);
    expect(r).toEqual({ code: "upload-too-large", text: "The file is 104,857,601 bytes; the limit is 104,857,600 bytes (100 MiB)." });
  });

  it("give one account at most 10 pending slots and 500 MiB declared, refused with quota-exceeded; a used slot frees its place", async () => {
    const pdf = makePdf(["quota"]);
    const granted: string[] = [];
    for (let i = 0; i < 10; i++) {
      const r = await askSlot(alice, `deck-${i}.pdf`, pdf.length);
      expect(r, `slot ${i}`).toHaveProperty("put");
      granted.push((r as { put: string }).put);
    }
    const eleventh = await askSlot(alice, "one-more.pdf", pdf.length);
    expect(eleventh).toMatchObject({ code: "quota-exceeded" });
    expect((eleventh as { text: string }).text).toMatch(/10 uploads waiting; at most 10/);

    // Bob has his own allowance; declared bytes count as well as slots.
    const bobs = await Promise.all([1, 2, 3, 4, 5].map((i) => askSlot(bob, `b${i}.pptx`, 100 * 1024 * 1024)));
    expect(bobs.filter((b) => !("put" in b)), "slots refused").toEqual([]); // 500 MiB: exactly the limit
    const tooMuch = await askSlot(bob, "b6.pptx", 100 * 1024 * 1024);
    expect(tooMuch).toMatchObject({ code: "quota-exceeded" });
    expect((tooMuch as { text: string }).text).toContain("524,288,000 bytes (500 MiB)");
    expect(await askSlot(bob, "small.pdf", 1000)).toMatchObject({ code: "quota-exceeded" }); // not one byte more

    // Alice uploads with one of her slots: it is no longer pending, so she may ask again.
    const stored = await fetch(granted[0]!, { method: "PUT", body: new Uint8Array(pdf), headers: { "content-type": "application/pdf" } });
    expect(stored.status).toBe(201);
    expect(await askSlot(alice, "next.pdf", pdf.length)).toHaveProperty("put");
    expect(await askSlot(alice, "and-one-more.pdf", pdf.length)).toMatchObject({ code: "quota-exceeded" });
  });
});

describe("an upload body that goes silent", () => {
  it("is cut off after the idle timeout, keeps no partial file, and its slot can be used again", async () => {
    decks.slots.configure({ uploadIdleMs: 400, maxPending: 100 });
    const pdf = makePdf(["idle upload"]);
    const r = await askSlot(alice, "idle.pdf", pdf.length);
    const put = new URL((r as { put: string }).put);
    // Half the body, then silence.
    const s = net.connect({ host: "127.0.0.1", port });
    s.on("error", () => undefined);
    await new Promise<void>((res) => s.once("connect", () => res()));
    s.write([`PUT ${put.pathname}${put.search} HTTP/1.1`, `Host: 127.0.0.1:${port}`, `Content-Length: ${pdf.length}`, "Content-Type: application/pdf", "", ""].join("\r\n"));
    s.write(pdf.subarray(0, 100));
    await new Promise<void>((res, rej) => {
      const t = setTimeout(() => rej(new Error("the silent upload was not cut off")), 15_000);
      s.once("close", () => {
        clearTimeout(t);
        res();
      });
    });
    const slotId = put.pathname.split("/").pop()!;
    await waitFor(() => decks.slots.get(slotId)?.receiving === false, 5000, "the slot to be released");
    await waitFor(() => readdirSync(path.join(dc.dataDir, "uploads")).length === 0, 5000, "the partial file to be removed");
    // The same link works for the whole file.
    const again = await fetch(put, { method: "PUT", body: new Uint8Array(pdf), headers: { "content-type": "application/pdf" } });
    expect(again.status).toBe(201);
    expect(((await again.json()) as { sha256: string }).sha256).toBe(createHash("sha256").update(pdf).digest("hex"));
    decks.slots.configure({ uploadIdleMs: 30_000, maxPending: 10 });
  });
});
