import { defineConfig } from "vitest/config";

// Three tiers (see README "Tests"):
// - unit:   pure code and Pulumi programs under mocks; runs files in parallel.
// - engine: real Docker engines started by the tests (dockerd on loopback TLS ports, gVisor);
//           files run one at a time because they share the machine's two cores and its kernel.
// - e2e:    the local fleet (test hosts = systemd + cloud-init containers); one at a time, slow.
// - real-path: every stack program started as the Pulumi CLI's Node language host starts it (cmd/run,
//           ts-node with type-checking) against a recording gRPC engine, plus the local dynamic-provider
//           plugin process; one file at a time (each run compiles the program: CPU-bound).
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: "unit",
          include: ["test/unit/**/*.test.ts", "policy/**/*.test.ts"],
          globalSetup: ["test/support/leftovers.ts"], // a private TMPDIR; fails the run if anything is left
          testTimeout: 60_000,
          hookTimeout: 60_000,
        },
      },
      {
        test: {
          name: "engine",
          include: ["test/engine/**/*.test.ts"],
          globalSetup: ["test/support/leftovers.ts"],
          poolOptions: { forks: { singleFork: true } },
          testTimeout: 180_000,
          hookTimeout: 300_000,
        },
      },
      {
        test: {
          name: "e2e",
          include: ["test/e2e/**/*.test.ts"],
          poolOptions: { forks: { singleFork: true } },
          testTimeout: 900_000,
          hookTimeout: 1_800_000,
        },
      },
      {
        test: {
          name: "real-path",
          include: ["test/real-path/**/*.test.ts"],
          globalSetup: ["test/support/leftovers.ts"],
          poolOptions: { forks: { singleFork: true } },
          testTimeout: 300_000,
          hookTimeout: 600_000,
        },
      },
    ],
  },
});
