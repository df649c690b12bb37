/**
 * Account helpers that run without a Prosody process: register through `prosodyctl` on the
 * generated config, and read the account list straight from Prosody's internal storage;
 * `prosodyAccounts` presents them as the XMPP server adapter's accounts part.
 */
import { execFile } from "node:child_process";
import { access, readdir } from "node:fs/promises";
import { join } from "node:path";
import { pickFreePorts } from "./ports.ts";
import { prosodyPaths } from "./paths.ts";
import { prepareProsodyDir } from "./setup.ts";
import { cleanProsodyOutput } from "./output.ts";
import { USERNAME_RE, type XmppAccounts } from "../server/xmpp-server.ts";

export { USERNAME_RE };

/** Throws unless `user` is a username deckcast accepts. */
export function checkUsername(user: string): void {
  if (!USERNAME_RE.test(user)) {
    throw new Error(`invalid username ${JSON.stringify(user)}: use 1-64 of a-z 0-9 . _ - (starting with a letter or digit)`);
  }
}

/** Runs `prosodyctl --config <config> ...args`, feeding `input` on stdin; throws with its cleaned output on failure. */
export function runProsodyctl(configPath: string, args: readonly string[], input = ""): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      "prosodyctl",
      ["--config", configPath, ...args],
      { timeout: 30_000, maxBuffer: 1024 * 1024 },
      (err, stdout, stderr) => {
        const output = cleanProsodyOutput(`${stdout}\n${stderr}`);
        if (err) {
          const why = output || err.message;
          reject(new Error(`prosodyctl ${args[0] ?? ""} failed: ${why}`, { cause: err }));
        } else {
          resolve(output);
        }
      },
    );
    child.stdin?.end(input);
  });
}

/** Makes sure `<dataDir>/prosody/prosody.cfg.lua` exists (written with fresh ports if not); returns its path. */
async function ensureConfig(dataDir: string, host: string): Promise<string> {
  const paths = prosodyPaths(dataDir);
  if (await exists(paths.config)) return paths.config;
  // Never started: write a config so prosodyctl knows the hosts and data path. The ports
  // are placeholders; startProsody rewrites the config with its own ports.
  const [c2s = 0, http = 0, component = 0] = await pickFreePorts(3);
  await prepareProsodyDir(dataDir, { host, ports: { c2s, http, component }, logLevel: "info" });
  return paths.config;
}

/**
 * Creates the account `user@host`, or sets its password if it exists (prosodyctl semantics).
 * Works whether or not Prosody is running; the password goes over stdin, never argv.
 */
export async function registerUser(dataDir: string, user: string, password: string, host = "localhost"): Promise<void> {
  checkUsername(user);
  if (password === "" || /[\r\n]/.test(password)) throw new Error("password must be non-empty and on one line");
  const config = await ensureConfig(dataDir, host);
  await runProsodyctl(config, ["register", user, host], `${password}\n${password}\n`);
}

/** Prosody's datamanager file-name encoding (every non-alphanumeric byte as %xx). */
function encodeStoreName(s: string): string {
  return Array.from(Buffer.from(s, "utf8"), (b) =>
    /[A-Za-z0-9]/.test(String.fromCharCode(b)) ? String.fromCharCode(b) : `%${b.toString(16).padStart(2, "0")}`,
  ).join("");
}

/** Lists the accounts of `host` from Prosody's internal storage (sorted); [] when there are none yet. */
export async function listUsers(dataDir: string, host = "localhost"): Promise<string[]> {
  const dir = join(prosodyPaths(dataDir).data, encodeStoreName(host), "accounts");
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return [];
    throw err;
  }
  return names
    .filter((n) => n.endsWith(".dat"))
    .map((n) => decodeURIComponent(n.slice(0, -".dat".length)))
    .sort();
}

/** True when the account `user@host` exists in Prosody's internal storage. */
export async function userExists(dataDir: string, user: string, host = "localhost"): Promise<boolean> {
  const file = join(prosodyPaths(dataDir).data, encodeStoreName(host), "accounts", `${encodeStoreName(user)}.dat`);
  return exists(file);
}

/** True when `path` exists; false only for ENOENT (other errors propagate). */
async function exists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return false;
    throw err;
  }
}

/** The accounts of `host` in the Prosody of `dataDir`, as the XMPP server adapter's accounts part. */
export function prosodyAccounts(dataDir: string, host = "localhost"): XmppAccounts {
  return {
    addUser: (user, password) => registerUser(dataDir, user, password, host),
    hasUser: (user) => userExists(dataDir, user, host),
    listUsers: () => listUsers(dataDir, host),
  };
}
