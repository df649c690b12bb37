/**
 * The "wan" link's delaying TCP relay (run by test/support/netns.ts inside the router
 * namespace): listens on LISTEN_HOST:LISTEN_PORT, forwards each connection to
 * TARGET_HOST:TARGET_PORT, holds every chunk DELAY_MS each way (the kernel here has no netem),
 * and counts the bytes each way ("up": LAN → target, "down": target → LAN).
 *
 *   node netns-relay.mjs LISTEN_HOST LISTEN_PORT TARGET_HOST TARGET_PORT DELAY_MS
 *
 * First stdout line: {"listening":PORT}. Each "count" line on stdin is answered with
 * {"up":N,"down":N,"connections":N}. Plain JavaScript so it starts without tsx.
 */
import net from "node:net";
import readline from "node:readline";

const [listenHost, listenPortRaw, targetHost, targetPortRaw, delayRaw] = process.argv.slice(2);
const delayMs = Number(delayRaw ?? 0);
/** Bytes held in flight per direction of one connection before its source is paused. */
const HIGH_WATER = 1 << 20;
const totals = { up: 0, down: 0, connections: 0 };

/** Copies `from` to `to` with the delay, counting into totals[key]. */
function pipeDelayed(from, to, key) {
  let held = 0;
  let ended = false;
  let pending = 0;
  from.on("data", (chunk) => {
    totals[key] += chunk.length;
    held += chunk.length;
    pending++;
    if (held > HIGH_WATER) from.pause();
    setTimeout(() => {
      pending--;
      held -= chunk.length;
      if (!to.destroyed) to.write(chunk);
      if (held <= HIGH_WATER && from.isPaused()) from.resume();
      if (ended && pending === 0) to.end();
    }, delayMs);
  });
  from.on("end", () => {
    ended = true;
    if (pending === 0) setTimeout(() => to.end(), delayMs);
  });
}

const server = net.createServer((client) => {
  totals.connections++;
  const upstream = net.connect(Number(targetPortRaw), targetHost);
  // A link passes each segment on as it comes: the relay must not add Nagle's wait for an ACK
  // (with the receiver's delayed ACK, up to 40 ms on a chunk that follows a small one).
  client.setNoDelay(true);
  upstream.setNoDelay(true);
  const close = () => {
    client.destroy();
    upstream.destroy();
  };
  client.on("error", close);
  upstream.on("error", close);
  client.on("close", () => setTimeout(() => upstream.destroy(), delayMs + 50));
  upstream.on("close", () => setTimeout(() => client.destroy(), delayMs + 50));
  pipeDelayed(client, upstream, "up");
  pipeDelayed(upstream, client, "down");
});
server.listen(Number(listenPortRaw), listenHost, () => {
  process.stdout.write(JSON.stringify({ listening: server.address().port }) + "\n");
});
readline.createInterface({ input: process.stdin }).on("line", (line) => {
  if (line.trim() === "count") process.stdout.write(JSON.stringify(totals) + "\n");
});
process.stdin.on("end", () => process.exit(0));
process.on("SIGTERM", () => process.exit(0));
