/**
 * GET /api/meetings — the live meetings as JSON, for operators (code, title, presenter,
 * page, last seq, occupants). The web client answers every page route itself.
 */
import express from "express";
import type { Meetings } from "../component/meetings.ts";
import type { HttpServer } from "./app.ts";

export function mountMeetingsApi(http: HttpServer, { meetings }: { meetings: Meetings }) {
  const router = express.Router();
  router.get("/api/meetings", (_req, res) => {
    res.json({
      meetings: meetings.all().map((m) => ({ code: m.code, title: m.state.title, room: m.room, presenter: m.state.presenter, page: m.state.page, seq: m.state.seq, occupants: m.occupants.size })),
    });
  });
  http.mount("/", router);
}
