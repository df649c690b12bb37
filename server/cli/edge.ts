/**
 * `deckcast edge --upstream URL [--lan] [--host H] [--port P] [--cache DIR] [--cache-mb N] [--token T]`:
 * an edge on the office LAN in front of a distant deckcast server (server/edge/edge.ts).
 * Followers on the LAN open the printed URL; the edge serves them the web client, carries
 * their XMPP up to the server and gives them deck images from its cache, fetched over the
 * uplink once. Runs until SIGINT or SIGTERM.
 */
import pino from "pino";
import { EdgeArgsError, readEdgeArgs } from "../edge/args.ts";
import { startEdge } from "../edge/edge.ts";
import { UsageError, type CliIO } from "./command.ts";

export const summary = "run an edge on the LAN in front of a distant deckcast server";
export const usage = ["edge --upstream URL [--lan] [--host H] [--port P] [--cache DIR] [--cache-mb N] [--token T]   (default port 8081)"];

export async function run(args: string[], io: CliIO): Promise<number> {
  let settings;
  try {
    settings = readEdgeArgs(args, io.env);
  } catch (err) {
    if (err instanceof EdgeArgsError) throw new UsageError(err.message);
    throw err;
  }
  const log = pino({ level: io.env.DECKCAST_LOG_LEVEL ?? "info" }, pino.destination(2));
  const edge = await startEdge({ ...settings, log });
  const where = edge.urls.length > 0 ? edge.urls : [`http://${settings.host}:${edge.port}`];
  io.stdout.write(`deckcast edge for ${settings.upstream}: followers open ${where.join(" or ")}\n`);
  if (!settings.token) io.stdout.write("  (no --token: not registered with the server, so its join page will not point here)\n");
  await new Promise<void>((resolve) => {
    process.once("SIGINT", resolve);
    process.once("SIGTERM", resolve);
  });
  await edge.stop();
  return 0;
}
