/**
 * `npm run bench -- <name> [options]`: runs one benchmark (or all with no name), prints a
 * table and writes bench/results/<name>.json. Benchmarks are not tests: they measure.
 */
const benches: Record<string, () => Promise<{ default: (args: string[]) => Promise<void> }>> = {
  fanout: () => import("./fanout.ts"),
  convert: () => import("./convert.ts"),
  glass: () => import("./glass.ts"),
  audio: () => import("./audio.ts"),
  replay: () => import("./replay.ts"),
  export: () => import("./export.ts"),
  phone: () => import("./phone.ts"),
  lan: () => import("./lan.ts"),
};

const [name, ...args] = process.argv.slice(2);
const names = name ? [name] : Object.keys(benches);
for (const n of names) {
  const load = benches[n];
  if (!load) {
    process.stderr.write(`unknown benchmark "${n}"; choose one of: ${Object.keys(benches).join(", ")}\n`);
    process.exit(2);
  }
  process.stdout.write(`\n== ${n} ==\n`);
  await (await load()).default(args);
}
