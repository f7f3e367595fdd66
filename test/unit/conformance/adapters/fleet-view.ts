/**
 * The provider-neutral view of a mocked fleet that the conformance suite asserts on. Each provider has an
 * adapter (./<provider>.ts) that reads its resource types from the recorded graph; the suite never looks
 * at a provider's resources itself.
 */
import type { MockRecorder, RecordedResource } from "../../../support/pulumi-mocks";

export const WORLD = "world";

export interface ViewRule {
  /** `allow` rules open something; `deny` rules (Azure) only close. */
  access: "allow" | "deny";
  /** TCP port range; [0, 65535] for every port or protocol. */
  fromPort: number;
  toPort: number;
  /** CIDRs, or {@link WORLD} for the internet, or `load-balancer` when only the provider's LB may send. */
  sources: string[];
  /** Where the rule came from, for messages. */
  origin: string;
}

export interface ViewVolume {
  origin: string;
  /** `true`/`false` when the provider has a setting; `provider-default` when it always encrypts at rest; `not-offered`. */
  encrypted: boolean | "provider-default" | "not-offered";
}

export interface ViewServer {
  /** Host name from the rendered user-data (`platform`, `ws-standard-1`). */
  hostname: string;
  resource: RecordedResource;
  userData: string;
  /** Inbound rules that apply to this server (from every firewall / security group attached). */
  rules: ViewRule[];
  volumes: ViewVolume[];
  /** The stable public address (floating / elastic / reserved / static IP) pointing at this server, if any. */
  stableIp?: string;
  /** The server's own public IPv4, if any. */
  publicIp?: string;
}

export interface ProviderAdapter {
  servers(mocks: MockRecorder): ViewServer[];
  /** Host names of the servers a load balancer of this provider forwards to. */
  loadBalancerTargets(mocks: MockRecorder): string[];
  /** Types of the resources that hold a load balancer's pool of servers (the pool itself, or the LB holding it). */
  loadBalancerPoolTypes: string[];
}

/** Whether `from` depends on `to`, directly or through other resources (or is it), in the recorded graph. */
export function reaches(mocks: MockRecorder, from: RecordedResource, to: RecordedResource): boolean {
  const urnOf = (r: RecordedResource) => (urn: string) => urn.endsWith(`${r.type}::${r.name}`);
  const seen = new Set<RecordedResource>();
  const walk = (r: RecordedResource): boolean => {
    if (r === to) return true;
    if (seen.has(r)) return false;
    seen.add(r);
    return mocks.resources.some((d) => r.dependencies.some(urnOf(d)) && walk(d));
  };
  return walk(from);
}

/** Host name written by the cloud-init renderer (`hostname: ws-standard-1`). */
export function hostnameOf(userData: string): string {
  const match = /^hostname: *"?([a-z0-9-]+)"?$/m.exec(userData);
  if (!match) throw new Error(`user-data without a hostname line:\n${userData.slice(0, 200)}`);
  return match[1];
}

/** Resources by id (the mocks' id, including `__id` overrides). */
export function byId(mocks: MockRecorder): Map<string, RecordedResource> {
  return new Map(mocks.resources.map((r) => [String(r.state.__id ?? r.id), r]));
}
