/**
 * The platform server on Hetzner: its firewall, the server and volume, a floating IP when the stack
 * wants a stable address, and a load balancer in front of it when asked for one.
 */
import * as hcloud from "@pulumi/hcloud";
import * as pulumi from "@pulumi/pulumi";
import type { LoadBalancerSpec, PlatformSpec, ProvisionedPlatform } from "../provider";
import { defaultLoadBalancerIp, isUsableHostIn } from "./cidr";
import { platformFirewallRules } from "./firewall-rules";
import { hetznerLabels } from "./labels";
import { hetznerName } from "./names";
import { createHetznerServer, validateServerSpec } from "./server";
import type { HetznerSite } from "./site";

export interface HetznerPlatformArgs {
  site: HetznerSite;
  spec: PlatformSpec;
}

/** How the load balancer decides the platform is up. */
const healthCheck = { protocol: "tcp", intervalSeconds: 10, timeoutSeconds: 5, retries: 3 } as const;

/** Throws on a load balancer spec the Hetzner API would refuse. */
export function validateLoadBalancerSpec(lb: LoadBalancerSpec): void {
  const validPort = (port: number) => Number.isInteger(port) && port >= 1 && port <= 65535;
  if (lb.ports.length === 0) {
    throw new Error("loadBalancer.ports is empty: give at least one { listen, target } pair (e.g. 443 -> 443).");
  }
  const listens = new Set<number>();
  for (const { listen, target } of lb.ports) {
    if (!validPort(listen) || !validPort(target)) {
      throw new Error(`loadBalancer.ports has ${listen} -> ${target}; ports are integers from 1 to 65535.`);
    }
    if (listens.has(listen)) throw new Error(`loadBalancer.ports listens on ${listen} twice; each listen port maps to one target.`);
    listens.add(listen);
  }
  if (!validPort(lb.healthCheckPort)) {
    throw new Error(`loadBalancer.healthCheckPort ${lb.healthCheckPort} is not a port; use an integer from 1 to 65535.`);
  }
  if (lb.ports.length < 2) return;
  // hcloud documents a service's health-check port as "unique per Load Balancer" (@pulumi/hcloud 1.41.0,
  // LoadBalancerServiceHealthCheck.port, checked 2026-12-01), so several services cannot share one probe port.
  const targets = lb.ports.map((p) => p.target);
  const shared = targets.find((target, i) => targets.indexOf(target) !== i);
  if (shared !== undefined) {
    throw new Error(
      `sandfleet:platform.loadBalancer.ports: targets ${shared} twice; a Hetzner load balancer probes each service on its own target port and health-check ports are unique per load balancer; give each listen port its own target port`,
    );
  }
  if (!targets.includes(lb.healthCheckPort)) {
    throw new Error(
      `sandfleet:platform.loadBalancer.healthCheckPort: ${lb.healthCheckPort} is not a target port; with several services a Hetzner load balancer probes each service on its own target port (${targets.join(", ")}); remove healthCheckPort or set it to one of them`,
    );
  }
}

/**
 * The port each service's health check probes: the configured port for a single service, else each
 * service's own target (validated unique), because Hetzner wants one health-check port per service.
 */
export function healthCheckPortOf(lb: LoadBalancerSpec, target: number): number {
  return lb.ports.length === 1 ? lb.healthCheckPort : target;
}

export class HetznerPlatform extends pulumi.ComponentResource {
  public readonly firewall: hcloud.Firewall;
  public readonly server: hcloud.Server;
  public readonly volume?: hcloud.Volume;
  public readonly volumeAttachment?: hcloud.VolumeAttachment;
  public readonly floatingIp?: hcloud.FloatingIp;
  public readonly floatingIpAssignment?: hcloud.FloatingIpAssignment;
  public readonly loadBalancer?: hcloud.LoadBalancer;
  public readonly loadBalancerNetwork?: hcloud.LoadBalancerNetwork;
  public readonly loadBalancerServices: hcloud.LoadBalancerService[] = [];
  public readonly loadBalancerTarget?: hcloud.LoadBalancerTarget;
  /** What the core reads back. */
  public readonly provisioned: ProvisionedPlatform;

