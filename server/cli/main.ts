/**
 * `deckcast <command> [args]`: maps command names to modules loaded on demand, so a
 * command's dependencies (Prosody tooling, LibreOffice, ...) load only when it runs.
 */
import type { CliIO, CommandModule } from "./command.ts";
import { UsageError } from "./command.ts";

/** Loads a command module by relative specifier (for modules that may not exist yet). */
const load = (specifier: string): Promise<CommandModule> => import(specifier) as Promise<CommandModule>;

/**
 * The commands. To add one, export {@link CommandModule}'s members from a module here.
 * `convert` is added by another change: once server/cli/convert.ts exists, it may become
 * `() => import("./convert.ts")` like `user`.
 */
export const commands: Record<string, { file: string; load: () => Promise<CommandModule> }> = {
  user: { file: "user.ts", load: () => import("./user.ts") },
  archive: { file: "archive.ts", load: () => import("./archive.ts") },
  export: { file: "export.ts", load: () => import("./export.ts") },
  convert: { file: "convert.ts", load: () => load("./convert.ts") },
  bridge: { file: "bridge.ts", load: () => import("./bridge.ts") },
  edge: { file: "edge.ts", load: () => import("./edge.ts") },
  discover: { file: "discover.ts", load: () => import("./discover.ts") },
};

const processIO: CliIO = { stdout: process.stdout, stderr: process.stderr, env: process.env };

function isMissingModule(err: unknown, file: string): boolean {
  const e = err as NodeJS.ErrnoException;
  return e?.code === "ERR_MODULE_NOT_FOUND" && typeof e.message === "string" && e.message.includes(file);
}

function messageOf(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const cause = err.cause instanceof Error && !err.message.includes(err.cause.message) ? ` (${err.cause.message.trim()})` : "";
  return err.message + cause;
}

/** Calls whichever entry point the module has (see {@link CommandModule}). */
function runCommand(name: string, mod: CommandModule, args: string[], io: CliIO): Promise<number> {
  if (typeof mod.run === "function") return mod.run(args, io);
  if (typeof mod.default === "function") return mod.default(args);
  throw new Error(`the '${name}' command module exports neither run() nor a default function`);
}

async function help(io: CliIO): Promise<void> {
  io.stdout.write("usage: deckcast <command> [args]\n\ncommands:\n");
  for (const [name, { file, load: loadCommand }] of Object.entries(commands)) {
    try {
      const mod = await loadCommand();
      io.stdout.write(`  ${name.padEnd(10)} ${mod.summary ?? `see: deckcast ${name} --help`}\n`);
      for (const line of mod.usage ?? []) io.stdout.write(`      deckcast ${line}\n`);
    } catch (err) {
      if (!isMissingModule(err, file)) throw err;
      io.stdout.write(`  ${name.padEnd(10)} (not available in this build)\n`);
    }
  }
}

/** Runs the CLI with `argv` (without node and script); resolves with the exit code. */
export async function main(argv: string[], io: CliIO = processIO): Promise<number> {
  const [name, ...args] = argv;
  try {
    if (name === "-h" || name === "--help" || name === "help") {
      await help(io);
      return 0;
    }
    const entry = name === undefined ? undefined : commands[name];
    if (name === undefined || entry === undefined) {
      io.stderr.write(name === undefined ? "deckcast: no command given\n" : `deckcast: unknown command '${name}'\n`);
      io.stderr.write(`usage: deckcast <${Object.keys(commands).join("|")}> [args]   (deckcast --help for more)\n`);
      return 2;
    }
    let mod: CommandModule;
    try {
      mod = await entry.load();
    } catch (err) {
      if (!isMissingModule(err, entry.file)) throw err;
      io.stderr.write(`deckcast: the '${name}' command is not available in this build (server/cli/${entry.file} is missing)\n`);
      return 1;
    }
    try {
      return await runCommand(name, mod, args, io);
    } catch (err) {
      if (!(err instanceof UsageError)) throw err;
      io.stderr.write(`deckcast ${name}: ${err.message}\n`);
      for (const line of mod.usage ?? []) io.stderr.write(`usage: deckcast ${line}\n`);
      return 2;
    }
  } catch (err) {
    io.stderr.write(`deckcast: ${messageOf(err)}\n`);
    return 1;
  }
}
