/**
 * Which reverse proxies deckcast believes (server/http/trusted-proxies.ts): from a trusted
 * proxy the browser is the rightmost X-Forwarded-For entry that is not itself a trusted proxy,
 * and https when X-Forwarded-Proto says so; from anyone else the peer, over plain http, whatever
 * it claims. Bad entries in DECKCAST_TRUSTED_PROXIES stop the start with a line naming them.
 */
import { describe, expect, it } from "vitest";
import { readConfig } from "../../server/config.ts";
import { trustedProxies } from "../../server/http/trusted-proxies.ts";
import { upstreamRequest } from "../../server/http/ws-proxy.ts";

describe("trusted reverse proxies", () => {
  const t = trustedProxies(["10.0.0.5", "172.16.0.0/12", "fd00::/8"]);

  it("believes only the proxies listed, by address or range", () => {
    for (const a of ["10.0.0.5", "::ffff:10.0.0.5", "172.20.1.1", "fd12::1"]) expect(t.has(a), a).toBe(true);
    for (const a of ["10.0.0.6", "192.168.1.1", "127.0.0.1", "fe80::1", "not an address"]) expect(t.has(a), a).toBe(false);
  });

  it("takes the browser from a trusted proxy's headers, and nobody else's", () => {
    expect(t.client("10.0.0.5", { "x-forwarded-for": "203.0.113.7", "x-forwarded-proto": "https" })).toEqual({ address: "203.0.113.7", https: true });
    // A chain: the rightmost entry that is not one of ours (the browser cannot choose it).
    expect(t.client("10.0.0.5", { "x-forwarded-for": "1.2.3.4, 203.0.113.7, 172.16.0.9", "x-forwarded-proto": "https, http" })).toEqual({ address: "203.0.113.7", https: true });
    expect(t.client("10.0.0.5", { "x-forwarded-proto": "http" })).toEqual({ address: "10.0.0.5", https: false });
    expect(t.client("10.0.0.5", { "x-forwarded-for": "garbage, ,", "x-forwarded-proto": "https" })).toEqual({ address: "10.0.0.5", https: true });
    expect(t.client("10.0.0.5", { "x-forwarded-for": `${"9.9.9.9,".repeat(200)}203.0.113.7` })).toEqual({ address: "10.0.0.5", https: false });
    // Anyone else: its own address, plain http, whatever it says.
    expect(t.client("192.168.1.50", { "x-forwarded-for": "127.0.0.1", "x-forwarded-proto": "https" })).toEqual({ address: "192.168.1.50", https: false });
  });

  it("tells Prosody the browser's address, and https only through a trusted proxy", () => {
    const req = (peer: string) => ({ socket: { remoteAddress: peer }, headers: { "x-forwarded-for": "203.0.113.7", "x-forwarded-proto": "https" } });
    const through = upstreamRequest(req("10.0.0.5") as never, 5280, undefined, t);
    expect(through).toContain("X-Forwarded-For: 203.0.113.7\r\n");
    expect(through).toContain("X-Forwarded-Proto: https\r\n");
    const spoofed = upstreamRequest(req("192.168.1.50") as never, 5280, undefined, t);
    expect(spoofed).toContain("X-Forwarded-For: 192.168.1.50\r\n");
    expect(spoofed).not.toContain("X-Forwarded-Proto");
    expect(spoofed).not.toContain("203.0.113.7");
  });

  it("refuses a bad DECKCAST_TRUSTED_PROXIES at start, naming it", () => {
    for (const bad of ["10.0.0.1/33", "example.org", "10.0.0.0/8/1", "::1/129"]) {
      expect(() => readConfig({ DECKCAST_TRUSTED_PROXIES: `10.0.0.5, ${bad}` }), bad).toThrow(/DECKCAST_TRUSTED_PROXIES/);
    }
    expect(readConfig({ DECKCAST_TRUSTED_PROXIES: "10.0.0.5, 172.16.0.0/12" }).trustedProxies).toEqual(["10.0.0.5", "172.16.0.0/12"]);
  });
});
