/** Outputs of the `local` provider's dynamic resources (what their create functions return on a real engine). */
import type { OutputsFn } from "./index";

export const outputs: Record<string, OutputsFn> = {
  "pulumi-nodejs:dynamic/sandfleet:LocalNetwork": (args) => ({
    networkName: `sandfleet-${args.inputs.fleet}-private`,
    gateway: String(args.inputs.subnet).replace(/\.\d+\/\d+$/, ".1"),
  }),
  "pulumi-nodejs:dynamic/sandfleet:LocalHost": (args, n) => ({
    containerId: `c0ffee${n}`,
    containerName: `sandfleet-${args.inputs.fleet}-${args.inputs.hostName}`,
    sshPort: 32000 + 2 * n,
    dockerPort: 32001 + 2 * n,
    cloudInitStatus: "done",
  }),
};

export const calls = {};
