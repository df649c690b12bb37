/**
 * Builds the browser client (web-client/) into web-client/dist, which the deckcast HTTP
 * server serves (server/http/web-client.ts). `npm run build:web` builds it; `npm start`
 * builds it first when it is missing or stale (web-client/build.ts).
 *
 * lit's decorators are TC39 standard decorators (`@property() accessor x`). Browsers do not
 * run them yet and Vite's own transformer only lowers the legacy kind, so web-client sources
 * that use them go through esbuild first (target ES2022).
 *
 * `npx vite` runs a dev server with hot reload that forwards the API, decks, uploads and the
 * XMPP WebSocket to a running `npm start` (DECKCAST_DEV_BACKEND, default http://127.0.0.1:8080).
 *
 * opus-recorder's decoder worker (for browsers without WebCodecs) is copied to
 * `/opus-recorder/` under its own name: workers must be same-origin, and it loads its .wasm
 * from beside itself. (Its encoder worklet is imported with `?url` and hashed like any asset.)
 */
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { transform } from "esbuild";
import { defineConfig, type Plugin } from "vite";

const root = fileURLToPath(new URL("./web-client/", import.meta.url));
const backend = process.env.DECKCAST_DEV_BACKEND ?? "http://127.0.0.1:8080";

function lowerDecorators(): Plugin {
  return {
    name: "deckcast-lower-decorators",
    enforce: "pre",
    async transform(code, id) {
      if (!id.startsWith(root) || !id.endsWith(".ts") || !/@\w+\(/.test(code)) return null;
      const out = await transform(code, { loader: "ts", target: "es2022", sourcefile: id, sourcemap: true });
      return { code: out.code, map: out.map };
    },
  };
}

function opusDecoderWorker(): Plugin {
  const dist = fileURLToPath(new URL("./node_modules/opus-recorder/dist/", import.meta.url));
  const files: Record<string, string> = { "decoderWorker.min.js": "text/javascript", "decoderWorker.min.wasm": "application/wasm" };
  return {
    name: "deckcast-opus-decoder-worker",
    generateBundle() {
      for (const name of Object.keys(files)) this.emitFile({ type: "asset", fileName: `opus-recorder/${name}`, source: readFileSync(dist + name) });
    },
    configureServer(server) {
      server.middlewares.use((req, res, next) => {
        const name = req.url?.startsWith("/opus-recorder/") ? req.url.slice("/opus-recorder/".length).split("?")[0]! : "";
        if (!files[name]) return next();
        res.setHeader("Content-Type", files[name]);
        res.end(readFileSync(dist + name));
      });
    },
  };
}

export default defineConfig({
  root,
  base: "/",
  plugins: [lowerDecorators(), opusDecoderWorker()],
  build: {
    outDir: "dist",
    emptyOutDir: true,
    target: "es2022",
    sourcemap: true,
    chunkSizeWarningLimit: 800,
  },
  server: {
    proxy: {
      "/api": backend,
      "/decks": backend,
      "/upload": backend,
      "/xmpp-websocket": { target: backend.replace(/^http/, "ws"), ws: true },
    },
  },
});
