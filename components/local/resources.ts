/**
 * The `local` provider's dynamic resources: a private network and a test host. Outputs are `declare`d, not
 * initialised: a class field would overwrite, after `super()`, the outputs Pulumi set on the instance.
 */
import * as pulumi from "@pulumi/pulumi";
import { localHostProvider, localNetworkProvider } from "./dynamic-providers";

export interface LocalNetworkArgs {
  fleet: pulumi.Input<string>;
  subnet: pulumi.Input<string>;
}

/** A Docker network of the fleet's own: the private network of the local fleet. */
export class LocalNetwork extends pulumi.dynamic.Resource {
  declare public readonly networkName: pulumi.Output<string>;
  declare public readonly gateway: pulumi.Output<string>;

  constructor(name: string, args: LocalNetworkArgs, opts?: pulumi.CustomResourceOptions) {
    super(localNetworkProvider, name, { ...args, networkName: undefined, gateway: undefined }, opts, "sandfleet", "LocalNetwork");
  }
}

export interface LocalHostArgs {
  fleet: pulumi.Input<string>;
  hostName: pulumi.Input<string>;
  role: pulumi.Input<"platform" | "workspace">;
  privateIp: pulumi.Input<string>;
  subnet: pulumi.Input<string>;
  userData: pulumi.Input<string>;
}

/** A test host: a systemd + cloud-init container on the local engine, booted with the fleet's user-data. */
export class LocalHost extends pulumi.dynamic.Resource {
  declare public readonly containerId: pulumi.Output<string>;
  declare public readonly containerName: pulumi.Output<string>;
  declare public readonly privateIp: pulumi.Output<string>;
  /** 127.0.0.1 port of the host's sshd. */
  declare public readonly sshPort: pulumi.Output<number>;
  /** 127.0.0.1 port of the host's Docker TLS listener (2376 inside). */
  declare public readonly dockerPort: pulumi.Output<number>;
  /** Platform hosts: 127.0.0.1 port of the sandbox service's HTTPS (443 inside); undefined on workspaces. */
  declare public readonly servicePort: pulumi.Output<number | undefined>;
  declare public readonly cloudInitStatus: pulumi.Output<string>;

  constructor(name: string, args: LocalHostArgs, opts?: pulumi.CustomResourceOptions) {
    super(
      localHostProvider,
      name,
      { ...args, containerId: undefined, containerName: undefined, sshPort: undefined, dockerPort: undefined, servicePort: undefined, cloudInitStatus: undefined },
      opts,
      "sandfleet",
      "LocalHost",
    );
  }
}
