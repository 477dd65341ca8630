import { defineConfig } from "vitest/config";

// Three tiers. `unit` needs no services. `integration` drives a real dockerd
// through a real sshd (started by scripts/testhost). `e2e` drives the real
// Pulumi CLI. `npm test` runs all three in that order. (test/tools/ holds
// tools, not tests: scripts/record-fixture runs the fixture recorder.)
export default defineConfig({
  test: {
    passWithNoTests: true,
    projects: [
      {
        test: {
          name: "unit",
          include: ["test/unit/**/*.test.ts"],
        },
      },
      {
        test: {
          name: "integration",
          include: ["test/integration/**/*.test.ts"],
          testTimeout: 60_000,
          hookTimeout: 300_000,
          // Files share one dockerd, and some stop it or its sshd on purpose.
          fileParallelism: false,
        },
      },
      {
        test: {
          name: "e2e",
          include: ["test/e2e/**/*.test.ts"],
          testTimeout: 600_000,
          hookTimeout: 600_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
