/**
 * Prosody behind deckcast's XMPP server adapter (server/xmpp-server.ts): starts the private,
 * supervised Prosody (launcher.ts) and presents it as an `XmppServer`. The composition root
 * (server/deckcast.ts) starts the XMPP server only through this; `prosodyAccounts` is the
 * adapter's accounts part on its own, for a Prosody that may not be running (the CLI).
 */
import type { XmppServer } from "../server/xmpp-server.ts";
import { prosodyAccounts } from "./accounts.ts";
import { startProsody, type ProsodyOptions, type RunningProsody } from "./launcher.ts";
import { prosodyPaths } from "./paths.ts";

export { prosodyAccounts };

/** A Prosody seen as an XmppServer; `prosody` is the launcher's handle (tests and benchmarks reach its ports). */
export interface ProsodyXmppServer extends XmppServer {
  prosody: RunningProsody;
}

/** Presents a started Prosody as an XmppServer. */
export function prosodyXmppServer(prosody: RunningProsody, dataDir: string): ProsodyXmppServer {
  const paths = prosodyPaths(dataDir);
  return {
    prosody,
    domains: prosody.domains,
    componentService: `xmpp://127.0.0.1:${prosody.ports.component}`,
    componentSecret: prosody.componentSecret,
    clientService: `xmpp://127.0.0.1:${prosody.ports.c2s}`,
    websocketPort: prosody.ports.http,
    websocketUrl: prosody.websocketUrl,
    logPath: paths.log,
    storageDir: paths.data,
    register: (user, password) => prosody.register(user, password),
    accounts: prosodyAccounts(dataDir, prosody.domains.accounts),
    health: () => prosody.health(),
    onHealth: (listener) => prosody.onHealth(listener),
    stop: () => prosody.stop(),
  };
}

/** Starts a private Prosody on `opts.dataDir` and returns it as an XmppServer. */
export async function startProsodyServer(opts: ProsodyOptions): Promise<ProsodyXmppServer> {
  return prosodyXmppServer(await startProsody(opts), opts.dataDir);
}
