/**
 * test/deploy/compose.ts, the deploy test's reading of docker/compose.yaml, without podman:
 * interpolation, the real compose.yaml (and its host-network overlay) turned into `podman run`
 * flags, and an unknown key refused rather than ignored.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { ComposeError, durationSeconds, interpolate, loadCompose, planServices, type PlanOptions } from "../deploy/compose.ts";

const DOCKER = resolve(fileURLToPath(new URL("../../docker", import.meta.url)));
const tmp = mkdtempSync(join(tmpdir(), "deploy-compose-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const opts: PlanOptions = {
  project: "deckcast-deploy-abc123",
  network: "deckcast-deploy-abc123_default",
  secretFiles: { component_secret: "/tmp/s/component_secret", presenter_password: "/tmp/s/presenter_password" },
  hostPort: () => 43210,
};

/** The value after each occurrence of `flag`. */
const flagValues = (args: string[], flag: string) => args.flatMap((a, i) => (a === flag ? [args[i + 1]!] : []));

describe("interpolate", () => {
  const env = { SET: "value", EMPTY: "" };
  it("takes ${VAR}, $VAR, ${VAR:-default} and ${VAR-default} the way compose does", () => {
    expect(interpolate("a ${SET} $SET b", env)).toBe("a value value b");
    expect(interpolate("${UNSET:-fallback}", env)).toBe("fallback");
    expect(interpolate("${EMPTY:-fallback}", env)).toBe("fallback");
    expect(interpolate("${EMPTY-fallback}", env)).toBe("");
    expect(interpolate("${UNSET-fallback}", env)).toBe("fallback");
    expect(interpolate("${SET:-fallback}", env)).toBe("value");
    expect(interpolate("${UNSET:-}", env)).toBe("");
    expect(interpolate("${UNSET}", env)).toBe("");
    expect(interpolate("costs $$5", env)).toBe("costs $5");
  });
  it("refuses a required variable that is unset, and a malformed reference", () => {
    expect(() => interpolate("${UNSET:?say it}", env)).toThrow(ComposeError);
    expect(() => interpolate("${not a var}", env)).toThrow(ComposeError);
    expect(() => interpolate("trailing $", env)).toThrow(ComposeError);
  });
  it("reads durations", () => {
    expect(durationSeconds("10s", "x")).toBe(10);
    expect(durationSeconds("1m30s", "x")).toBe(90);
    expect(durationSeconds("500ms", "x")).toBe(0.5);
    expect(() => durationSeconds("ten", "x")).toThrow(ComposeError);
  });
});

