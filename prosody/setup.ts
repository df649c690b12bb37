/**
 * Prepares `<dataDir>/prosody/`: folders, the persisted component secret, and the config file.
 * Shared by the launcher (on every start) and by `registerUser` (when Prosody never ran yet).
 */
import { randomBytes } from "node:crypto";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { PROSODY_MODULES_DIR, prosodyPaths, type ProsodyPaths } from "./paths.ts";
import { CHAT_LIMITS, renderProsodyConfig, type ChatLimits, type ProsodyLogLevel, type ProsodyPorts } from "./config.ts";

/** What {@link prepareProsodyDir} needs; all values already resolved by the caller. */
export interface PrepareOptions {
  host: string;
  ports: ProsodyPorts;
  /** Use this secret instead of the persisted one (it is then not written to disk). */
  componentSecret?: string | undefined;
  logLevel: ProsodyLogLevel;
  /** Chat limits for mod_deckcast_guard; default CHAT_LIMITS. */
  chat?: ChatLimits | undefined;
  /** Failed logins one address may make; default LOGIN_FAILURES (protocol/login-token.ts). */
  loginFailures?: { burst: number; windowSeconds: number } | undefined;
}

/** The result of {@link prepareProsodyDir}. */
export interface PreparedProsodyDir {
  paths: ProsodyPaths;
  componentSecret: string;
}

function isErrno(err: unknown, code: string): boolean {
  return err instanceof Error && (err as NodeJS.ErrnoException).code === code;
}

/**
 * Reads the component secret from `<dataDir>/prosody/component.secret`, creating it with a
 * crypto-random value (mode 0600) on first use so restarts keep the same secret.
 */
export async function loadOrCreateComponentSecret(paths: ProsodyPaths): Promise<string> {
  await mkdir(paths.dir, { recursive: true, mode: 0o700 });
  const fresh = randomBytes(24).toString("base64url");
  try {
    // "wx": two processes starting at once never overwrite each other's secret.
    await writeFile(paths.secret, `${fresh}\n`, { flag: "wx", mode: 0o600 });
    return fresh;
  } catch (err) {
    if (!isErrno(err, "EEXIST")) throw err;
  }
  const stored = (await readFile(paths.secret, "utf8")).trim();
  if (stored === "") throw new Error(`${paths.secret} is empty: delete it to generate a new component secret`);
  return stored;
}

/** Creates the folders, resolves the secret, and (re)writes the config file. */
export async function prepareProsodyDir(dataDir: string, opts: PrepareOptions): Promise<PreparedProsodyDir> {
  const paths = prosodyPaths(dataDir);
  await mkdir(paths.data, { recursive: true, mode: 0o700 });
  await mkdir(paths.certs, { recursive: true, mode: 0o700 });
  const componentSecret = opts.componentSecret ?? (await loadOrCreateComponentSecret(paths));
  const text = renderProsodyConfig({
    paths,
    host: opts.host,
    ports: opts.ports,
    componentSecret,
    logLevel: opts.logLevel,
    runAsRoot: process.getuid?.() === 0,
    chat: opts.chat ?? CHAT_LIMITS,
    ...(opts.loginFailures ? { loginFailures: opts.loginFailures } : {}),
    modulesDir: PROSODY_MODULES_DIR,
  });
  // The config holds the component secret: keep it private too.
  await writeFile(paths.config, text, { mode: 0o600 });
  return { paths, componentSecret };
}
