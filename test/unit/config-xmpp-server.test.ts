/**
 * Which XMPP server deckcast runs on (server/xmpp-server-setting.ts through readConfig):
 * private by default, as `npm start` always was; external with a host, three ports (Prosody's
 * usual ones by default) and the component secret from a file (which wins) or the variable.
 * Every bad setting is refused with one line naming it, never echoing the secret; settings
 * only an external server reads are refused with a private one. Log lines go to stdout too
 * by default with an external server (a container).
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { readConfig } from "../../server/config.ts";
import { SettingError } from "../../server/xmpp-server-setting.ts";
import { deckcastDomains, externalAccountsHelp } from "../../server/xmpp-external.ts";
import { run as userCommand } from "../../server/cli/user.ts";

const dir = mkdtempSync(path.join(os.tmpdir(), "deckcast-xmpp-setting-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const external = { DECKCAST_XMPP_SERVER: "external", DECKCAST_XMPP_SERVER_HOST: "prosody", DECKCAST_COMPONENT_SECRET: "from-env" };

/** The refusal readConfig(env) throws: one line, naming `setting`. */
function refusal(env: NodeJS.ProcessEnv, setting: string): SettingError {
  let err: unknown;
  try {
    readConfig(env);
  } catch (e) {
    err = e;
  }
  expect(err, `${JSON.stringify(env)} should be refused`).toBeInstanceOf(SettingError);
  const e = err as SettingError;
  expect(e.code).toBe("bad-setting");
  expect(e.message).toContain(setting);
  expect(e.message).not.toContain("\n");
  return e;
}

