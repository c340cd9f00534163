import { defineConfig } from "vitest/config";

// Two layers (README.md, "Tests"): unit tests need no engine; engine tests drive the
// real Pulumi CLI through the Automation API against file:// state and loopback simulators.
export default defineConfig({
  test: {
    // Engine runs are CPU-heavy; two test files at a time keeps a 2-core machine responsive.
    pool: "forks",
    poolOptions: { forks: { maxForks: 2, minForks: 1 } },
    projects: [
      {
        test: {
          name: "unit",
          include: ["test/unit/**/*.test.ts"],
          testTimeout: 30_000,
        },
      },
      {
        test: {
          name: "engine",
          include: ["test/engine/**/*.test.ts"],
          // Each engine test runs several pulumi operations (seconds each).
          testTimeout: 600_000,
          hookTimeout: 300_000,
        },
      },
    ],
  },
});
