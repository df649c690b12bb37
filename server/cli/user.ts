/**
 * `deckcast user add NAME [--password P]` and `deckcast user list`: presenter accounts of
 * the XMPP server of the data dir. Reads the server's own settings (server/config.ts):
 * DECKCAST_DATA_DIR (default ./data) and DECKCAST_XMPP_HOST (default localhost). The
 * accounts are the XMPP server adapter's (`xmppAccounts` in server/deckcast.ts), which work
 * whether or not the server is running (Prosody: prosodyctl on the generated config).
 * With DECKCAST_XMPP_SERVER=external the accounts are that server's: both subcommands say how
 * to manage them there (prosodyctl on the prosody container) and exit 1.
 */
import { randomBytes } from "node:crypto";
import { parseArgs, type ParseArgsConfig } from "node:util";
import { readConfig } from "../config.ts";
import { xmppAccounts } from "../deckcast.ts";
import { USERNAME_RE } from "../xmpp-server.ts";
import { externalAccountsHelp } from "../xmpp-external.ts";
import { UsageError, type CliIO } from "./command.ts";

export const summary = "manage presenter accounts";
export const usage = ["user add NAME [--password P]   (a password is generated and printed once if omitted)", "user list"];

function parse(args: string[], options: ParseArgsConfig["options"] = {}) {
  try {
    return parseArgs({ args, options, allowPositionals: true, strict: true });
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
}

async function add(args: string[], io: CliIO): Promise<number> {
  const { values, positionals } = parse(args, { password: { type: "string" } });
  const [name, ...extra] = positionals;
  if (name === undefined) throw new UsageError("missing NAME");
  if (extra.length > 0) throw new UsageError(`unexpected argument '${extra[0]}'`);
  if (!USERNAME_RE.test(name)) throw new UsageError(`invalid NAME '${name}': use 1-64 of a-z 0-9 . _ - (lower case)`);
  const given = values.password;
  if (typeof given === "string" && (given === "" || /[\r\n]/.test(given))) {
    throw new UsageError("--password must be non-empty and on one line");
  }

  const config = readConfig(io.env);
  const { dataDir, xmppHost } = config;
  if (config.xmppServer.kind === "external") return external(io, xmppHost, name);
  const accounts = xmppAccounts(config);
  if (await accounts.hasUser(name)) {
    io.stderr.write(`deckcast user: ${name}@${xmppHost} already exists (data dir ${dataDir})\n`);
    return 1;
  }
  const password = typeof given === "string" ? given : randomBytes(12).toString("base64url");
  await accounts.addUser(name, password);
  io.stdout.write(`created ${name}@${xmppHost} in ${dataDir}\n`);
  if (given === undefined) io.stdout.write(`password: ${password}\n(shown once: note it now)\n`);
  return 0;
}

async function list(args: string[], io: CliIO): Promise<number> {
  const { positionals } = parse(args);
  if (positionals.length > 0) throw new UsageError(`unexpected argument '${positionals[0]}'`);
  const config = readConfig(io.env);
  const { dataDir, xmppHost } = config;
  if (config.xmppServer.kind === "external") return external(io, xmppHost);
  const names = await xmppAccounts(config).listUsers();
  if (names.length === 0) io.stderr.write(`(no accounts for ${xmppHost} in ${dataDir})\n`);
  for (const name of names) io.stdout.write(`${name}@${xmppHost}\n`);
  return 0;
}

/** An external XMPP server keeps its own accounts: say how to manage them there. */
function external(io: CliIO, domain: string, name?: string): number {
  io.stderr.write(`deckcast user: ${externalAccountsHelp(domain, name)}\n`);
  return 1;
}

/** Entry point called by the dispatcher with the arguments after `user`. */
export async function run(args: string[], io: CliIO): Promise<number> {
  const [sub, ...rest] = args;
  if (sub === "add") return add(rest, io);
  if (sub === "list") return list(rest, io);
  throw new UsageError(sub === undefined ? "missing subcommand" : `unknown subcommand '${sub}'`);
}
