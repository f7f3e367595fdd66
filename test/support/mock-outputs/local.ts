/**
 * Outputs of the `local` provider's dynamic resources (what their create functions return on a real engine):
 * names and gateway come from the same local/hosts functions the create functions use.
 */
import { containerName, networkName, subnetAddresses } from "../../../local/hosts";
import type { OutputsFn } from "./index";

export const outputs: Record<string, OutputsFn> = {
  "pulumi-nodejs:dynamic/sandfleet:LocalNetwork": (args) => ({
    networkName: networkName(args.inputs.fleet),
    gateway: subnetAddresses(args.inputs.subnet).gateway,
  }),
  "pulumi-nodejs:dynamic/sandfleet:LocalHost": (args, n) => ({
    containerId: `c0ffee${n}`,
    containerName: containerName(args.inputs.fleet, args.inputs.hostName),
    sshPort: 32000 + 2 * n,
    dockerPort: 32001 + 2 * n,
    // Platform hosts also publish the sandbox service's 443 (local/hosts.ts bootHost).
    ...(args.inputs.role === "platform" ? { servicePort: 33000 + n } : {}),
    cloudInitStatus: "done",
  }),
};

export const calls = {};
