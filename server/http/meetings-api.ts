/**
 * GET /api/meetings — the live meetings as JSON, for operators only (code, title, presenter,
 * page, last seq, occupants): join codes are listed to nobody else. Callers send the operator
 * token (operator.ts); /api/* also only answers for this server's own host names (app.ts).
 * The web client answers every page route itself.
 */
import express from "express";
import type { Meetings } from "../component/meetings.ts";
import type { HttpServer } from "./app.ts";
import { requireOperator } from "./operator.ts";

export function mountMeetingsApi(http: HttpServer, { meetings, operatorToken }: { meetings: Meetings; operatorToken: string }) {
  const router = express.Router();
  router.get("/api/meetings", requireOperator(operatorToken), (_req, res) => {
    res.set("Cache-Control", "no-store").json({
      meetings: meetings.all().map((m) => ({ code: m.code, title: m.state.title, room: m.room, presenter: m.state.presenter, page: m.state.page, seq: m.state.seq, occupants: m.occupants.size })),
    });
  });
  http.mount("/", router);
}
