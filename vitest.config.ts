import { defineConfig } from "vitest/config";

// Integration tests start real Prosody/LibreOffice/Chromium processes: give them time,
// and keep files in separate forks so a crash in one never hides another's result.
// Browser tests play and time real audio in Chromium: they run one file at a time, after
// the rest, so LibreOffice converting in another test file never starves them of CPU.
export default defineConfig({
  test: {
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: "forks",
    // .ci/run asks for a JSON report to print its closing "N passed, N failed" line.
    reporters: process.env.DECKCAST_VITEST_JSON ? ["default", "json"] : ["default"],
    outputFile: process.env.DECKCAST_VITEST_JSON ? { json: process.env.DECKCAST_VITEST_JSON } : {},
    projects: [
      {
        extends: true,
        test: { name: "core", include: ["test/unit/**/*.test.ts", "test/integration/**/*.test.ts"], maxWorkers: 2, sequence: { groupOrder: 0 } },
      },
      {
        extends: true,
        test: { name: "browser", include: ["test/e2e/**/*.test.ts"], maxWorkers: 1, sequence: { groupOrder: 1 } },
      },
    ],
  },
});
