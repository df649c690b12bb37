/**
 * The HTTP side's pure guards: which Host headers name this server, the WebSocket handshake
 * check and the request Prosody gets, the security headers, the operator token check, the
 * size wording, /healthz's parts and Prosody's console lines, and the new settings.
 */
import { describe, expect, it } from "vitest";
import { readConfig } from "../../server/config.ts";
import { describeBytes, groupDigits, tooLargeMessage } from "../../server/decks/errors.ts";
import { decksPart, prosodyConsoleLine, prosodyPart } from "../../server/http/health.ts";
import { hostOf, hostPolicy, isOwnHost } from "../../server/http/hosts.ts";
import { bearerMatches } from "../../server/http/operator.ts";
import { contentSecurityPolicy, securityHeaders } from "../../server/http/security-headers.ts";
import { handshakeProblem, upstreamRequest } from "../../server/http/ws-proxy.ts";

describe("Host headers (DNS-rebinding defence)", () => {
  const policy = hostPolicy({ publicUrl: "https://Deck.Example.org:8443/", boundHost: "0.0.0.0", extra: ["proxy.lan"] });

  it("reads the host part of a Host header, and refuses malformed ones", () => {
    expect(hostOf("localhost:8080")).toBe("localhost");
    expect(hostOf("[::1]:8080")).toBe("::1");
    expect(hostOf("Deck.Example.org.")).toBe("deck.example.org");
    expect(hostOf("a b")).toBeNull();
    expect(hostOf("evil.example:80:80")).toBeNull();
    expect(hostOf("[::1")).toBeNull();
    expect(hostOf(undefined)).toBeNull();
  });

  it("accepts this server's names, loopback and IP literals, whatever the port", () => {
    for (const h of ["localhost", "localhost:8080", "127.0.0.1:8080", "[::1]:8080", "192.168.1.20:8080", "deck.example.org", "DECK.example.org:1", "proxy.lan", "app.localhost:8080"]) {
      expect(isOwnHost(h, policy), h).toBe(true);
    }
  });

  it("refuses any other name, and requests without a Host", () => {
    for (const h of ["evil.example", "evil.example:8080", "deck.example.org.evil.example", "localhost.evil.example", "", undefined]) {
      expect(isOwnHost(h, policy), String(h)).toBe(false);
    }
    expect(isOwnHost("deck.example.org", hostPolicy())).toBe(false);
  });
});

describe("the WebSocket handshake the proxy forwards", () => {
  const good = {
    method: "GET",
    httpVersion: "1.1",
    headers: { upgrade: "websocket", connection: "keep-alive, Upgrade", "sec-websocket-key": "dGhlIHNhbXBsZSBub25jZQ==", "sec-websocket-version": "13" } as Record<string, string | undefined>,
  };
  const without = (name: string) => ({ ...good, headers: { ...good.headers, [name]: undefined } });
  const withHeader = (name: string, value: string) => ({ ...good, headers: { ...good.headers, [name]: value } });

  it("takes a complete RFC 6455 handshake", () => {
    expect(handshakeProblem(good)).toBeNull();
  });

  it("refuses anything short of one", () => {
    expect(handshakeProblem(without("sec-websocket-key"))).toMatch(/Key/);
    expect(handshakeProblem(withHeader("sec-websocket-key", "c2hvcnQ="))).toMatch(/16 bytes/);
    expect(handshakeProblem(withHeader("sec-websocket-key", "dGhlIHNhbXBsZSBub25jZR=="))).toMatch(/16 bytes/); // not canonical base64
    expect(handshakeProblem(withHeader("sec-websocket-key", "dGhlIHNhbXBsZSBub25jZQ==dGhl"))).toMatch(/16 bytes/);
    expect(handshakeProblem(without("sec-websocket-version"))).toMatch(/Version/);
    expect(handshakeProblem(withHeader("sec-websocket-version", "8"))).toMatch(/Version/);
    expect(handshakeProblem(withHeader("upgrade", "h2c"))).toMatch(/Upgrade/);
    expect(handshakeProblem(withHeader("connection", "close"))).toMatch(/Connection/);
    expect(handshakeProblem({ ...good, method: "POST" })).toMatch(/GET/);
    expect(handshakeProblem({ ...good, httpVersion: "1.0" })).toMatch(/1\.1/);
  });

  it("rebuilds the request for Prosody: its one path, the handshake headers, nothing else", () => {
    const req = {
      headers: { ...good.headers, "sec-websocket-protocol": "xmpp", origin: "http://localhost:8080", cookie: "secret=1", "content-length": "40", "x-forwarded-for": "6.6.6.6" },
      socket: { remoteAddress: "127.0.0.1" },
    };
    const text = upstreamRequest(req as never, 5280);
    const lines = text.split("\r\n");
    expect(lines[0]).toBe("GET /xmpp-websocket HTTP/1.1");
    expect(lines).toContain("Host: 127.0.0.1:5280");
    expect(lines).toContain("Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==");
    expect(lines).toContain("Sec-WebSocket-Protocol: xmpp");
    expect(lines).toContain("X-Forwarded-For: 127.0.0.1");
    expect(text).not.toMatch(/cookie|content-length|6\.6\.6\.6/i);
    expect(text.endsWith("\r\n\r\n")).toBe(true);
  });
});

