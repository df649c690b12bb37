/**
 * Builds the web client with Vite when web-client/dist is missing or older than any of its
 * sources (web-client/, protocol/, vite.config.ts, package-lock.json). `npm start` runs it
 * first (prestart); the end-to-end tests call `ensureWebClientBuilt()`. A lock directory
 * keeps two test workers from building at once.
 *
 *   npx tsx web-client/build.ts [--force]
 */
import { mkdir, readdir, rmdir, stat } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const dist = path.join(repo, "web-client", "dist");
const lock = path.join(repo, "web-client", ".build-lock");
const SOURCES = ["web-client/src", "web-client/index.html", "protocol", "vite.config.ts", "package-lock.json"];

async function newestMtime(p: string): Promise<number> {
  const s = await stat(p).catch(() => null);
  if (!s) return 0;
  if (!s.isDirectory()) return s.mtimeMs;
  let newest = s.mtimeMs;
  for (const entry of await readdir(p)) newest = Math.max(newest, await newestMtime(path.join(p, entry)));
  return newest;
}

export async function webClientStale(): Promise<boolean> {
  const built = (await stat(path.join(dist, "index.html")).catch(() => null))?.mtimeMs ?? 0;
  if (built === 0) return true;
  const sources = await Promise.all(SOURCES.map((s) => newestMtime(path.join(repo, s))));
  return Math.max(...sources) > built;
}

/** Builds unless dist is up to date; resolves with whether it built. */
export async function ensureWebClientBuilt({ force = false, quiet = false } = {}): Promise<boolean> {
  await acquireLock();
  try {
    if (!force && !(await webClientStale())) return false;
    const { build } = await import("vite");
    await build({ configFile: path.join(repo, "vite.config.ts"), logLevel: quiet ? "error" : "warn" });
    return true;
  } finally {
    await rmdir(lock).catch(() => undefined);
  }
}

async function acquireLock(): Promise<void> {
  const until = Date.now() + 120_000;
  for (;;) {
    try {
      await mkdir(lock);
      return;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
      // A lock older than two minutes was left by a build that died: take it over.
      const age = Date.now() - ((await stat(lock).catch(() => null))?.mtimeMs ?? 0);
      if (age > 120_000 || Date.now() > until) {
        await rmdir(lock).catch(() => undefined);
        continue;
      }
      await new Promise((r) => setTimeout(r, 200));
    }
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const built = await ensureWebClientBuilt({ force: process.argv.includes("--force") });
  process.stdout.write(built ? "web client built into web-client/dist\n" : "web client is up to date\n");
}
