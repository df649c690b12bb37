/**
 * GET / — until the web client lands, a plain page that says the server is up, lists the
 * live meetings and tells how to connect an XMPP client. GET /api/meetings gives the same as JSON.
 */
import express from "express";
import type { Meetings } from "../component/meetings.ts";
import type { Domains } from "../component/lifecycle.ts";
import type { HttpServer } from "./app.ts";

export function mountStatusPage(http: HttpServer, { meetings, domains, websocketUrl }: { meetings: Meetings; domains: Domains; websocketUrl: string }) {
  const router = express.Router();
  const list = () =>
    meetings.all().map((m) => ({ code: m.code, title: m.state.title, room: m.room, presenter: m.state.presenter, page: m.state.page, seq: m.state.seq, occupants: m.occupants.size }));
  router.get("/api/meetings", (_req, res) => {
    res.json({ meetings: list() });
  });
  router.get("/", (_req, res) => {
    const rows = list()
      .map((m) => `<tr><td><code>${esc(m.code)}</code></td><td>${esc(m.title)}</td><td>${esc(m.presenter ?? "")}</td><td>${m.page}</td><td>${m.occupants}</td></tr>`)
      .join("");
    res.type("html").send(`<!doctype html><html lang="en"><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>deckcast</title><style>body{font:16px/1.5 system-ui,sans-serif;max-width:48rem;margin:2rem auto;padding:0 1rem}table{border-collapse:collapse;width:100%}td,th{border-bottom:1px solid #ddd;padding:.3rem;text-align:left}</style>
<h1>deckcast is running</h1>
<p>XMPP accounts live on <code>${esc(domains.accounts)}</code>, guests on <code>${esc(domains.guests)}</code>, meetings on <code>${esc(domains.muc)}</code>.
WebSocket: <code>${esc(websocketUrl)}</code>. The wire protocol is in <code>docs/protocol.md</code>.</p>
<h2>Live meetings</h2>
<table><tr><th>code</th><th>title</th><th>presenter</th><th>page</th><th>occupants</th></tr>${rows || '<tr><td colspan="5">none yet</td></tr>'}</table>`);
  });
  http.mount("/", router);
}

function esc(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
