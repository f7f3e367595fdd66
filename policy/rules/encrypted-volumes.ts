/**
 * No unencrypted volume where the provider lets you choose.
 *
 * Per provider (decided, not forgotten):
 * - AWS: encryption is opt-in per volume (unless the account turned on "EBS encryption by default", which a
 *   policy cannot see), so ebs.Volume, an Instance's root and EBS block devices, and a LaunchTemplate's EBS
 *   mappings must say `encrypted: true`. An Instance without `rootBlockDevice` gets the AMI's default,
 *   which is unencrypted, and is reported.
 * - GCP: every persistent disk is encrypted at rest with Google-managed keys and this cannot be turned off;
 *   customer-managed keys (diskEncryptionKey) are an option, not a requirement here. Nothing to check.
 * - Azure: managed disks always have server-side encryption with platform-managed keys; it cannot be
 *   turned off. Nothing to check. (Encryption at host, covering temp disks and caches, needs a subscription
 *   feature flag; not required.)
 * - DigitalOcean: block storage volumes are always encrypted at rest. Nothing to check.
 * - Hetzner: volumes have no encryption setting in the API; encryption would have to happen in the guest
 *   (LUKS). Not enforceable by a resource policy; workspace data on /var/lib/docker is throwaway by design.
 */
import type { ResourceValidationPolicy } from "@pulumi/policy";
import { resourceTypes as t } from "../resource-types";

export const noUnencryptedVolumes: ResourceValidationPolicy = {
  name: "no-unencrypted-volumes",
  description: "Volumes are encrypted where the provider makes encryption optional (AWS EBS).",
  enforcementLevel: "mandatory",
  severity: "high",
  remediationSteps: "Set `encrypted: true` on the EBS volume or block device (optionally with a kmsKeyId).",
  validateResource: (args, reportViolation) => {
    const props = args.props;
    const report = (where: string) =>
      reportViolation(`${args.name}: ${where} is not encrypted. Set \`encrypted: true\` on it.`);
    switch (args.type) {
      case t.aws.ebsVolume:
        if (!isTrue(props.encrypted)) report("the EBS volume");
        return;
      case t.aws.instance:
        if (!isTrue(props.rootBlockDevice?.encrypted)) {
          report(props.rootBlockDevice ? "rootBlockDevice" : "the root volume (no rootBlockDevice, so the AMI default)");
        }
        (Array.isArray(props.ebsBlockDevices) ? props.ebsBlockDevices : []).forEach((device: any, i: number) => {
          if (!isTrue(device?.encrypted)) report(`ebsBlockDevices[${i}] (${device?.deviceName ?? "?"})`);
        });
        return;
      case t.aws.launchTemplate:
        (Array.isArray(props.blockDeviceMappings) ? props.blockDeviceMappings : []).forEach((mapping: any, i: number) => {
          if (mapping?.ebs && !isTrue(mapping.ebs.encrypted)) {
            report(`blockDeviceMappings[${i}] (${mapping.deviceName ?? "?"})`);
          }
        });
        return;
    }
  },
};

/** The AWS provider types `encrypted` as a boolean on volumes but as a string on launch templates. */
function isTrue(value: unknown): boolean {
  return value === true || (typeof value === "string" && value.toLowerCase() === "true");
}
