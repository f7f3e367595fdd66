/**
 * Changing the host firewall's sources on a running local fleet: what editing `sandfleet:adminCidrs` (or a
 * pool's Docker API sources, e.g. a replaced platform's public IP) and running `pulumi up` does on the cloud
 * path. User-data is read once, at creation, so the new rules reach the hosts only through the post-boot step:
 * each host's cloud-config is updated, and the same script is re-run over SSH with the same TLS material and
 * the ruleset rendered from the new config (checked with `nft -c`, then loaded in one transaction), one host
 * at a time like a rollout wave of one.
 */
import { validateHostCloudConfig, type HostCloudConfig } from "../cloud-init";
import type { FleetHost, LocalFleet } from "./fleet";
import { LOCAL_ADMIN_USER } from "./hosts";
import { runPostBootOnHost } from "./post-boot";
import { consoleProgress, type Progress } from "./progress";

export interface FirewallSourcesChange {
  /** New SSH sources besides the private network (every host). @default unchanged */
  adminCidrs?: string[];
  /** New sources of the Docker API port 2376 (workspace hosts only; a platform host opens none). @default unchanged */
  dockerApiSources?: string[];
}

export interface FirewallChangeResult {
  /** The fleet with each host's new cloud-config. */
  fleet: LocalFleet;
  /** Per host: the post-boot run's time and the digest of the ruleset it loaded. */
  hosts: { host: string; durationMs: number; firewallSha256: string }[];
}

/** The host's cloud-config with the change applied, validated like user-data's input. */
export function changedCloudConfig(config: HostCloudConfig, change: FirewallSourcesChange): HostCloudConfig {
  const next: HostCloudConfig = {
    ...config,
    ...(change.adminCidrs ? { adminCidrs: [...change.adminCidrs] } : {}),
    ...(change.dockerApiSources && config.role === "workspace" ? { dockerApiSources: [...change.dockerApiSources] } : {}),
  };
  validateHostCloudConfig(next);
  return next;
}

/** Applies `change` to every host of `fleet` through the post-boot step; see the file comment. */
export async function changeFleetFirewall(
  fleet: LocalFleet,
  change: FirewallSourcesChange,
  options: { progress?: Progress } = {},
): Promise<FirewallChangeResult> {
  const progress = options.progress ?? consoleProgress();
  // Every host's new config is checked before any host is touched.
  const planned = fleet.hosts.map((host) => ({ host, cloudConfig: changedCloudConfig(host.cloudConfig, change) }));
  const hosts: FleetHost[] = [];
  const results: FirewallChangeResult["hosts"] = [];
  for (const { host, cloudConfig } of planned) {
    const changed = { ...host, cloudConfig };
    const result = await runPostBootOnHost(changed, fleet.tls, { username: LOCAL_ADMIN_USER, privateKey: fleet.deployKey.privateKey }, progress);
    if (!result.report.firewallSha256) throw new Error(`${host.name}: the post-boot step did not report the firewall it loaded`);
    hosts.push(changed);
    results.push({ host: host.name, durationMs: result.durationMs, firewallSha256: result.report.firewallSha256 });
  }
  return { fleet: { ...fleet, hosts }, hosts: results };
}
