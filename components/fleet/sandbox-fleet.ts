/**
 * `sandfleet:fleet:SandboxFleet`: a platform server and workspace pools on one or more providers,
 * with Docker mTLS, the post-boot step, the endpoint registry (delivered to the platform server)
 * and optional Cloudflare DNS. Thin: the wiring lives in create-fleet.ts.
 */
import * as pulumi from "@pulumi/pulumi";
import type { Endpoint, EndpointRegistry } from "../../runtime/registry/schema";
import type { AddressPlan } from "./address-plan";
import type { SandboxFleetArgs } from "./args";
import { createSandboxFleet } from "./create-fleet";

export class SandboxFleet extends pulumi.ComponentResource {
  /** The registry the pool runtime reads (secret: it holds the client key). */
  public readonly endpointRegistry: pulumi.Output<EndpointRegistry>;
  /** The registry's endpoints without TLS material (not secret). */
  public readonly endpoints: pulumi.Output<Endpoint[]>;
  /** Names and private IPs of every server, as planned. */
  public readonly addressPlan: AddressPlan;
  public readonly platformPrivateIp: pulumi.Output<string>;
  /** The platform's stable public address (floating IP, else its public IP). */
  public readonly platformPublicAddress: pulumi.Output<string>;
  public readonly loadBalancerIp: pulumi.Output<string | undefined>;
  /** The platform's DNS name, when Cloudflare is configured. */
  public readonly platformDnsName: pulumi.Output<string | undefined>;
  /** The login user of the platform server. */
  public readonly sshUser: pulumi.Output<string>;
  public readonly deployPublicKey: pulumi.Output<string>;
  /** Secret. */
  public readonly deployPrivateKey: pulumi.Output<string>;
  public readonly caCertPem: pulumi.Output<string>;
  /** The sandbox service's URL (`https://…` on 443), when the stack installs it. */
  public readonly serviceUrl: pulumi.Output<string | undefined>;
  /** Its initial API key (secret). */
  public readonly serviceApiKey: pulumi.Output<string | undefined>;
  /** The CA that signed the service's certificate: what clients trust (`curl --cacert`). */
  public readonly serviceCaCertPem: pulumi.Output<string | undefined>;

  constructor(name: string, args: SandboxFleetArgs, opts?: pulumi.ComponentResourceOptions) {
    super("sandfleet:fleet:SandboxFleet", name, {}, opts);
    const fleet = createSandboxFleet(name, args, this);
    this.endpointRegistry = fleet.endpointRegistry;
    this.endpoints = fleet.endpoints;
    this.addressPlan = fleet.addressPlan;
    this.platformPrivateIp = pulumi.output(fleet.platformPrivateIp);
    this.platformPublicAddress = fleet.platformPublicAddress;
    this.loadBalancerIp = fleet.loadBalancerIp;
    this.platformDnsName = fleet.platformDnsName;
    this.sshUser = pulumi.output(fleet.sshUser);
    this.deployPublicKey = fleet.deployPublicKey;
    this.deployPrivateKey = fleet.deployPrivateKey;
    this.caCertPem = fleet.caCertPem;
    this.serviceUrl = fleet.service?.url ?? pulumi.output<string | undefined>(undefined);
    this.serviceApiKey = fleet.service?.apiKey ?? pulumi.output<string | undefined>(undefined);
    this.serviceCaCertPem = fleet.service?.caCertPem ?? pulumi.output<string | undefined>(undefined);
    this.registerOutputs({
      endpointRegistry: this.endpointRegistry,
      endpoints: this.endpoints,
      addressPlan: this.addressPlan,
      platformPrivateIp: this.platformPrivateIp,
      platformPublicAddress: this.platformPublicAddress,
      loadBalancerIp: this.loadBalancerIp,
      platformDnsName: this.platformDnsName,
      sshUser: this.sshUser,
      deployPublicKey: this.deployPublicKey,
      deployPrivateKey: this.deployPrivateKey,
      caCertPem: this.caCertPem,
      serviceUrl: this.serviceUrl,
      serviceApiKey: this.serviceApiKey,
      serviceCaCertPem: this.serviceCaCertPem,
    });
  }
}
