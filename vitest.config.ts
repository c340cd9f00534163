import { defineConfig } from "vitest/config";

// Two layers (see test/README.md): unit tests need no engine; engine tests drive the
// real Pulumi CLI through the Automation API against file:// state and loopback simulators.
export default defineConfig({
  test: {
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
          // Each engine test runs several pulumi operations (seconds each) on 2 cores.
          testTimeout: 600_000,
          hookTimeout: 120_000,
          // Engine runs are CPU-heavy; two files at once keeps a 2-core machine responsive.
          pool: "forks",
          poolOptions: { forks: { maxForks: 2, minForks: 1 } },
        },
      },
    ],
  },
});
