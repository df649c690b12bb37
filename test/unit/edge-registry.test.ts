/**
 * The central server's edge registry: the registration checker against hostile bodies
 * (protocol/edge-registry.ts), the registry's expiry on an injected clock and its bound, and
 * POST /api/edges + /api/config over a real HTTP server on loopback (server/http/edge-registry.ts,
 * web-client.ts): operator token required, stable codes, `edges` only for the same address.
 */
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EDGE_REGISTRY, isLanHost, readEdgeRegistration } from "../../protocol/edge-registry.ts";
import { readEdgeFields } from "../../protocol/client-config.ts";
import { trustedProxies } from "../../server/http/trusted-proxies.ts";
import { createHttpServer, type HttpServer } from "../../server/http/app.ts";
import { createEdgeRegistry, mountEdgeRegistry } from "../../server/http/edge-registry.ts";
import { mountWebClient } from "../../server/http/web-client.ts";

const log = pino({ level: "silent" });

describe("an edge registration body", () => {
  it("accepts up to four LAN base URLs, deduplicated to their origins", () => {
    const r = readEdgeRegistration({ urls: ["http://192.168.1.20:8081", "http://192.168.1.20:8081/", "https://10.0.0.5", "http://edge.local:8081", "http://[fd00::5]:8081"] });
    expect(r.ok).toBe(false); // five entries
    const ok = readEdgeRegistration({ urls: ["http://192.168.1.20:8081", "http://192.168.1.20:8081/", "https://10.0.0.5", "http://[fd12::5]:8081"] });
    expect(ok).toEqual({ ok: true, value: { urls: ["http://192.168.1.20:8081", "https://10.0.0.5", "http://[fd12::5]:8081"] } });
  });

  it("refuses hostile bodies with one stable code", () => {
    const long = `http://10.0.0.1:8081/${"a".repeat(EDGE_REGISTRY.maxUrlChars)}`;
    const bodies: unknown[] = [
      null, 7, "http://10.0.0.1", [], {}, { urls: "http://10.0.0.1" }, { urls: [1] }, { urls: [""] }, { urls: [long] },
      { urls: ["http://10.0.0.1", "http://10.0.0.2", "http://10.0.0.3", "http://10.0.0.4", "http://10.0.0.5"] },
      { urls: ["javascript:alert(1)"] }, { urls: ["ftp://10.0.0.1"] }, { urls: ["file:///etc/passwd"] },
      { urls: ["http://evil.example.org"] }, { urls: ["http://8.8.8.8"] }, { urls: ["http://127.0.0.1:8081"] }, { urls: ["http://localhost:8081"] },
      { urls: ["http://172.32.0.1"] }, { urls: ["http://[2001:db8::1]"] }, { urls: ["http://[::1]"] }, { urls: ["http://169.254.1.1"] },
      { urls: ["http://user:pw@10.0.0.1"] }, { urls: ["http://10.0.0.1/x"] }, { urls: ["http://10.0.0.1/?q=1"] }, { urls: ["http://10.0.0.1/#f"] },
      { urls: ["http://local"] }, { urls: ["http://x.local.evil.org"] }, { urls: ["not a url"] },
      JSON.parse('{"__proto__": {"urls": ["http://10.0.0.1"]}}'),
    ];
    for (const b of bodies) {
      const r = readEdgeRegistration(b);
      expect(r.ok, JSON.stringify(b)).toBe(false);
      if (!r.ok) expect(r.error.code).toBe("bad-request");
    }
  });

  it("knows private hosts", () => {
    for (const h of ["10.1.2.3", "172.16.0.1", "172.31.255.255", "192.168.0.1", "100.64.0.1", "fd00::1", "[fc00::1]", "office-edge.local", "a.b.local"]) expect(isLanHost(h), h).toBe(true);
    for (const h of ["11.0.0.1", "172.15.0.1", "192.169.0.1", "127.0.0.1", "999.1.1.1", "::1", "fe80::1", "2001:db8::1", "example.org", "local", "-x.local"]) expect(isLanHost(h), h).toBe(false);
  });

  it("a client reads edge fields from any server, checked", () => {
    expect(readEdgeFields({})).toEqual({ edge: null, edges: [] });
    expect(readEdgeFields({ edge: { upstream: "https://cloud.example/" }, edges: ["http://10.0.0.1:8081", 5, "javascript:x"] })).toEqual({ edge: { upstream: "https://cloud.example" }, edges: ["http://10.0.0.1:8081"] });
    expect(readEdgeFields({ edge: { upstream: "javascript:alert(1)" }, edges: "x" })).toEqual({ edge: null, edges: [] });
  });
});

