/**
 * Which addresses other devices reach the server on (server/http/addresses.ts), from a given
 * interface table in os.networkInterfaces()'s shape — never the machine's own — and what the
 * invite panel and the login form make of them (web-client/src/app/config.ts).
 */
import type { NetworkInterfaceInfo } from "node:os";
import { describe, expect, it } from "vitest";
import { addressUrl, isLoopbackHost, reachableAddresses, reachableUrls, type InterfaceTable } from "../../server/http/addresses.ts";
import { isLoopbackHost as clientIsLoopback, passwordInClear, shareLinks } from "../../web-client/src/app/config.ts";

const v4 = (address: string, internal = false): NetworkInterfaceInfo => ({ address, netmask: "255.255.255.0", family: "IPv4", mac: "00:00:00:00:00:00", internal, cidr: `${address}/24` });
const v6 = (address: string, internal = false): NetworkInterfaceInfo => ({ address, netmask: "ffff:ffff:ffff:ffff::", family: "IPv6", mac: "00:00:00:00:00:00", internal, cidr: `${address}/64`, scopeid: 0 });

/** A laptop: loopback, Wi-Fi with IPv4, a global and a link-local IPv6, docker's bridge, a link-local IPv4. */
const LAPTOP: InterfaceTable = {
  lo: [v4("127.0.0.1", true), v6("::1", true)],
  docker0: [v4("172.17.0.1")],
  wlan0: [v4("192.168.1.20"), v6("2001:db8::20"), v6("fe80::1234")],
  eth1: [v4("169.254.10.3")],
};

describe("reachableAddresses", () => {
  it("is empty on the default loopback bind, whatever the interfaces", () => {
    for (const bind of ["127.0.0.1", "127.0.0.2", "localhost", "::1", "[::1]", "::ffff:127.0.0.1"]) expect(reachableAddresses(bind, LAPTOP), bind).toEqual([]);
  });

  it("lists the non-loopback IPv4 addresses on 0.0.0.0, real interfaces before containers', no link-local", () => {
    expect(reachableAddresses("0.0.0.0", LAPTOP)).toEqual(["192.168.1.20", "172.17.0.1"]);
  });

  it("adds global IPv6 on ::, after IPv4", () => {
    expect(reachableAddresses("::", LAPTOP)).toEqual(["192.168.1.20", "2001:db8::20", "172.17.0.1"]);
  });

  it("is the bound address itself when bound to one", () => {
    expect(reachableAddresses("192.168.1.20", LAPTOP)).toEqual(["192.168.1.20"]);
    expect(reachableAddresses("deck.lan", LAPTOP)).toEqual(["deck.lan"]);
  });

  it("is empty on a machine with only loopback", () => {
    expect(reachableAddresses("0.0.0.0", { lo: [v4("127.0.0.1", true)] })).toEqual([]);
    expect(reachableAddresses("0.0.0.0", {})).toEqual([]);
  });

  it("makes URLs, IPv6 in brackets, default ports left out", () => {
    expect(reachableUrls("::", 8080, LAPTOP)).toEqual(["http://192.168.1.20:8080", "http://[2001:db8::20]:8080", "http://172.17.0.1:8080"]);
    expect(addressUrl("10.0.0.5", 80)).toBe("http://10.0.0.5");
    expect(addressUrl("10.0.0.5", 443, "https")).toBe("https://10.0.0.5");
  });
});

describe("isLoopbackHost (server and client agree)", () => {
  const cases: [string, boolean][] = [
    ["localhost", true], ["app.localhost", true], ["127.0.0.1", true], ["127.1.2.3", true], ["::1", true], ["[::1]", true], ["::ffff:127.0.0.1", true],
    ["192.168.1.20", false], ["10.0.0.1", false], ["deck.example", false], ["::ffff:10.0.0.1", false], ["2001:db8::1", false],
  ];
  for (const [host, loopback] of cases) {
    it(`${host} → ${loopback}`, () => {
      expect(isLoopbackHost(host)).toBe(loopback);
      expect(clientIsLoopback(host)).toBe(loopback);
    });
  }
});

describe("shareLinks (the invite panel)", () => {
  it("warns when a localhost link has no reachable address", () => {
    expect(shareLinks("http://localhost:8080/m/k7m2qd", [], "k7m2qd")).toEqual({ links: ["http://localhost:8080/m/k7m2qd"], thisComputerOnly: true });
  });

  it("offers the reachable addresses' links instead of a localhost one", () => {
    expect(shareLinks("http://127.0.0.1:8080/m/k7m2qd", ["http://192.168.1.20:8080", "http://[2001:db8::20]:8080"], "k7m2qd")).toEqual({
      links: ["http://192.168.1.20:8080/m/k7m2qd", "http://[2001:db8::20]:8080/m/k7m2qd"],
      thisComputerOnly: false,
    });
  });

  it("keeps a link others can reach (the public URL, or a page opened at a LAN address)", () => {
    expect(shareLinks("https://deck.example/m/k7m2qd", [], "k7m2qd")).toEqual({ links: ["https://deck.example/m/k7m2qd"], thisComputerOnly: false });
    expect(shareLinks("http://192.168.1.20:8080/m/k7m2qd", ["http://10.0.0.2:8080"], "k7m2qd").links).toEqual(["http://192.168.1.20:8080/m/k7m2qd"]);
  });
});

describe("passwordInClear (the login form)", () => {
  it("is true only for plain http from a name other than this computer", () => {
    expect(passwordInClear({ protocol: "http:", hostname: "192.168.1.20" })).toBe(true);
    expect(passwordInClear({ protocol: "http:", hostname: "deck.lan" })).toBe(true);
    expect(passwordInClear({ protocol: "http:", hostname: "localhost" })).toBe(false);
    expect(passwordInClear({ protocol: "http:", hostname: "[::1]" })).toBe(false);
    expect(passwordInClear({ protocol: "https:", hostname: "192.168.1.20" })).toBe(false);
  });
});
