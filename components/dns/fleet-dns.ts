/**
 * Cloudflare DNS for a fleet: one A record for the platform (its load balancer when it has one, else its
 * stable public address) and, optionally, one A record per workspace server pointing at its public
 * IPv4 (never a private address: the zone is public; see public-record-address.ts). Workspace records
 * are never proxied: Cloudflare proxies HTTP(S), not the Docker API.
 */
import * as cloudflare from "@pulumi/cloudflare";
import * as pulumi from "@pulumi/pulumi";

export interface FleetDnsArgs {
  /** Cloudflare zone id. */
  readonly zoneId: string;
  /** Full name of the platform record, e.g. `sandbox.example.com`. */
  readonly platformName: string;
  /** Address the platform record points at (load balancer or stable IP). */
  readonly platformAddress: pulumi.Input<string>;
  /** Proxy the platform record through Cloudflare. @default false */
  readonly proxied?: boolean;
  /** TTL in seconds for unproxied records (proxied ones use Cloudflare's automatic TTL). @default 300 */
  readonly ttl?: number;
  /** Workspace records: full name -> address. @default none */
  readonly workspaceRecords?: readonly { name: string; address: pulumi.Input<string> }[];
}

/** `sandfleet:dns:FleetDns`. */
export class FleetDns extends pulumi.ComponentResource {
  public readonly platformRecord: cloudflare.DnsRecord;
  public readonly workspaceRecords: cloudflare.DnsRecord[];
  public readonly platformName: pulumi.Output<string>;

  constructor(name: string, args: FleetDnsArgs, opts?: pulumi.ComponentResourceOptions) {
    super("sandfleet:dns:FleetDns", name, {}, opts);
    const ttl = args.ttl ?? 300;
    this.platformRecord = new cloudflare.DnsRecord(
      `${name}-platform`,
      {
        zoneId: args.zoneId,
        name: args.platformName,
        type: "A",
        content: args.platformAddress,
        proxied: args.proxied ?? false,
        // Cloudflare requires TTL 1 ("automatic") on proxied records.
        ttl: args.proxied ? 1 : ttl,
        comment: "sandfleet platform",
      },
      { parent: this },
    );
    this.workspaceRecords = (args.workspaceRecords ?? []).map(
      (record) =>
        new cloudflare.DnsRecord(
          `${name}-${record.name.split(".")[0]}`,
          { zoneId: args.zoneId, name: record.name, type: "A", content: record.address, proxied: false, ttl, comment: "sandfleet workspace" },
          { parent: this },
        ),
    );
    this.platformName = pulumi.output(args.platformName);
    this.registerOutputs({
      platformRecord: this.platformRecord,
      workspaceRecords: this.workspaceRecords,
      platformName: this.platformName,
    });
  }
}
