#!/usr/bin/env node
// The `deckcast` command (package.json "bin"). Runs the TypeScript CLI in ./main.ts through
// tsx's loader. Everything is resolved from this file's location, not the working
// directory, so it works from the repo root (`npx deckcast ...`) and from anywhere else.
import { fileURLToPath } from "node:url";
import { register } from "tsx/esm/api";

register({ tsconfig: fileURLToPath(new URL("../../tsconfig.json", import.meta.url)) });
const { main } = await import(new URL("./main.ts", import.meta.url).href);
process.exitCode = await main(process.argv.slice(2));
