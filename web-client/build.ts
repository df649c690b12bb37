/**
 * Builds the web client with Vite when web-client/dist is missing or older than any of its
 * sources (web-client/, client-core/, protocol/, vite.config.ts, package-lock.json). `npm
 * start` runs it first (prestart); the end-to-end tests call `ensureWebClientBuilt()`. A lock
 * directory keeps two test workers from building at once.
 *
 * A second build makes the offline replay player, web-client/dist/replay-offline/replay.html
 * and replay.js (web-client/replay-offline/): one classic script with relative paths, since a
 * page opened from the disk (file://) may not load module scripts; the session zip's
 * download copies the two files (docs/archive.md §Download).
 *
 *   npx tsx web-client/build.ts [--force]
 */
import { copyFile, mkdir, readdir, rmdir, stat } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const dist = path.join(repo, "web-client", "dist");
const lock = path.join(repo, "web-client", ".build-lock");
const SOURCES = ["web-client/src", "web-client/index.html", "web-client/public", "web-client/replay-offline", "client-core", "protocol", "vite.config.ts", "package-lock.json"];
const OFFLINE_SRC = path.join(repo, "web-client", "replay-offline");
/** Where the offline replay player is built (replay.html + replay.js). */
export const OFFLINE_DIST = path.join(dist, "replay-offline");

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
  if (built === 0 || !(await stat(path.join(OFFLINE_DIST, "replay.js")).catch(() => null))) return true;
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
    await buildOffline(quiet);
    return true;
  } finally {
    await rmdir(lock).catch(() => undefined);
  }
}

/** The offline replay player: replay.js (one IIFE, no imports, no network) beside a copy of replay.html. */
async function buildOffline(quiet: boolean): Promise<void> {
  const { build } = await import("vite");
  const { transform } = await import("esbuild");
  const webRoot = path.join(repo, "web-client") + path.sep;
  await build({
    configFile: false,
    root: OFFLINE_SRC,
    base: "./",
    logLevel: quiet ? "error" : "warn",
    define: { "process.env.NODE_ENV": JSON.stringify("production") },
    plugins: [
      {
        // lit's standard decorators, lowered as vite.config.ts does for the main build.
        name: "deckcast-lower-decorators",
        enforce: "pre",
        async transform(code: string, id: string) {
          if (!id.startsWith(webRoot) || !id.endsWith(".ts") || !/@\w+\(/.test(code)) return null;
          const out = await transform(code, { loader: "ts", target: "es2022", sourcefile: id, sourcemap: true });
          return { code: out.code, map: out.map };
        },
      },
    ],
    build: {
      outDir: OFFLINE_DIST,
      emptyOutDir: true,
      target: "es2022",
      sourcemap: false,
      copyPublicDir: false,
      lib: { entry: path.join(OFFLINE_SRC, "main.ts"), formats: ["iife"], name: "deckcastReplay", fileName: () => "replay.js" },
    },
  });
  await copyFile(path.join(OFFLINE_SRC, "replay.html"), path.join(OFFLINE_DIST, "replay.html"));
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
