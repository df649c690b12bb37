/**
 * Which XMPP server deckcast runs on, read from the environment (server/config.ts calls this):
 *
 *   DECKCAST_XMPP_SERVER            private     private: the supervised Prosody `npm start` launches
 *                                               (prosody/); external: an XMPP server run by someone
 *                                               else (the prosody container), reached over the network
 *   with external only:
 *   DECKCAST_XMPP_SERVER_HOST       (required)  its host name or address (`prosody` on a compose network)
 *   DECKCAST_XMPP_COMPONENT_PORT    5347        its XEP-0114 component port
 *   DECKCAST_XMPP_CLIENT_PORT       5222        its client (c2s) port: /healthz checks it answers
 *   DECKCAST_XMPP_HTTP_PORT         5280        its HTTP port, WebSocket at /xmpp-websocket (what
 *                                               deckcast's /xmpp-websocket and the phone bridge reach)
 *   DECKCAST_COMPONENT_SECRET_FILE  (none)      a file holding the component secret (a mounted secret):
 *                                               its first line, CR and LF dropped, exactly as the
 *                                               prosody image's entrypoint reads it; wins over …
 *   DECKCAST_COMPONENT_SECRET       (none)      … the secret itself; one of the two is required
 *
 * Every refusal is one line naming the setting (code "bad-setting"); the secret is never echoed.
 */
import { closeSync, constants, fstatSync, openSync, readSync } from "node:fs";

export type XmppServerSetting = { kind: "private" } | ExternalXmppSetting;

export interface ExternalXmppSetting {
  kind: "external";
  host: string;
  componentPort: number;
  clientPort: number;
  httpPort: number;
  componentSecret: string;
}

/** The external server's ports when they are not set: Prosody's usual ones. */
export const EXTERNAL_PORT_DEFAULTS = Object.freeze({ componentPort: 5347, clientPort: 5222, httpPort: 5280 });

/** A setting deckcast cannot run with; the message names it. */
export class SettingError extends Error {
  readonly code = "bad-setting";
}

/** The settings only an external server reads: set with a private one, they would be silently ignored. */
const EXTERNAL_ONLY = ["DECKCAST_XMPP_SERVER_HOST", "DECKCAST_XMPP_COMPONENT_PORT", "DECKCAST_XMPP_CLIENT_PORT", "DECKCAST_XMPP_HTTP_PORT"] as const;

/** Host names and addresses: letters, digits, dots, hyphens, colons (IPv6), or a bracketed IPv6 literal. */
const HOST_RE = /^(?:[A-Za-z0-9](?:[A-Za-z0-9.-]{0,251}[A-Za-z0-9])?|[0-9A-Fa-f:.]{2,45}|\[[0-9A-Fa-f:.]{2,45}\])$/;
/** Longest component secret accepted (Prosody's own have no limit; a longer one is a wrong file). */
const MAX_SECRET = 1024;

/** Reads DECKCAST_XMPP_SERVER and, for external, where the server is and its secret. Throws SettingError. */
/**
 * A secret file's first MAX_SECRET + 2 bytes, at most: a regular file only (a FIFO would block
 * the start, /dev/zero or a wrong huge file would fill memory).
 */
function readSecretFile(p: string): string {
  // O_NONBLOCK: opening a FIFO must not wait for a writer (a regular file is not affected).
  const fd = openSync(p, constants.O_RDONLY | constants.O_NONBLOCK);
  try {
    if (!fstatSync(fd).isFile()) throw Object.assign(new Error("not a regular file"), { code: "not a regular file" });
    const buf = Buffer.alloc(MAX_SECRET + 2);
    const n = readSync(fd, buf, 0, buf.length, 0);
    return buf.subarray(0, n).toString("utf8");
  } finally {
    closeSync(fd);
  }
}

export function readXmppServerSetting(env: NodeJS.ProcessEnv, readFile: (p: string) => string = readSecretFile): XmppServerSetting {
  const kind = env.DECKCAST_XMPP_SERVER === undefined || env.DECKCAST_XMPP_SERVER === "" ? "private" : env.DECKCAST_XMPP_SERVER;
  if (kind === "private") {
    const stray = EXTERNAL_ONLY.find((name) => env[name] !== undefined && env[name] !== "");
    if (stray) throw new SettingError(`${stray} is set, but DECKCAST_XMPP_SERVER is not external: set DECKCAST_XMPP_SERVER=external to use that server, or unset ${stray}`);
    return { kind: "private" };
  }
  if (kind !== "external") throw new SettingError(`DECKCAST_XMPP_SERVER must be private or external, got "${kind.slice(0, 40)}"`);

  const host = env.DECKCAST_XMPP_SERVER_HOST ?? "";
  if (host === "") throw new SettingError("DECKCAST_XMPP_SERVER_HOST must be set when DECKCAST_XMPP_SERVER=external (the XMPP server's host name or address)");
  if (!HOST_RE.test(host)) throw new SettingError(`DECKCAST_XMPP_SERVER_HOST must be a host name or an IP address, got "${host.slice(0, 60)}"`);
  return {
    kind: "external",
    host: host.replace(/^\[(.*)\]$/, "$1"),
    componentPort: port(env.DECKCAST_XMPP_COMPONENT_PORT, EXTERNAL_PORT_DEFAULTS.componentPort, "DECKCAST_XMPP_COMPONENT_PORT"),
    clientPort: port(env.DECKCAST_XMPP_CLIENT_PORT, EXTERNAL_PORT_DEFAULTS.clientPort, "DECKCAST_XMPP_CLIENT_PORT"),
    httpPort: port(env.DECKCAST_XMPP_HTTP_PORT, EXTERNAL_PORT_DEFAULTS.httpPort, "DECKCAST_XMPP_HTTP_PORT"),
    componentSecret: secret(env, readFile),
  };
}

function port(raw: string | undefined, fallback: number, name: string): number {
  if (raw === undefined || raw === "") return fallback;
  const n = /^\d{1,5}$/.test(raw) ? Number(raw) : NaN;
  if (!(n >= 1 && n <= 65535)) throw new SettingError(`${name} must be a port number from 1 to 65535, got "${raw.slice(0, 40)}"`);
  return n;
}

/**
 * The component secret: the file's first line (without CR/LF, as docker/prosody-entrypoint.sh
 * reads it: both sides must get the same secret from one file) when the file is named, else the variable.
 */
function secret(env: NodeJS.ProcessEnv, readFile: (p: string) => string): string {
  const file = env.DECKCAST_COMPONENT_SECRET_FILE;
  let value: string;
  let from: string;
  if (file !== undefined && file !== "") {
    from = "DECKCAST_COMPONENT_SECRET_FILE";
    try {
      value = readFile(file);
    } catch (err) {
      throw new SettingError(`DECKCAST_COMPONENT_SECRET_FILE names ${file}, which cannot be read (${(err as NodeJS.ErrnoException).code ?? "error"})`);
    }
    value = (value.split("\n")[0] ?? "").replace(/\r/g, "");
  } else {
    from = "DECKCAST_COMPONENT_SECRET";
    value = env.DECKCAST_COMPONENT_SECRET ?? "";
    if (value === "") throw new SettingError("DECKCAST_COMPONENT_SECRET or DECKCAST_COMPONENT_SECRET_FILE must be set when DECKCAST_XMPP_SERVER=external (the XMPP server's component secret)");
  }
  if (value.trim() === "") throw new SettingError(`${from} gives an empty component secret`);
  if (value.length > MAX_SECRET || /[\r\n\0]/.test(value)) throw new SettingError(`${from} must give the component secret as one line of at most ${MAX_SECRET} characters`);
  return value;
}
