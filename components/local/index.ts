/**
 * The `local` provider: the fleet as test hosts on the local Docker engine (systemd + cloud-init
 * containers on a Docker network of their own), through Pulumi dynamic resources that call the same
 * functions as `npm start` (local/). Those two need no provider plugin; the stack as a whole still needs the
 * `tls` and `command` plugins (certificates, post-boot steps), like every other provider. Stack: Pulumi.local.yaml.
 */
import type * as pulumi from "@pulumi/pulumi";
import type { FleetProvider, SiteArgs } from "../provider";
import { LocalSite } from "./site";

export { localConfigSchema, type LocalConfig } from "./config";
export { LocalSite, LOCAL_HOST_CAPACITY, LOCAL_SSH_USER, type LocalProvisionedServer } from "./site";
export { LocalHost, LocalNetwork } from "./resources";

export const localProvider: FleetProvider = {
  name: "local",
  createSite(args: SiteArgs, parent: pulumi.ComponentResource): LocalSite {
    return new LocalSite(`${args.name}-local`, args, { parent });
  },
};
