/**
 * `deckcast edge`'s flags (server/edge/args.ts: the LAN address picked from a given interface
 * table, the defaults, refusals) and the WebSocket proxy's request to an edge's upstream
 * (server/http/ws-proxy.ts with a target: its path and Host, never the client's).
 */
import { describe, expect, it } from "vitest";
import { EdgeArgsError, readEdgeArgs } from "../../server/edge/args.ts";
import { upstreamRequest } from "../../server/http/ws-proxy.ts";

const table = {
  lo: [{ address: "127.0.0.1", family: "IPv4", internal: true, netmask: "255.0.0.0", mac: "", cidr: null }],
  docker0: [{ address: "172.17.0.1", family: "IPv4", internal: false, netmask: "255.255.0.0", mac: "", cidr: null }],
  eth0: [{ address: "192.168.1.20", family: "IPv4", internal: false, netmask: "255.255.255.0", mac: "", cidr: null }],
} as never;

describe("deckcast edge arguments", () => {
  it("reads the flags, with the defaults", () => {
    const s = readEdgeArgs(["--upstream", "https://deckcast.example.org/some/path"], {}, table);
    expect(s).toMatchObject({ upstream: "https://deckcast.example.org", lan: false, host: "127.0.0.1", port: 8081, cacheBytes: 2048 * 1024 ** 2, token: null });
    expect(s.cacheDir).toMatch(/deckcast-edge-cache$/);
  });

  it("--lan listens on the LAN address (real interfaces before virtual ones); --host overrides it", () => {
    expect(readEdgeArgs(["--upstream", "http://10.0.0.1:8080", "--lan"], {}, table).host).toBe("192.168.1.20");
    expect(readEdgeArgs(["--upstream", "http://10.0.0.1:8080", "--lan", "--host", "10.1.1.1"], {}, table).host).toBe("10.1.1.1");
    expect(() => readEdgeArgs(["--upstream", "http://10.0.0.1:8080", "--lan"], {}, { lo: (table as Record<string, unknown>).lo } as never)).toThrow(EdgeArgsError);
  });

  it("takes the token from --token or DECKCAST_EDGE_TOKEN", () => {
    expect(readEdgeArgs(["--upstream", "http://a.example", "--token", "T1"], { DECKCAST_EDGE_TOKEN: "T2" }, table).token).toBe("T1");
    expect(readEdgeArgs(["--upstream", "http://a.example"], { DECKCAST_EDGE_TOKEN: "T2" }, table).token).toBe("T2");
  });

  it("refuses what is not right", () => {
    for (const args of [[], ["--upstream"], ["--upstream", "ftp://a.example"], ["--upstream", "not a url"], ["--upstream", "http://a", "--port", "70000"], ["--upstream", "http://a", "--cache-mb", "0"], ["--upstream", "http://a", "--bogus"]]) {
      expect(() => readEdgeArgs(args, {}, table), args.join(" ")).toThrow(EdgeArgsError);
    }
  });
});

describe("the WebSocket proxy towards an edge's upstream", () => {
  it("asks the upstream's path with its Host, and copies only the handshake's headers", () => {
    const req = { headers: { "sec-websocket-key": "dGhlIHNhbXBsZSBub25jZQ==", "sec-websocket-version": "13", cookie: "secret", host: "edge.local:8081" }, socket: { remoteAddress: "192.168.1.31" } };
    const text = upstreamRequest(req as never, 0, { path: "/xmpp-websocket", hostHeader: "deckcast.example.org" });
    expect(text.split("\r\n").slice(0, 2)).toEqual(["GET /xmpp-websocket HTTP/1.1", "Host: deckcast.example.org"]);
    expect(text).not.toContain("secret");
    expect(text).not.toContain("edge.local");
    expect(text).toContain("X-Forwarded-For: 192.168.1.31");
  });
});
