/**
 * The glass benchmark's floor (bench/support/floor.ts says what the floor is), mounted on the
 * benchmark's own stack, its HTTP server, under /api/ (the web client answers every other
 * HTML path with its own page): GET /api/bench-floor/{presenter,follower}.html and floor.js
 * (same origin, so the server's CSP allows the script), and the WebSocket /api/bench-floor/ws.
 * The follower pages' images are the stack's own /decks/<id>/pages/<n>.jpg?w=.
 */
import express from "express";
import type { HttpServer } from "../../server/http/app.ts";
import { FLOOR_BASE, FLOOR_WS_PATH, floorAsset, floorFollowerUrl, floorPresenterUrl, floorRelay } from "./floor.ts";

export interface GlassFloor {
  /** The floor pages' URLs on the stack's origin. */
  presenterUrl(page: number): string;
  followerUrl(opts: { deck: string; pages: number; width: number }): string;
  stop(): void;
}

export function mountGlassFloor(http: HttpServer, origin: string): GlassFloor {
  const router = express.Router();
  for (const file of ["presenter.html", "follower.html", "floor.js"]) {
    const asset = floorAsset(`${FLOOR_BASE}/${file}`)!;
    router.get(`/${file}`, (_req, res) => void res.type(asset.type).send(asset.body));
  }
  http.mount(FLOOR_BASE, router);

  const relay = floorRelay();
  const off = http.upgrade(FLOOR_WS_PATH, (req, socket, head) => relay.handleUpgrade(req, socket, head));
  return {
    presenterUrl: (page) => floorPresenterUrl(origin, page),
    followerUrl: (opts) => floorFollowerUrl(origin, opts),
    stop() {
      off();
      relay.stop();
    },
  };
}
