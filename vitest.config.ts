import { defineConfig } from "vitest/config";

// Integration tests start real Prosody/LibreOffice/Chromium processes: give them time,
// and keep files in separate forks so a crash in one never hides another's result.
export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: "forks",
    fileParallelism: true,
    maxWorkers: 2,
    // .ci/run asks for a JSON report to print its closing "N passed, N failed" line.
    reporters: process.env.DECKCAST_VITEST_JSON ? ["default", "json"] : ["default"],
    outputFile: process.env.DECKCAST_VITEST_JSON ? { json: process.env.DECKCAST_VITEST_JSON } : {},
  },
});