  constructor(name: string, args: HetznerPlatformArgs, opts?: pulumi.ComponentResourceOptions) {
    const { site, spec } = args;
    // Validate before registering anything, so bad input leaves no half-registered component.
    validateServerSpec(site, spec);
    if (spec.loadBalancer) validateLoadBalancerSpec(spec.loadBalancer);
    const firewallRules = platformFirewallRules(site.adminCidrs, spec.publicPorts);
    super("sandfleet:hetzner:Platform", name, {}, opts);
    const labels = hetznerLabels(site.tags, spec.labels, { stack: site.stack, role: "platform" });

    this.firewall = new hcloud.Firewall(
      `${name}-firewall`,
      { name: hetznerName(site.fleetName, spec.name), rules: firewallRules, labels },
      { parent: this, deleteBeforeReplace: true },
    );

    // Created before the server so that its address can be part of the user-data: Hetzner routes a
    // floating IP to the server but does not configure it on the interface; the host must bind it.
    if (spec.stableIp) {
      this.floatingIp = new hcloud.FloatingIp(
        `${name}-floating-ip`,
        {
          name: hetznerName(site.fleetName, spec.name),
          type: "ipv4",
          homeLocation: spec.location,
          labels,
          deleteProtection: site.protection.deleteProtection,
        },
        { parent: this, deleteBeforeReplace: true },
      );
    }

    const created = createHetznerServer(this, name, {
      site,
      spec,
      role: "platform",
      firewallId: this.firewall.id.apply(Number),
      hostNetwork: this.floatingIp ? { extraPublicIpv4s: [this.floatingIp.ipAddress] } : undefined,
    });
    this.server = created.server;
    this.volume = created.volume;
    this.volumeAttachment = created.volumeAttachment;
    const serverId = this.server.id.apply(Number);
    const readyDependencies: pulumi.Resource[] = [...created.provisioned.readyDependencies];

    if (this.floatingIp) {
      this.floatingIpAssignment = new hcloud.FloatingIpAssignment(
        `${name}-floating-ip-assignment`,
        { floatingIpId: this.floatingIp.id.apply(Number), serverId },
        { parent: this },
      );
      readyDependencies.push(this.floatingIpAssignment);
    }

    if (spec.loadBalancer) {
      const lb = spec.loadBalancer;
      const lbPrivateIp = site.config.loadBalancerPrivateIp ?? defaultLoadBalancerIp(site.networkCidr);
      if (!isUsableHostIn(lbPrivateIp, site.networkCidr)) {
        throw new Error(
          `sandfleet:hetzner.loadBalancerPrivateIp ${lbPrivateIp} is not a usable host address in the network ${site.networkCidr}; pick one inside the range.`,
        );
      }
      site.claimPrivateIp(lbPrivateIp, "the load balancer");
      this.loadBalancer = new hcloud.LoadBalancer(
        `${name}-lb`,
        {
          name: hetznerName(site.fleetName, spec.name),
          loadBalancerType: lb.type ?? site.config.loadBalancerType,
          location: spec.location,
          labels,
          deleteProtection: site.protection.deleteProtection,
        },
        { parent: this, deleteBeforeReplace: true },
      );
      // The load balancer reaches the platform over the private network, so the platform needs no
      // public web ports when it sits behind one.
      this.loadBalancerNetwork = new hcloud.LoadBalancerNetwork(
        `${name}-lb-network`,
        {
          loadBalancerId: this.loadBalancer.id.apply(Number),
          subnetId: site.subnet.id,
          ip: lbPrivateIp,
          enablePublicInterface: true,
        },
        { parent: this },
      );
      for (const { listen, target } of lb.ports) {
        this.loadBalancerServices.push(
          new hcloud.LoadBalancerService(
            `${name}-lb-service-${listen}`,
            {
              // The one hcloud input that takes the id as a string.
              loadBalancerId: this.loadBalancer.id,
              // TCP pass-through: TLS terminates on the platform, which keeps its own certificates.
              protocol: "tcp",
              listenPort: listen,
              destinationPort: target,
              healthCheck: {
                protocol: healthCheck.protocol,
                port: healthCheckPortOf(lb, target),
                interval: healthCheck.intervalSeconds,
                timeout: healthCheck.timeoutSeconds,
                retries: healthCheck.retries,
              },
            },
            { parent: this },
          ),
        );
      }
      // A target with usePrivateIp fails unless the load balancer is already attached to the network.
      this.loadBalancerTarget = new hcloud.LoadBalancerTarget(
        `${name}-lb-target`,
        { type: "server", loadBalancerId: this.loadBalancer.id.apply(Number), serverId, usePrivateIp: true },
        { parent: this, dependsOn: [this.loadBalancerNetwork, this.server] },
      );
    }

    this.provisioned = {
      ...created.provisioned,
      readyDependencies,
      publicAddress: this.floatingIp ? this.floatingIp.ipAddress : this.server.ipv4Address,
      loadBalancerIp: this.loadBalancer?.ipv4,
    };

    this.registerOutputs({
      firewallId: this.firewall.id,
      serverId: this.server.id,
      privateIp: this.provisioned.privateIp,
      publicIp: this.provisioned.publicIp,
      publicAddress: this.provisioned.publicAddress,
      loadBalancerIp: this.provisioned.loadBalancerIp,
    });
  }
}
