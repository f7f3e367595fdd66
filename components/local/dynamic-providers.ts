/**
 * Pulumi dynamic providers of the `local` provider. Pulumi serialises each provider object into the state and
 * the engine later runs it in the Node.js dynamic-provider host (`@pulumi/pulumi/cmd/dynamic-provider`, no
 * provider plugin to install for these two resources). So the methods must not capture modules: they
 * `require` the lifecycle module at run time, after registering tsx so the TypeScript sources load (the
 * dynamic-provider host has no loader).
 *
 * Where the lifecycle module is: the state outlives the checkout it was written from (`pulumi destroy -s
 * local` from another clone, a moved folder, CI), so the path is stored RELATIVE to the program directory and
 * resolved against the working directory when the provider runs. Both ends start there: the language host
 * runs the program with cwd = Pulumi.yaml's `main` (stacks/), and the engine starts the dynamic-provider host
 * in the same program directory (pulumi/pulumi#5455).
 */
import * as path from "node:path";
import type * as pulumi from "@pulumi/pulumi";
import type * as Lifecycle from "./host-lifecycle";

/** host-lifecycle (.ts in the repo, .js when compiled), relative to the program directory; captured by value. */
const LIFECYCLE_FROM_PROGRAM_DIR = path.relative(process.cwd(), path.join(__dirname, "host-lifecycle"));

function loadLifecycle(fromProgramDir: string): typeof Lifecycle {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  try {
    require("tsx/cjs");
  } catch {
    // Compiled JavaScript needs no loader.
  }
  // `require`d here, not captured from the import above: a captured module object must be serialised too,
  // and under vitest's module transform it is not recognisable as Node's built-in.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const modulePath = (require("node:path") as typeof path).resolve(fromProgramDir);
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return require(modulePath) as typeof Lifecycle;
  } catch (err) {
    if ((err as { code?: string }).code !== "MODULE_NOT_FOUND" || !String((err as Error).message).includes(modulePath)) throw err;
    throw new Error(
      `the local provider's lifecycle module is missing: ${modulePath} (stored as ${fromProgramDir}, relative to the program ` +
        `directory; this process runs in ${process.cwd()}). Run pulumi from a checkout of sandfleet with its node_modules ` +
        `installed (npm install); the engine starts this provider in the program directory, stacks/.`,
    );
  }
}

export const localNetworkProvider: pulumi.dynamic.ResourceProvider = {
  async create(inputs: Lifecycle.LocalNetworkInputs) {
    return loadLifecycle(LIFECYCLE_FROM_PROGRAM_DIR).createLocalNetwork(inputs);
  },
  async diff(_id: string, olds: Lifecycle.LocalNetworkOutputs, news: Lifecycle.LocalNetworkInputs) {
    const replaces = (["fleet", "subnet"] as const).filter((k) => olds[k] !== news[k]);
    return { changes: replaces.length > 0, replaces, deleteBeforeReplace: true };
  },
  async delete(_id: string, outs: Lifecycle.LocalNetworkOutputs) {
    await loadLifecycle(LIFECYCLE_FROM_PROGRAM_DIR).deleteLocalNetwork(outs);
  },
};

export const localHostProvider: pulumi.dynamic.ResourceProvider = {
  async create(inputs: Lifecycle.LocalHostInputs) {
    return loadLifecycle(LIFECYCLE_FROM_PROGRAM_DIR).createLocalHost(inputs);
  },
  async diff(_id: string, olds: Lifecycle.LocalHostOutputs, news: Lifecycle.LocalHostInputs) {
    const replaces = loadLifecycle(LIFECYCLE_FROM_PROGRAM_DIR).localHostChanges(olds, news);
    // Same container name for the new host: the old one must go first.
    return { changes: replaces.length > 0, replaces, deleteBeforeReplace: true };
  },
  async delete(_id: string, outs: Lifecycle.LocalHostOutputs) {
    await loadLifecycle(LIFECYCLE_FROM_PROGRAM_DIR).deleteLocalHost(outs);
  },
};
