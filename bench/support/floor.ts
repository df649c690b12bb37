/**
 * The benchmarks' floor: the least any web follower can do for a page turn, in the same
 * browsers, on the same machine, in the same run. A minimal presenter page sends the page
 * number over a raw WebSocket on keydown; a tiny relay passes it to every floor follower; each
 * floor follower has the deck's page images already decoded (as deckcast's prefetch has them)
 * and only draws the page on a canvas and waits for the frame that shows it. No XMPP, no MUC,
 * no component, no lit, no state: what is left is transport, one drawImage and a frame, which
 * deckcast's p50/p99 are compared against (`floor_*_ms`).
 *
 * This module holds the parts, whoever serves them: the pages' HTML, the browser script, the
 * WebSocket relay and the pages' URLs, all under FLOOR_BASE (/api/bench-floor/: the web client
 * answers every other HTML path with its own page). Two servers use them:
 * bench/support/glass-floor.ts mounts them on the glass bench's own stack, and
 * bench/support/lan-floor-server.ts serves them as a process of its own in the LAN bench's
 * "cloud" namespace. A follower page fetches its images same-origin at
 * /decks/<id>/pages/<n>.jpg?w= (protocol/deck-urls.ts), so whoever serves it serves those too.
 */
import type { IncomingMessage } from "node:http";
import type { Duplex } from "node:stream";
import { WebSocketServer, type WebSocket } from "ws";

export const FLOOR_BASE = "/api/bench-floor";
/** The relay's WebSocket path. */
export const FLOOR_WS_PATH = `${FLOOR_BASE}/ws`;

/** The floor's presenter or follower page (GET FLOOR_BASE/<role>.html). */
export function floorPage(role: "presenter" | "follower"): string {
  return `<!doctype html><html><head><meta charset="utf-8"><title>floor ${role}</title>
<style>html,body{margin:0;height:100%;background:#111}canvas{display:block;width:100vw;height:calc(100vw*9/16)}</style></head>
<body data-role="${role}"><canvas></canvas><script src="${FLOOR_BASE}/floor.js"></script></body></html>`;
}

/** Runs in the browser (GET FLOOR_BASE/floor.js): the floor's presenter and follower, in a dozen lines each. */
export const FLOOR_SCRIPT = `(() => {
  const role = document.body.dataset.role;
  const q = new URLSearchParams(location.search);
  const ws = new WebSocket((location.protocol === "https:" ? "wss://" : "ws://") + location.host + "${FLOOR_WS_PATH}");
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
  window.problems = []; window.pending = pages;
  ws.addEventListener("close", () => window.problems.push("socket closed"));
  // An image that fails or hangs (a busy server, a slow link, a keep-alive socket closed as it
  // was reused) is given up after 20 s, as deckcast's prefetcher gives up after 30, and asked for again.
  const load = (page, tries) => fetch("/decks/" + deck + "/pages/" + page + ".jpg?w=" + width, { signal: AbortSignal.timeout(20000) })
    .then((r) => { if (!r.ok) throw new Error("page " + page + ": HTTP " + r.status); return r.blob(); })
    .then(createImageBitmap).then((b) => { bitmaps.set(page, b); window.pending--; })
    .catch((e) => { window.problems.push(String(e)); if (tries <= 1) throw e; return new Promise((r) => setTimeout(r, 1000)).then(() => load(page, tries - 1)); });
  Promise.all(Array.from({ length: pages }, (_, i) => load(i + 1, 10)))
    .then(() => { window.ready = ws.readyState === 1; ws.onopen = () => { window.ready = true; }; });
  ws.onmessage = (m) => {
    const page = Number(m.data);
    const b = bitmaps.get(page);
    if (!b) return;
    ctx.drawImage(b, 0, 0, canvas.width, canvas.height);
    requestAnimationFrame(() => window.paints.push({ page, at: performance.timeOrigin + performance.now() }));
  };
})();`;

/** The floor's static answers by path (without query): HTML or JavaScript, or undefined. */
export function floorAsset(pathname: string): { type: "html" | "js"; body: string } | undefined {
  if (pathname === `${FLOOR_BASE}/presenter.html`) return { type: "html", body: floorPage("presenter") };
  if (pathname === `${FLOOR_BASE}/follower.html`) return { type: "html", body: floorPage("follower") };
  if (pathname === `${FLOOR_BASE}/floor.js`) return { type: "js", body: FLOOR_SCRIPT };
  return undefined;
}

export interface FloorRelay {
  /** Takes an upgrade request for FLOOR_WS_PATH (owns `socket` from then on). */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void;
  /** Drops every page's socket. */
  stop(): void;
}

/** The relay: whatever a page sends (a page number, at most 64 bytes) goes to every other page at once. */
export function floorRelay(): FloorRelay {
  const wss = new WebSocketServer({ noServer: true, maxPayload: 64 });
  const peers = new Set<WebSocket>();
  wss.on("connection", (ws) => {
    peers.add(ws);
    ws.on("close", () => peers.delete(ws));
    ws.on("error", () => ws.terminate());
    ws.on("message", (data) => {
      for (const p of peers) if (p !== ws && p.readyState === p.OPEN) p.send(String(data));
    });
  });
  return {
    handleUpgrade: (req, socket, head) => wss.handleUpgrade(req, socket, head, (ws) => wss.emit("connection", ws, req)),
    stop() {
      for (const p of peers) p.terminate();
      wss.close();
    },
  };
}

/** The floor presenter page's URL on `origin`, starting at `page`. */
export function floorPresenterUrl(origin: string, page: number): string {
  return `${origin}${FLOOR_BASE}/presenter.html?page=${page}`;
}

/** A floor follower page's URL on `origin`: it decodes pages 1..pages of `deck` at `width`. */
export function floorFollowerUrl(origin: string, opts: { deck: string; pages: number; width: number }): string {
  return `${origin}${FLOOR_BASE}/follower.html?deck=${opts.deck}&pages=${opts.pages}&w=${opts.width}`;
}