describe("security headers", () => {
  it("set a policy the web client runs under, and forbid framing", () => {
    const csp = contentSecurityPolicy(null);
    expect(csp).toContain("default-src 'self'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).toContain("object-src 'none'");
    expect(csp).toMatch(/script-src 'self' 'wasm-unsafe-eval'(;|$)/);
    expect(csp).not.toMatch(/script-src[^;]*'unsafe-inline'/);
    const h = securityHeaders(null);
    expect(h["X-Frame-Options"]).toBe("DENY");
    expect(h["X-Content-Type-Options"]).toBe("nosniff");
    expect(h["Referrer-Policy"]).toBe("no-referrer");
  });

  it("let the page connect to the public URL (and its WebSocket) when one is set", () => {
    expect(contentSecurityPolicy("https://deck.example.org/")).toMatch(/connect-src 'self' https:\/\/deck\.example\.org wss:\/\/deck\.example\.org(;|$)/);
    expect(contentSecurityPolicy("http://10.0.0.5:8080")).toMatch(/connect-src 'self' http:\/\/10\.0\.0\.5:8080 ws:\/\/10\.0\.0\.5:8080(;|$)/);
  });
});

describe("the operator token check", () => {
  const token = "A".repeat(43);
  it("lets the right Bearer token through and tells missing from wrong", () => {
    expect(bearerMatches(`Bearer ${token}`, token)).toBe("ok");
    expect(bearerMatches(`bearer ${token}`, token)).toBe("ok");
    expect(bearerMatches(undefined, token)).toBe("missing");
    expect(bearerMatches(`Bearer ${token}x`, token)).toBe("invalid");
    expect(bearerMatches(`Bearer ${token.slice(1)}`, token)).toBe("invalid");
    expect(bearerMatches(`Basic ${token}`, token)).toBe("invalid");
    expect(bearerMatches("Bearer", token)).toBe("invalid");
  });
});

describe("sizes in refusals", () => {
  it("give exact bytes, and a human figure only for the limit, so the two never read the same", () => {
    expect(groupDigits(104857601)).toBe("104,857,601");
    expect(describeBytes(104857600)).toBe("104,857,600 bytes (100 MiB)");
    expect(describeBytes(1536)).toBe("1,536 bytes (1.5 KiB)");
    expect(describeBytes(12)).toBe("12 bytes");
    expect(tooLargeMessage(104857601, 104857600)).toBe("The file is 104,857,601 bytes; the limit is 104,857,600 bytes (100 MiB).");
  });
});

describe("/healthz parts and Prosody's console lines", () => {
  const h = (state: "starting" | "running" | "restarting" | "failed" | "stopped", restarts = 0) => ({ state, restarts, pid: state === "running" ? 42 : null, maxRestarts: 5 });

  it("call Prosody ok only while running, and decks ok once warm", () => {
    expect(prosodyPart(h("running")).ok).toBe(true);
    for (const s of ["starting", "restarting", "failed", "stopped"] as const) expect(prosodyPart(h(s)).ok).toBe(false);
    expect(decksPart({ warmedUp: false }).ok).toBe(false);
    expect(decksPart({ warmedUp: true }).ok).toBe(true);
    expect(decksPart({ warmedUp: true, report: () => ({ ok: false, workers: 0 }) })).toMatchObject({ ok: false, workers: 0 });
  });

  it("say when Prosody goes down, comes back and fails for good, and nothing at a normal start or stop", () => {
    const log = "data/prosody/prosody.log";
    expect(prosodyConsoleLine(h("starting"), h("running"), log)).toBeNull();
    expect(prosodyConsoleLine(h("running"), h("restarting", 0), log)).toBe("deckcast: Prosody stopped unexpectedly; restarting (1 of 5)");
    expect(prosodyConsoleLine(h("restarting", 0), h("restarting", 1), log)).toBe("deckcast: Prosody stopped unexpectedly; restarting (2 of 5)"); // a restart that failed
    expect(prosodyConsoleLine(h("restarting", 0), h("running", 1), log)).toBe("deckcast: Prosody is running again (pid 42, after 1 of 5)");
    expect(prosodyConsoleLine(h("running", 6), h("restarting", 6), log)).toBe("deckcast: Prosody stopped unexpectedly; restarting (restart 7)");
    expect(prosodyConsoleLine(h("restarting", 5), h("failed", 5), log)).toMatch(/^deckcast: Prosody has failed for good after 5 restarts.*data\/prosody\/prosody\.log/);
    expect(prosodyConsoleLine(h("running"), h("stopped"), log)).toBeNull();
    expect(prosodyConsoleLine(h("running"), h("running"), log)).toBeNull();
  });
});

describe("settings", () => {
  it("have stated defaults and are read from the environment", () => {
    const d = readConfig({});
    expect(d).toMatchObject({ uploadIdleMs: 30_000, uploadMaxPending: 10, uploadMaxPendingBytes: 500 * 2 ** 20, wsMaxConnections: 400, wsMaxPerAddress: 50, wsIdleMs: 1_200_000, allowedHosts: [], explicitPublicUrl: null });
    const c = readConfig({ DECKCAST_UPLOAD_IDLE_S: "5", DECKCAST_UPLOAD_MAX_PENDING: "2", DECKCAST_UPLOAD_MAX_PENDING_MB: "1", DECKCAST_WS_MAX_CONNECTIONS: "9", DECKCAST_WS_MAX_PER_ADDRESS: "3", DECKCAST_WS_IDLE_S: "60", DECKCAST_ALLOWED_HOSTS: "a.example, b.example", DECKCAST_PUBLIC_URL: "https://x.example/" });
    expect(c).toMatchObject({ uploadIdleMs: 5000, uploadMaxPending: 2, uploadMaxPendingBytes: 2 ** 20, wsMaxConnections: 9, wsMaxPerAddress: 3, wsIdleMs: 60_000, allowedHosts: ["a.example", "b.example"], explicitPublicUrl: "https://x.example", publicUrl: "https://x.example" });
    expect(() => readConfig({ DECKCAST_WS_MAX_PER_ADDRESS: "0" })).toThrow(/at least 1/);
    expect(() => readConfig({ DECKCAST_PUBLIC_URL: "javascript:alert(1)" })).toThrow(/http/);
  });
});
