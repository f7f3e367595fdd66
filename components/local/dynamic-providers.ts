/**
 * Pulumi dynamic providers of the `local` provider: no provider plugin, the engine runs these functions in
 * its Node.js dynamic-provider host. Pulumi serialises each provider object into the state, so the methods
 * must not capture modules: they `require` the lifecycle module at run time by an absolute path captured as
 * a string, after registering tsx so the TypeScript sources load (the dynamic-provider host has no loader).
 */
import * as path from "node:path";
import type * as pulumi from "@pulumi/pulumi";
import type * as Lifecycle from "./host-lifecycle";

/** Absolute path of host-lifecycle (.ts in the repo, .js when compiled), captured by value when serialised. */
const LIFECYCLE_MODULE = path.join(__dirname, "host-lifecycle");

function loadLifecycle(modulePath: string): typeof Lifecycle {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  try {
    require("tsx/cjs");
  } catch {
    // Compiled JavaScript needs no loader.
  }
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require(modulePath) as typeof Lifecycle;
}

export const localNetworkProvider: pulumi.dynamic.ResourceProvider = {
  async create(inputs: Lifecycle.LocalNetworkInputs) {
    return loadLifecycle(LIFECYCLE_MODULE).createLocalNetwork(inputs);
  },
  async diff(_id: string, olds: Lifecycle.LocalNetworkOutputs, news: Lifecycle.LocalNetworkInputs) {
    const replaces = (["fleet", "subnet"] as const).filter((k) => olds[k] !== news[k]);
    return { changes: replaces.length > 0, replaces, deleteBeforeReplace: true };
  },
  async delete(_id: string, outs: Lifecycle.LocalNetworkOutputs) {
    await loadLifecycle(LIFECYCLE_MODULE).deleteLocalNetwork(outs);
  },
};

export const localHostProvider: pulumi.dynamic.ResourceProvider = {
  async create(inputs: Lifecycle.LocalHostInputs) {
    return loadLifecycle(LIFECYCLE_MODULE).createLocalHost(inputs);
  },
  async diff(_id: string, olds: Lifecycle.LocalHostOutputs, news: Lifecycle.LocalHostInputs) {
    const replaces = loadLifecycle(LIFECYCLE_MODULE).localHostChanges(olds, news);
    // Same container name for the new host: the old one must go first.
    return { changes: replaces.length > 0, replaces, deleteBeforeReplace: true };
  },
  async delete(_id: string, outs: Lifecycle.LocalHostOutputs) {
    await loadLifecycle(LIFECYCLE_MODULE).deleteLocalHost(outs);
  },
};
