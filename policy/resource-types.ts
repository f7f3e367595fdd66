/**
 * Pulumi type tokens of the resources the policy pack inspects, one place for all of them.
 *
 * The pack matches on these strings instead of importing the provider SDKs (`validateResourceOfType`)
 * so that loading the pack does not pull in ~300 MB of provider code, and so that a rule keeps working
 * for a provider whose SDK a stack does not install. test/unit/policy/resource-types.test.ts checks every
 * token against the installed SDKs' `__pulumiType`, so a rename upstream fails loudly.
 */
export const resourceTypes = {
  hcloud: {
    firewall: "hcloud:index/firewall:Firewall",
    server: "hcloud:index/server:Server",
  },
  aws: {
    securityGroup: "aws:ec2/securityGroup:SecurityGroup",
    securityGroupRule: "aws:ec2/securityGroupRule:SecurityGroupRule",
    securityGroupIngressRule: "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
    instance: "aws:ec2/instance:Instance",
    launchTemplate: "aws:ec2/launchTemplate:LaunchTemplate",
    ebsVolume: "aws:ebs/volume:Volume",
  },
  gcp: {
    firewall: "gcp:compute/firewall:Firewall",
    instance: "gcp:compute/instance:Instance",
    instanceTemplate: "gcp:compute/instanceTemplate:InstanceTemplate",
  },
  azure: {
    networkSecurityGroup: "azure-native:network:NetworkSecurityGroup",
    securityRule: "azure-native:network:SecurityRule",
    virtualMachine: "azure-native:compute:VirtualMachine",
  },
  digitalocean: {
    firewall: "digitalocean:index/firewall:Firewall",
    droplet: "digitalocean:index/droplet:Droplet",
  },
} as const;