describe("docker/compose.yaml as podman run flags", () => {
  const env = { DECKCAST_PUBLIC_URL: "https://127.0.0.1:9443", DECKCAST_TRUSTED_PROXIES: "10.89.0.1", DECKCAST_NODE_BASE: "localhost/node:20" };
  const plan = planServices(loadCompose([join(DOCKER, "compose.yaml")], env), opts);
  const [prosody, deckcast] = plan.services;

  it("starts prosody before deckcast, which waits for it to be healthy", () => {
    expect(plan.services.map((s) => s.service)).toEqual(["prosody", "deckcast"]);
    expect(deckcast!.dependsOn).toEqual([{ service: "prosody", healthy: true }]);
  });
  it("interpolates the environment the test supplies, defaults the rest", () => {
    const e = flagValues(deckcast!.args, "-e");
    expect(e).toContain("DECKCAST_PUBLIC_URL=https://127.0.0.1:9443");
    expect(e).toContain("DECKCAST_TRUSTED_PROXIES=10.89.0.1");
    expect(e).toContain("DECKCAST_XMPP_HOST=localhost");
    expect(e).toContain("DECKCAST_XMPP_SERVER_HOST=prosody");
    expect(prosody!.build!.args).toEqual({ BASE: "debian:bookworm-slim", NODE_BASE: "localhost/node:20" });
    expect(prosody!.build!.dockerfile).toBe(join(DOCKER, "Dockerfile.prosody"));
  });
  it("names volumes and the network after the project, mounts the test's secret files read-only", () => {
    expect(plan.volumes).toEqual(["deckcast-deploy-abc123_prosody-data", "deckcast-deploy-abc123_deckcast-data"]);
    expect(flagValues(deckcast!.args, "-v")).toEqual(["/tmp/s/component_secret:/run/secrets/component_secret:ro", "deckcast-deploy-abc123_deckcast-data:/data"]);
    expect(flagValues(deckcast!.args, "--network")).toEqual(["deckcast-deploy-abc123_default"]);
    expect(flagValues(deckcast!.args, "--network-alias")).toEqual(["deckcast"]);
  });
  it("publishes on the file's address with the test's port; health check, init, restart, stop timeout", () => {
    expect(flagValues(deckcast!.args, "-p")).toEqual(["127.0.0.1:43210:8080"]);
    expect(flagValues(prosody!.args, "-p")).toEqual([]);
    // The CMD form without "CMD": podman 4.3 splits a JSON array starting with "CMD" on spaces.
    expect(JSON.parse(flagValues(prosody!.args, "--health-cmd")[0]!)).toEqual(["bash", "-c", "exec 3<>/dev/tcp/127.0.0.1/5222"]);
    expect(flagValues(deckcast!.args, "--health-start-period")).toEqual(["30s"]);
    expect(deckcast!.args).toContain("--init");
    expect(prosody!.args).not.toContain("--init");
    expect(flagValues(deckcast!.args, "--restart")).toEqual(["unless-stopped"]);
    expect(flagValues(deckcast!.args, "--stop-timeout")).toEqual(["20"]);
  });
  it("merges the host-network overlay", () => {
    const host = planServices(loadCompose([join(DOCKER, "compose.yaml"), join(DOCKER, "compose.host-network.yaml")], { DECKCAST_HTTP_PORT: "41000" }), opts);
    const d = host.services.find((s) => s.service === "deckcast")!;
    expect(d.hostNetwork).toBe(true);
    expect(flagValues(d.args, "--network")).toEqual(["host"]);
    expect(flagValues(d.args, "-p")).toEqual([]);
    const e = flagValues(d.args, "-e");
    expect(e).toContain("DECKCAST_HTTP_PORT=41000");
    expect(e).toContain("DECKCAST_XMPP_SERVER_HOST=127.0.0.1");
    expect(e).not.toContain("DECKCAST_XMPP_SERVER_HOST=prosody");
  });
});

describe("what the translator does not understand", () => {
  const write = (name: string, text: string) => {
    const f = join(tmp, name);
    writeFileSync(f, text);
    return f;
  };
  it("refuses an unknown key in a service, naming it", () => {
    const f = write("unknown.yaml", "services:\n  a:\n    build: {context: .}\n    cap_add: [NET_ADMIN]\n");
    expect(() => planServices(loadCompose([f], {}), opts)).toThrow(/services\.a\.cap_add: not understood/);
  });
  it("refuses unknown keys at the top, in a health check, and in a volume's definition", () => {
    expect(() => loadCompose([write("top.yaml", "services: {}\nnetworks: {}\n")], {})).toThrow(/compose\.networks: not understood/);
    expect(() => planServices(loadCompose([write("hc.yaml", "services:\n  a:\n    healthcheck: {test: [CMD, 'true'], disable: true}\n")], {}), opts)).toThrow(/healthcheck\.disable/);
    expect(() => planServices(loadCompose([write("vol.yaml", "services: {}\nvolumes:\n  v: {driver: local}\n")], {}), opts)).toThrow(/volumes\.v\.driver/);
  });
  it("refuses a secret the test has no file for, an undeclared volume, a long-form port", () => {
    expect(() => planServices(loadCompose([write("s.yaml", "services:\n  a: {secrets: [other]}\nsecrets:\n  other: {file: ./x}\n")], {}), opts)).toThrow(/no file for secret "other"/);
    expect(() => planServices(loadCompose([write("v.yaml", "services:\n  a: {volumes: ['data:/data']}\n")], {}), opts)).toThrow(/not declared/);
    expect(() => planServices(loadCompose([write("p.yaml", "services:\n  a: {ports: [{target: 80}]}\n")], {}), opts)).toThrow(/ports\[0\]/);
  });
});
