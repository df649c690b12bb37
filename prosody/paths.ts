import { resolve, join } from "node:path";
import { fileURLToPath } from "node:url";

/** deckcast's own Prosody modules (`prosody/modules/`, next to this file), absolute. */
export const PROSODY_MODULES_DIR = fileURLToPath(new URL("./modules", import.meta.url));

/** Where Prosody's own files live inside a deckcast data directory (`<dataDir>/prosody/`). */
export interface ProsodyPaths {
  /** `<dataDir>/prosody`, absolute. */
  dir: string;
  /** The generated Lua config, rewritten on every start. */
  config: string;
  /** Prosody's `data_path`: accounts, rosters, room state. */
  data: string;
  /** Deliberately empty `certificates` folder: no certificate means no TLS is offered. */
  certs: string;
  /** Prosody's log file (the console only gets errors). */
  log: string;
  /** `pidfile` written by Prosody. */
  pid: string;
  /** Pid of the launcher (deckcast process) that started the Prosody named in `pid`. */
  owner: string;
  /** The XEP-0114 component secret, generated once and kept so restarts reuse it. */
  secret: string;
}

/** Resolves the Prosody file layout for a data directory (relative paths resolve against the cwd). */
export function prosodyPaths(dataDir: string): ProsodyPaths {
  const dir = join(resolve(dataDir), "prosody");
  return {
    dir,
    config: join(dir, "prosody.cfg.lua"),
    data: join(dir, "data"),
    certs: join(dir, "certs"),
    log: join(dir, "prosody.log"),
    pid: join(dir, "prosody.pid"),
    owner: join(dir, "launcher.pid"),
    secret: join(dir, "component.secret"),
  };
}
