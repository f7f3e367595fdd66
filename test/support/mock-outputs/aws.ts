/**
 * Outputs of mocked @pulumi/aws resources and functions. Ids have the real prefixes (`vol-`, `i-`,
 * `eipalloc-`) because the program derives device paths from them; addresses come from documentation
 * ranges (RFC 5737): instances 203.0.113.0/24, Elastic IPs 198.51.100.0/24.
 */
import type { CallFn, OutputsFn } from "./index";
import { docAddress } from "./documentation-address";

const hex = (n: number) => n.toString(16).padStart(17, "0");
const arn = (service: string, kind: string, n: number) => `arn:aws:${service}:eu-central-1:123456789012:${kind}/mock-${n}`;

export const outputs: Record<string, OutputsFn> = {
  "aws:ec2/vpc:Vpc": (_args, n) => ({ __id: `vpc-${hex(n)}`, arn: arn("ec2", "vpc", n) }),
  "aws:ec2/subnet:Subnet": (_args, n) => ({ __id: `subnet-${hex(n)}` }),
  "aws:ec2/internetGateway:InternetGateway": (_args, n) => ({ __id: `igw-${hex(n)}` }),
  "aws:ec2/routeTable:RouteTable": (_args, n) => ({ __id: `rtb-${hex(n)}` }),
  "aws:ec2/securityGroup:SecurityGroup": (_args, n) => ({ __id: `sg-${hex(n)}`, arn: arn("ec2", "security-group", n) }),
  "aws:ec2/keyPair:KeyPair": (args, n) => ({ __id: `key-${hex(n)}`, keyName: args.inputs.keyName ?? `${args.name}-${n}` }),
  "aws:ec2/placementGroup:PlacementGroup": (args, n) => ({ __id: `${args.name}-${n}`, name: args.inputs.name ?? `${args.name}-${n}` }),
  "aws:ec2/instance:Instance": (args, n) => ({
    __id: `i-${hex(n)}`,
    privateIp: args.inputs.privateIp ?? `10.0.0.${(n % 200) + 10}`,
    publicIp: docAddress("203.0.113", n),
    arn: arn("ec2", "instance", n),
  }),
  "aws:ebs/volume:Volume": (_args, n) => ({ __id: `vol-${hex(n)}`, arn: arn("ec2", "volume", n) }),
  "aws:ec2/eip:Eip": (_args, n) => ({ __id: `eipalloc-${hex(n)}`, allocationId: `eipalloc-${hex(n)}`, publicIp: docAddress("198.51.100", n) }),
  "aws:lb/loadBalancer:LoadBalancer": (_args, n) => ({
    arn: arn("elasticloadbalancing", "loadbalancer/net", n),
    dnsName: `mock-${n}.elb.eu-central-1.amazonaws.com`,
  }),
  "aws:lb/targetGroup:TargetGroup": (_args, n) => ({ arn: arn("elasticloadbalancing", "targetgroup", n) }),
  "aws:lb/listener:Listener": (_args, n) => ({ arn: arn("elasticloadbalancing", "listener", n) }),
};

export const calls: Record<string, CallFn> = {
  // The newest official Debian 13 AMI (what the real call returns, reduced to the fields the program reads).
  // Like EC2, it answers only when the name filter matches that image (so a lookup for another release fails).
  "aws:ec2/getAmi:getAmi": (inputs) => {
    const name = "debian-13-amd64-20261101-2300";
    const globs: string[] = inputs.filters?.find((f: { name: string }) => f.name === "name")?.values ?? ["*"];
    const matches = globs.some((glob) => new RegExp(`^${glob.split("*").map((part) => part.replace(/[.?+^$()[\]{}|\\]/g, "\\$&")).join(".*")}$`).test(name));
    if (!matches) throw new Error(`Your query returned no results (name filter ${globs.join(", ")}; the newest Debian AMI is ${name})`);
    return { id: "ami-0123456789abcdef0", imageId: "ami-0123456789abcdef0", name, ownerId: inputs.owners?.[0] ?? "136693071363", architecture: "x86_64" };
  },
};
