/**
 * The XMPP server deckcast runs on, as the rest of the server sees it: an adapter interface.
 * Prosody implements it today (prosody/xmpp-server.ts); nothing outside prosody/ reads
 * Prosody's files or calls its launcher, so another server (ejabberd) needs only a new adapter.
 */

/** Where the XMPP server stands: `running` is the only healthy state. */
export interface XmppHealth {
  state: "starting" | "running" | "restarting" | "failed" | "stopped";
  /** Restarts attempted since the launch. */
  restarts: number;
  /** Pid of the running server, null while none runs. */
  pid: number | null;
  /** The most restarts its supervision allows in its window. */
  maxRestarts: number;
}

/** The domains one deckcast XMPP server serves. */
export interface XmppDomains {
  /** Registered accounts (presenters), e.g. `localhost`. */
  accounts: string;
  /** Anonymous logins (followers), e.g. `guest.localhost`. */
  guests: string;
  /** MUC service holding the meeting rooms, e.g. `rooms.localhost`. */
  muc: string;
  /** The deckcast XEP-0114 external component, e.g. `deckcast.localhost`. */
  component: string;
}

/** Usernames deckcast accepts for presenter accounts: lower case, so no server's nodeprep changes them. */
export const USERNAME_RE = /^[a-z0-9][a-z0-9._-]{0,63}$/;

/**
 * The XMPP server's presenter accounts on one account domain. Works whether or not the
 * server runs (the CLI's `deckcast user` uses it on a stopped server's data).
 */
export interface XmppAccounts {
  /** Creates the account `user@<accounts domain>`, or sets its password if it exists. */
  addUser(user: string, password: string): Promise<void>;
  hasUser(user: string): Promise<boolean>;
  /** The account names (without the domain), sorted; [] when there are none yet. */
  listUsers(): Promise<string[]>;
}

/** A running XMPP server. */
export interface XmppServer {
  domains: XmppDomains;
  /** Where the XEP-0114 component connects, e.g. `xmpp://127.0.0.1:5347`. */
  componentService: string;
  componentSecret: string;
  /** Where XMPP clients connect over TCP, e.g. `xmpp://127.0.0.1:5222`. */
  clientService: string;
  /** The loopback port of the server's XMPP WebSocket (what the HTTP proxy forwards to). */
  websocketPort: number;
  /** e.g. `ws://127.0.0.1:5280/xmpp-websocket`. */
  websocketUrl: string;
  /** The server's own log file (named in console lines when it goes down). */
  logPath: string;
  /** The folder the server keeps its stored data in (accounts, login tokens): tests check what is written there. */
  storageDir: string;
  /** Creates the account `user@<accounts domain>` (or resets its password). */
  register(user: string, password: string): Promise<void>;
  /** The presenter accounts on `domains.accounts`. */
  accounts: XmppAccounts;
  health(): XmppHealth;
  /** Calls `listener` on every change of health; returns the unsubscribe. */
  onHealth(listener: (h: XmppHealth) => void): () => void;
  /** Stops the server (no restart after this); resolves when it is gone. Idempotent. */
  stop(): Promise<void>;
}
