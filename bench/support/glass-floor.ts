/**
 * The glass benchmark's floor: the least any web follower can do for a page turn, in the
 * same browsers, on the same machine, in the same run. A minimal presenter page sends the page
 * number over a raw WebSocket on keydown; a tiny relay in this process passes it to every
 * floor follower; each floor follower has the deck's page images already decoded (as
 * deckcast's prefetch has them) and only draws the page on a canvas and waits for the frame
 * that shows it. No XMPP, no MUC, no component, no lit, no state: what is left is transport,
 * one drawImage and a frame, which deckcast's p50/p99 are compared against (`floor_*_ms`).
 *
 * Mounted on the benchmark's own stack (its HTTP server) under /api/ (the web client answers
 * every other HTML path with its own page): GET /api/bench-floor/{presenter,follower}.html and
 * floor.js (same origin, so the server's CSP allows the script), and the WebSocket
 * /api/bench-floor/ws.
 */
import express from "express";
import { WebSocketServer, type WebSocket } from "ws";
import type { HttpServer } from "../../server/http/app.ts";

const PAGE = (role: string) => `<!doctype html><html><head><meta charset="utf-8"><title>floor ${role}</title>
<style>html,body{margin:0;height:100%;background:#111}canvas{display:block;width:100vw;height:calc(100vw*9/16)}</style></head>
<body data-role="${role}"><canvas></canvas><script src="/api/bench-floor/floor.js"></script></body></html>`;

/** Runs in the browser: the floor's presenter and follower, in a dozen lines each. */
const SCRIPT = `(() => {
  const role = document.body.dataset.role;
  const q = new URLSearchParams(location.search);
  const ws = new WebSocket((location.protocol === "https:" ? "wss://" : "ws://") + location.host + "/api/bench-floor/ws");
  window.paints = []; window.keys = []; window.ready = false;
  if (role === "presenter") {
    let page = Number(q.get("page") || 1);
    window.addEventListener("keydown", (e) => {
      page += e.key === "ArrowLeft" ? -1 : 1;
      window.keys.push(performance.timeOrigin + e.timeStamp);
      ws.send(String(page));
    }, { capture: true });
    ws.onopen = () => { window.ready = true; };
    return;
  }
  const canvas = document.querySelector("canvas");
  const ctx = canvas.getContext("2d");
  canvas.width = Math.round(canvas.clientWidth * devicePixelRatio);
  canvas.height = Math.round(canvas.clientHeight * devicePixelRatio);
  const deck = q.get("deck"), pages = Number(q.get("pages")), width = Number(q.get("w"));
  const bitmaps = new Map();
  Promise.all(Array.from({ length: pages }, (_, i) => fetch("/decks/" + deck + "/pages/" + (i + 1) + ".jpg?w=" + width)
    .then((r) => r.blob()).then(createImageBitmap).then((b) => bitmaps.set(i + 1, b))))
    .then(() => { window.ready = ws.readyState === 1; ws.onopen = () => { window.ready = true; }; });
  ws.onmessage = (m) => {
    const page = Number(m.data);
    const b = bitmaps.get(page);
    if (!b) return;
    ctx.drawImage(b, 0, 0, canvas.width, canvas.height);
    requestAnimationFrame(() => window.paints.push({ page, at: performance.timeOrigin + performance.now() }));
  };
})();`;

export interface GlassFloor {
  /** The floor pages' URLs on the stack's origin. */
  presenterUrl(page: number): string;
  followerUrl(opts: { deck: string; pages: number; width: number }): string;
  stop(): void;
}

export function mountGlassFloor(http: HttpServer, origin: string): GlassFloor {
  const router = express.Router();
  router.get("/presenter.html", (_req, res) => void res.type("html").send(PAGE("presenter")));
  router.get("/follower.html", (_req, res) => void res.type("html").send(PAGE("follower")));
  router.get("/floor.js", (_req, res) => void res.type("js").send(SCRIPT));
  http.mount("/api/bench-floor", router);

  const wss = new WebSocketServer({ noServer: true, maxPayload: 64 });
  const peers = new Set<WebSocket>();
  wss.on("connection", (ws) => {
    peers.add(ws);
    ws.on("close", () => peers.delete(ws));
    // The relay: whatever a page sends (a page number) goes to every other page at once.
    ws.on("message", (data) => {
      for (const p of peers) if (p !== ws && p.readyState === p.OPEN) p.send(String(data));
    });
  });
  const off = http.upgrade("/api/bench-floor/ws", (req, socket, head) => wss.handleUpgrade(req, socket, head, (ws) => wss.emit("connection", ws, req)));
  return {
    presenterUrl: (page) => `${origin}/api/bench-floor/presenter.html?page=${page}`,
    followerUrl: ({ deck, pages, width }) => `${origin}/api/bench-floor/follower.html?deck=${deck}&pages=${pages}&w=${width}`,
    stop() {
      off();
      for (const p of peers) p.terminate();
      wss.close();
    },
  };
}