describe("DECKCAST_XMPP_SERVER", () => {
  it("is private by default, as npm start always was, and logs to the file only", () => {
    expect(readConfig({}).xmppServer).toEqual({ kind: "private" });
    expect(readConfig({ DECKCAST_XMPP_SERVER: "private" }).xmppServer).toEqual({ kind: "private" });
    expect(readConfig({}).logStdout).toBe(false);
  });

  it("external: the host, Prosody's usual ports, the secret from the variable; logs to stdout too", () => {
    const c = readConfig(external);
    expect(c.xmppServer).toEqual({ kind: "external", host: "prosody", componentPort: 5347, clientPort: 5222, httpPort: 5280, componentSecret: "from-env" });
    expect(c.logStdout).toBe(true);
    expect(readConfig({ ...external, DECKCAST_LOG_STDOUT: "0" }).logStdout).toBe(false);
  });

  it("takes the ports given, and an IPv6 literal host with or without brackets", () => {
    const c = readConfig({ ...external, DECKCAST_XMPP_SERVER_HOST: "[::1]", DECKCAST_XMPP_COMPONENT_PORT: "15347", DECKCAST_XMPP_CLIENT_PORT: "15222", DECKCAST_XMPP_HTTP_PORT: "15280" });
    expect(c.xmppServer).toMatchObject({ host: "::1", componentPort: 15347, clientPort: 15222, httpPort: 15280 });
    expect(readConfig({ ...external, DECKCAST_XMPP_SERVER_HOST: "127.0.0.1" }).xmppServer).toMatchObject({ host: "127.0.0.1" });
  });

  it("the secret file wins over the variable; its first line is the secret, CR/LF dropped (as the prosody image reads it)", () => {
    const file = path.join(dir, "secret");
    const secretOf = (content: string, env: NodeJS.ProcessEnv = external) => {
      writeFileSync(file, content);
      return (readConfig({ ...env, DECKCAST_COMPONENT_SECRET_FILE: file }).xmppServer as { componentSecret: string }).componentSecret;
    };
    expect(secretOf("from-file\n")).toBe("from-file");
    expect(secretOf("no-newline", { ...external, DECKCAST_COMPONENT_SECRET: "" })).toBe("no-newline");
    expect(secretOf("windows\r\n")).toBe("windows");
    expect(secretOf("first-line\nsecond line\n")).toBe("first-line");
  });

  it("refuses an unknown kind, a missing host or secret, and bad ports, naming the setting", () => {
    refusal({ DECKCAST_XMPP_SERVER: "ejabberd" }, "DECKCAST_XMPP_SERVER");
    refusal({ ...external, DECKCAST_XMPP_SERVER_HOST: "" }, "DECKCAST_XMPP_SERVER_HOST");
    refusal({ ...external, DECKCAST_XMPP_SERVER_HOST: "pro sody/x" }, "DECKCAST_XMPP_SERVER_HOST");
    refusal({ ...external, DECKCAST_COMPONENT_SECRET: undefined }, "DECKCAST_COMPONENT_SECRET");
    for (const bad of ["0", "65536", "abc", "-1", "5347.5", "1e3"]) {
      for (const name of ["DECKCAST_XMPP_COMPONENT_PORT", "DECKCAST_XMPP_CLIENT_PORT", "DECKCAST_XMPP_HTTP_PORT"]) refusal({ ...external, [name]: bad }, name);
    }
  });

  it("refuses a secret file that cannot be read, starts with an empty line or is too long, never echoing it", () => {
    refusal({ ...external, DECKCAST_COMPONENT_SECRET_FILE: path.join(dir, "absent") }, "DECKCAST_COMPONENT_SECRET_FILE");
    const empty = path.join(dir, "empty");
    writeFileSync(empty, "\n");
    refusal({ ...external, DECKCAST_COMPONENT_SECRET_FILE: empty }, "DECKCAST_COMPONENT_SECRET_FILE");
    const long = path.join(dir, "long");
    writeFileSync(long, "top-secret-".repeat(200));
    const e = refusal({ ...external, DECKCAST_COMPONENT_SECRET_FILE: long }, "DECKCAST_COMPONENT_SECRET_FILE");
    expect(e.message).not.toContain("top-secret");
  });

  it("reads a bounded start of the secret file, and refuses what is not a regular file (a folder, a FIFO would block the start)", () => {
    refusal({ ...external, DECKCAST_COMPONENT_SECRET_FILE: dir }, "DECKCAST_COMPONENT_SECRET_FILE");
    const fifo = path.join(dir, "fifo");
    execFileSync("mkfifo", [fifo]);
    refusal({ ...external, DECKCAST_COMPONENT_SECRET_FILE: fifo }, "DECKCAST_COMPONENT_SECRET_FILE");
    const huge = path.join(dir, "huge");
    writeFileSync(huge, Buffer.alloc(8 * 1024 * 1024, 0x61));
    refusal({ ...external, DECKCAST_COMPONENT_SECRET_FILE: huge }, "DECKCAST_COMPONENT_SECRET_FILE");
  });

  it("refuses an external server's settings with a private one (they would be silently ignored)", () => {
    refusal({ DECKCAST_XMPP_SERVER_HOST: "prosody" }, "DECKCAST_XMPP_SERVER_HOST");
    refusal({ DECKCAST_XMPP_CLIENT_PORT: "5222" }, "DECKCAST_XMPP_CLIENT_PORT");
  });
});

describe("the external server's domains and accounts", () => {
  it("are the deckcast naming on DECKCAST_XMPP_HOST", () => {
    expect(deckcastDomains("example.org")).toEqual({ accounts: "example.org", guests: "guest.example.org", muc: "rooms.example.org", component: "deckcast.example.org" });
    expect(() => deckcastDomains("Bad Host")).toThrow(/DECKCAST_XMPP_HOST/);
  });

  it("are added on the server, and the help says how", () => {
    expect(externalAccountsHelp("example.org", "alice")).toContain("prosodyctl register alice example.org");
  });
});

describe("deckcast user with an external server", () => {
  it("add and list say the accounts are the server's, with the prosodyctl command, and exit 1", async () => {
    for (const args of [["add", "alice"], ["list"]]) {
      let out = "";
      let err = "";
      const io = { stdout: { write: (t: string) => (out += t) }, stderr: { write: (t: string) => (err += t) }, env: { ...external, DECKCAST_DATA_DIR: dir, DECKCAST_XMPP_HOST: "example.org" } };
      expect(await userCommand(args, io)).toBe(1);
      expect(out).toBe("");
      expect(err).toContain(`prosodyctl register ${args[0] === "add" ? "alice" : "NAME"} example.org`);
    }
  });
});
