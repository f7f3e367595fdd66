import { describe, expect, it } from "vitest";
import { resourceTypes } from "../../../policy/resource-types";

// Each entry: the policy's token and the SDK class it stands for, loaded from the installed provider package.
const sdkClasses: Record<string, Record<string, () => { __pulumiType: string }>> = {
  hcloud: {
    firewall: () => require("@pulumi/hcloud").Firewall,
    server: () => require("@pulumi/hcloud").Server,
  },
  aws: {
    securityGroup: () => require("@pulumi/aws").ec2.SecurityGroup,
    securityGroupRule: () => require("@pulumi/aws").ec2.SecurityGroupRule,
    securityGroupIngressRule: () => require("@pulumi/aws").vpc.SecurityGroupIngressRule,
    instance: () => require("@pulumi/aws").ec2.Instance,
    launchTemplate: () => require("@pulumi/aws").ec2.LaunchTemplate,
    ebsVolume: () => require("@pulumi/aws").ebs.Volume,
  },
  gcp: {
    firewall: () => require("@pulumi/gcp").compute.Firewall,
    instance: () => require("@pulumi/gcp").compute.Instance,
    instanceTemplate: () => require("@pulumi/gcp").compute.InstanceTemplate,
  },
  azure: {
    networkSecurityGroup: () => require("@pulumi/azure-native").network.NetworkSecurityGroup,
    securityRule: () => require("@pulumi/azure-native").network.SecurityRule,
    virtualMachine: () => require("@pulumi/azure-native").compute.VirtualMachine,
  },
  digitalocean: {
    firewall: () => require("@pulumi/digitalocean").Firewall,
    droplet: () => require("@pulumi/digitalocean").Droplet,
  },
};

describe("the policy pack's resource type tokens", () => {
  const entries = Object.entries(resourceTypes).flatMap(([provider, types]) =>
    Object.entries(types).map(([key, token]) => ({ provider, key, token: token as string })),
  );

  it.each(entries)("$provider $key matches the installed SDK's type token", ({ provider, key, token }) => {
    const load = sdkClasses[provider]?.[key];
    expect(load, `add ${provider}.${key} to the SDK map of this test`).toBeDefined();
    expect(load!().__pulumiType).toBe(token);
  });
});
