/**
 * The deckcast HTTP server: one express app on loopback (or the configured interface)
 * that features mount their routers on. Features call `mount(path, router)`; the entry
 * point owns listening and shutdown.
 */
import http from "node:http";
import type { AddressInfo } from "node:net";
import express, { type Router } from "express";
import type { Logger } from "pino";

export interface HttpServer {
  app: express.Express;
  /** Mounts a feature's router under `path` (e.g. "/decks"). */
  mount(path: string, router: Router): void;
  /** Starts listening; resolves with the bound port. */
  listen(port: number, host?: string): Promise<number>;
  /** The http.Server, for upgrade handlers (WebSocket proxy, phone bridge). */
  server: http.Server;
  close(): Promise<void>;
}

export function createHttpServer({ log }: { log: Logger }): HttpServer {
  const app = express();
  app.disable("x-powered-by");
  const server = http.createServer(app);
  // A mounted router must be added before the catch-alls below: collect them first.
  const feature = express.Router();
  app.use(feature);
  app.get("/healthz", (_req, res) => {
    res.json({ ok: true });
  });

  return {
    app,
    server,
    mount(path, router) {
      feature.use(path, router);
    },
    listen(port, host = "127.0.0.1") {
      return new Promise((resolve, reject) => {
        server.once("error", reject);
        server.listen(port, host, () => {
          server.off("error", reject);
          const bound = (server.address() as AddressInfo).port;
          log.info({ port: bound, host }, "http listening");
          resolve(bound);
        });
      });
    },
    close() {
      return new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      });
    },
  };
}
