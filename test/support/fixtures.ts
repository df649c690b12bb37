/**
 * The shared fixture files (`../shared/fixtures`, beside the repo, never copied into it), found
 * one way by every test. A checkout without them skips the tests that need them and says so
 * in the test names and on the console; under CI=true a missing fixture is a failing test that
 * names the file, so CI can never pass by skipping quietly. DECKCAST_FIXTURES_DIR points
 * elsewhere (e.g. at an empty folder, to see what a checkout without them does).
 *
 *   const need = needFixtures("bench/deck5.pptx");
 *   const [DECK] = need.paths;
 *   describe.skipIf(need.skip)(`a live meeting${need.note}`, () => { ... });
 */
import { existsSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { it } from "vitest";

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
/** Where the shared fixtures live, whether or not this checkout has them. */
export const FIXTURES_DIR = path.resolve(process.env.DECKCAST_FIXTURES_DIR || path.join(repoRoot, "../shared/fixtures"));

/** The absolute path of `../shared/fixtures/<rel>` (e.g. "decks/tbl-cell.pptx"); it may not exist. */
export function fixture(rel: string): string {
  return path.join(FIXTURES_DIR, rel);
}

export interface NeededFixtures {
  /** Absolute paths of the fixtures asked for, in the order asked. */
  paths: string[];
  /** The ones this checkout lacks (as asked, relative to the fixtures folder). */
  missing: string[];
  /** True when any is missing: skip the tests that need them (`describe.skipIf(need.skip)`). */
  skip: boolean;
  /** For a test or describe name: " (skipped: … missing)" when skipping, else "". */
  note: string;
}

/**
 * The fixtures a test file (or describe block) needs. Call it while tests are collected (at
 * the top of the file or in a describe body). When some are missing it warns, naming them,
 * and under CI=true it also registers a test that fails naming them; skip the tests that
 * need the fixtures with `skip`.
 */
export function needFixtures(...rels: string[]): NeededFixtures {
  const paths = rels.map(fixture);
  const missing = rels.filter((_, i) => !existsSync(paths[i]!));
  if (missing.length === 0) return { paths, missing, skip: false, note: "" };
  const what = `shared fixture${missing.length > 1 ? "s" : ""} ${missing.map((m) => fixture(m)).join(", ")} missing`;
  if (process.env.CI === "true") {
    it(`the shared fixtures are present (CI=true)`, () => {
      throw new Error(`${what}: CI must provide them`);
    });
  } else {
    console.warn(`skipping tests that need them: ${what} (../shared/fixtures beside the repo)`);
  }
  return { paths, missing, skip: true, note: ` (skipped: ${what})` };
}