describe("the edge registry", () => {
  it("forgets a registration 90 s after it was made, and a re-registration renews it", () => {
    let t = 0;
    const reg = createEdgeRegistry({ now: () => t });
    reg.register("203.0.113.7", ["http://192.168.1.20:8081"]);
    expect(reg.forAddress("::ffff:203.0.113.7")).toEqual(["http://192.168.1.20:8081"]);
    expect(reg.forAddress("203.0.113.8")).toEqual([]);
    t = 60_000;
    reg.register("203.0.113.7", ["http://192.168.1.21:8081"]);
    t = 120_000;
    expect(reg.forAddress("203.0.113.7")).toEqual(["http://192.168.1.21:8081"]);
    t = 150_000;
    expect(reg.forAddress("203.0.113.7")).toEqual([]);
    expect(reg.size()).toBe(0);
  });

  it("holds a bounded number of addresses, dropping the oldest", () => {
    const reg = createEdgeRegistry({ maxAddresses: 3 });
    for (const a of ["1.1.1.1", "1.1.1.2", "1.1.1.3", "1.1.1.4"]) reg.register(a, ["http://10.0.0.1"]);
    expect(reg.size()).toBe(3);
    expect(reg.forAddress("1.1.1.1")).toEqual([]);
    expect(reg.forAddress("1.1.1.4")).toEqual(["http://10.0.0.1"]);
  });
});

describe("POST /api/edges and /api/config", () => {
  const token = "t".repeat(43);
  let http: HttpServer;
  let base: string;
  beforeAll(async () => {
    http = createHttpServer({ log });
    const registry = createEdgeRegistry();
    mountWebClient(http, { domains: { accounts: "a", guests: "g", muc: "m", component: "c" }, edgesFor: (a) => registry.forAddress(a) });
    mountEdgeRegistry(http, { registry, operatorToken: token, log });
    base = `http://127.0.0.1:${await http.listen(0)}`;
  });
  afterAll(() => http.close());

  const post = (body: string, auth: string | null = `Bearer ${token}`) =>
    fetch(`${base}/api/edges`, { method: "POST", headers: { "content-type": "application/json", ...(auth ? { authorization: auth } : {}) }, body });
  const config = async () => (await (await fetch(`${base}/api/config`)).json()) as { edge: unknown; edges: string[] };

  it("answers edge null and no edges before any registration", async () => {
    expect(await config()).toMatchObject({ edge: null, edges: [] });
  });

  it("refuses without the operator token, or with another", async () => {
    const body = JSON.stringify({ urls: ["http://192.168.1.20:8081"] });
    const none = await post(body, null);
    expect(none.status).toBe(401);
    expect(((await none.json()) as { error: { code: string } }).error.code).toBe("operator-token-required");
    const wrong = await post(body, `Bearer ${"x".repeat(43)}`);
    expect(((await wrong.json()) as { error: { code: string } }).error.code).toBe("operator-token-invalid");
    expect((await config()).edges).toEqual([]);
  });

  it("refuses hostile bodies by code without echoing them", async () => {
    for (const [body, status, code] of [
      ["{not json", 400, "bad-request"],
      [JSON.stringify({ urls: ["http://<script>.example"] }), 400, "bad-request"],
      [JSON.stringify({ urls: ["http://8.8.8.8:80"] }), 400, "bad-request"],
      [JSON.stringify({ urls: ["http://10.0.0.1"], pad: "x".repeat(5000) }), 413, "too-large"],
    ] as const) {
      const res = await post(body);
      expect(res.status, body.slice(0, 40)).toBe(status);
      const text = await res.text();
      expect(JSON.parse(text).error.code).toBe(code);
      expect(text).not.toContain("<script>");
    }
    expect((await config()).edges).toEqual([]);
  });

  it("tells requests from the registering address about the edge", async () => {
    const res = await post(JSON.stringify({ urls: ["http://192.168.1.20:8081"] }));
    expect(res.status).toBe(200);
    expect(await config()).toMatchObject({ edge: null, edges: ["http://192.168.1.20:8081"] });
    // An edge that stops withdraws its link: the join page stops offering it at once.
    expect((await post(JSON.stringify({ urls: [] }))).status).toBe(200);
    expect((await config()).edges).toEqual([]);
  });
});

describe("behind a trusted reverse proxy", () => {
  it("registers and answers edges by the browser's address the proxy names, one rule for both", async () => {
    const token = "t".repeat(43);
    const http = createHttpServer({ log });
    const registry = createEdgeRegistry();
    const proxies = trustedProxies(["127.0.0.1"]);
    const addressOf = (req: { socket: { remoteAddress?: string | undefined }; headers: Record<string, string | string[] | undefined> }) => proxies.client(req.socket.remoteAddress ?? "", req.headers).address;
    mountWebClient(http, { domains: { accounts: "a", guests: "g", muc: "m", component: "c" }, edgesFor: (a) => registry.forAddress(a), addressOf });
    mountEdgeRegistry(http, { registry, operatorToken: token, log, addressOf });
    const base = `http://127.0.0.1:${await http.listen(0)}`;
    try {
      const office = { "x-forwarded-for": "198.51.100.7" };
      const res = await fetch(`${base}/api/edges`, { method: "POST", headers: { "content-type": "application/json", authorization: `Bearer ${token}`, ...office }, body: JSON.stringify({ urls: ["http://192.168.1.20:8081"] }) });
      expect(res.status).toBe(200);
      const from = async (h: Record<string, string>) => ((await (await fetch(`${base}/api/config`, { headers: h })).json()) as { edges: string[] }).edges;
      expect(await from(office)).toEqual(["http://192.168.1.20:8081"]);
      expect(await from({ "x-forwarded-for": "203.0.113.9" }), "another office behind the same proxy").toEqual([]);
    } finally {
      await http.close();
    }
  });
});
