/**
 * Which input changes a provider can only apply by replacing the resource (Terraform's `ForceNew`, which the
 * Pulumi bridge passes on as a replacement). Only the provider decides this; this table says which properties
 * the second-`up` tier takes as replacing, each row naming the provider source it was read from (2026-12-01).
 * A type missing here is taken as updated in place on every change: add its row before asserting on it.
 */

export interface ReplacingRule {
  /** Pulumi type token. */
  type: string;
  /**
   * Input properties (Pulumi camelCase) whose change replaces the resource: top-level names, or a dotted path
   * into a nested object where the provider forces replacement on one field only (`scheduling.provisioningModel`).
   */
  properties: readonly string[];
  /** Where the rule was read (checked 2026-12-01). */
  source: string;
}

export const replacingRules: readonly ReplacingRule[] = [
  {
    type: "hcloud:index/server:Server",
    // `server_type` is changed in place (power off, change type), `labels`, `firewall_ids` and `network` too.
    properties: ["image", "location", "datacenter", "userData", "sshKeys"],
    source: "hetznercloud/terraform-provider-hcloud internal/server/resource.go: image, location, datacenter, user_data, ssh_keys are ForceNew",
  },
  {
    type: "hcloud:index/volume:Volume",
    // `size` is a resize in place (Volume.Resize), `name` and `labels` an update.
    properties: ["location"],
    source: "hetznercloud/terraform-provider-hcloud internal/volume/resource.go: only location is ForceNew",
  },
  {
    type: "hcloud:index/volumeAttachment:VolumeAttachment",
    properties: ["serverId", "volumeId"],
    source: "hetznercloud/terraform-provider-hcloud internal/volume/resource_attachment.go: volume_id and server_id are ForceNew (no update function)",
  },
  {
    type: "aws:ec2/instance:Instance",
    // `instance_type` is changed in place with a stop/start; `vpc_security_group_ids` and tags in place.
    properties: ["ami", "availabilityZone", "subnetId", "privateIp", "placementGroup", "instanceMarketOptions", "keyName"],
    source: "hashicorp/terraform-provider-aws internal/service/ec2/ec2_instance.go schema (as read for test/unit/day2/replacement.test.ts)",
  },
  {
    type: "aws:ec2/volumeAttachment:VolumeAttachment",
    properties: ["deviceName", "instanceId", "volumeId"],
    source: "hashicorp/terraform-provider-aws internal/service/ec2/ebs_volume_attachment.go: device_name, instance_id, volume_id are ForceNew (Update is a no-op)",
  },
  {
    type: "gcp:compute/instance:Instance",
    // `machine_type`, `attached_disk`, `resource_policies`, `metadata`, `labels`, `tags` and the other scheduling
    // fields are updated in place (a stop/start with allowStoppingForUpdate).
    properties: ["name", "zone", "bootDisk", "scheduling.provisioningModel", "scheduling.preemptible"],
    source:
      "hashicorp/terraform-provider-google google/services/compute/resource_compute_instance.go: name, zone, boot_disk ForceNew; scheduling.provisioning_model and scheduling.preemptible ForceNew",
  },
  {
    type: "gcp:compute/resourcePolicy:ResourcePolicy",
    properties: ["name", "region", "project", "description", "groupPlacementPolicy", "snapshotSchedulePolicy", "instanceSchedulePolicy", "diskConsistencyGroupPolicy", "workloadPolicy"],
    source: "GoogleCloudPlatform/magic-modules mmv1/products/compute/ResourcePolicy.yaml: immutable resource (no update_url), every field ForceNew",
  },
  {
    type: "gcp:compute/disk:Disk",
    // `size` is a resize in place (disks.resize; only growing), `labels` in place.
    properties: ["name", "zone", "type", "image", "snapshot"],
    source: "GoogleCloudPlatform/magic-modules mmv1/products/compute/Disk.yaml: name, zone, type, image, snapshot immutable (ForceNew); size has an update_url",
  },
  {
    type: "gcp:compute/firewall:Firewall",
    // `source_ranges`, `allow`, `target_tags`, `description` are patched in place.
    properties: ["name", "network", "direction"],
    source: "GoogleCloudPlatform/magic-modules mmv1/products/compute/Firewall.yaml: name, network, direction immutable (ForceNew); the rest is PATCHed",
  },
  {
    type: "digitalocean:index/droplet:Droplet",
    // `size` is a resize in place (power off, resize; disk kept when resize_disk is false), `name`, tags in place.
    properties: ["image", "region", "userData", "sshKeys", "vpcUuid"],
    source: "digitalocean/terraform-provider-digitalocean digitalocean/droplet/resource_droplet.go: image, region, user_data, ssh_keys, vpc_uuid ForceNew",
  },
  {
    type: "digitalocean:index/volume:Volume",
    // `size` is a resize in place (volume actions: resize, only growing).
    properties: ["region", "snapshotId", "initialFilesystemType", "filesystemType"],
    source: "digitalocean/terraform-provider-digitalocean digitalocean/volume/resource_volume.go: region, snapshot_id, initial_filesystem_type, filesystem_type ForceNew",
  },
  {
    type: "digitalocean:index/volumeAttachment:VolumeAttachment",
    properties: ["dropletId", "volumeId"],
    source: "digitalocean/terraform-provider-digitalocean digitalocean/volume/resource_volume_attachment.go: droplet_id, volume_id ForceNew (no update function)",
  },
  {
    type: "command:remote:Command",
    // Any other input change is an update, which runs `create` again when no `update` command is set.
    properties: ["triggers"],
    source: "@pulumi/command remote/command.js: the SDK adds `replaceOnChanges: [\"triggers[*]\"]` to every Command",
  },
  {
    type: "command:remote:CopyToRemote",
    properties: ["triggers"],
    source: "@pulumi/command remote/copyToRemote.js: the SDK adds `replaceOnChanges: [\"triggers[*]\"]` to every CopyToRemote",
  },
];

/** Types whose every input change replaces the resource: new key material (see ../../day2/support/update-model.ts). */
const REPLACE_ON_ANY_CHANGE = [/^tls:/, /^random:/];

/** The value at a dotted path (`scheduling.provisioningModel`), undefined where the path ends early. */
const valueAt = (inputs: Record<string, unknown>, path: string): unknown =>
  path.split(".").reduce<unknown>((holder, key) => (holder && typeof holder === "object" ? (holder as Record<string, unknown>)[key] : undefined), inputs);

/**
 * The replacing properties of a resource of `type` among the top-level inputs `changed`. A nested rule
 * (`scheduling.provisioningModel`) counts only when that field itself differs between `before` and `after`,
 * so an in-place change elsewhere in the same object stays an update.
 */
export function replacingPropertiesOf(
  type: string,
  changed: readonly string[],
  before: Record<string, unknown> = {},
  after: Record<string, unknown> = {},
): string[] {
  if (REPLACE_ON_ANY_CHANGE.some((pattern) => pattern.test(type))) return [...changed];
  const rule = replacingRules.find((r) => r.type === type);
  if (!rule) return [];
  return rule.properties.filter((property) => {
    const [top] = property.split(".");
    if (!changed.includes(top)) return false;
    return property === top || JSON.stringify(valueAt(before, property)) !== JSON.stringify(valueAt(after, property));
  });
}
