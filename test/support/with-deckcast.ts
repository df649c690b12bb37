/**
 * One deckcast for a test file: started before its tests, stopped after them together with
 * every client the tests connected through it.
 *
 * @example
 * const env = withDeckcast();
 * it("…", async () => { const alice = await env.user("alice"); … env.dc.component … });
 */
import { afterAll, beforeAll } from "vitest";
import { PASSWORD, startDeckcast, type TestDeckcast } from "./deckcast.ts";
import { connectGuest, connectUser, type TestClient } from "./xmpp.ts";

export function withDeckcast(opts: Parameters<typeof startDeckcast>[0] = {}) {
  let dc: TestDeckcast | undefined;
  const clients: TestClient[] = [];
  beforeAll(async () => {
    dc = await startDeckcast(opts);
  });
  afterAll(async () => {
    for (const c of clients) await c.stop();
    await dc?.stop();
  });
  const started = (): TestDeckcast => {
    if (!dc) throw new Error("deckcast is not started yet (use env.dc inside a test or hook)");
    return dc;
  };
  const keep = (c: TestClient) => (clients.push(c), c);
  return {
    get dc() {
      return started();
    },
    /** A logged-in account (alice or bob), stopped after the file's tests. */
    user: async (name: string) => keep(await connectUser(started().prosody, name, PASSWORD)),
    /** An anonymous guest, stopped after the file's tests. */
    guest: async () => keep(await connectGuest(started().prosody)),
  };
}
