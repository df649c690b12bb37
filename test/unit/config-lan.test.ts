/**
 * LAN mode's settings (server/config.ts): DECKCAST_LAN=1 listens on every interface unless
 * DECKCAST_HTTP_HOST says otherwise; off by default (a private server and every test keep to
 * loopback); a value that is neither on nor off is refused, naming the setting.
 */
import { describe, expect, it } from "vitest";
import { readConfig } from "../../server/config.ts";

describe("LAN mode settings", () => {
  it("is off by default, listening on loopback only", () => {
    const c = readConfig({});
    expect(c.lan).toBe(false);
    expect(c.httpHost).toBe("127.0.0.1");
  });

  it("DECKCAST_LAN=1 listens on every interface", () => {
    for (const v of ["1", "true", "yes"]) expect(readConfig({ DECKCAST_LAN: v })).toMatchObject({ lan: true, httpHost: "0.0.0.0" });
    expect(readConfig({ DECKCAST_LAN: "0" })).toMatchObject({ lan: false, httpHost: "127.0.0.1" });
  });

  it("DECKCAST_HTTP_HOST still decides where it listens", () => {
    expect(readConfig({ DECKCAST_LAN: "1", DECKCAST_HTTP_HOST: "192.168.1.20" })).toMatchObject({ lan: true, httpHost: "192.168.1.20" });
  });

  it("a value that is neither on nor off is refused, naming the setting", () => {
    expect(() => readConfig({ DECKCAST_LAN: "maybe" })).toThrow(/DECKCAST_LAN/);
  });
});

describe("deckcast discover", () => {
  it("refuses an --interface that is not an IPv4 address, and a timeout out of range, as usage errors", async () => {
    const { run } = await import("../../server/cli/discover.ts");
    const io = { stdout: { write: () => true }, stderr: { write: () => true }, env: {} } as never;
    for (const args of [["--interface", "eth0"], ["--interface", "::1"], ["--timeout", "0"], ["--timeout", "999"]]) {
      await expect(run(args, io), args.join(" ")).rejects.toMatchObject({ name: "UsageError" });
    }
  });
});
