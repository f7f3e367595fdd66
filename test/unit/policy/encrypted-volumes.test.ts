import { describe, expect, it } from "vitest";
import { resourceTypes as t } from "../../../policy/resource-types";
import { noUnencryptedVolumes } from "../../../policy/rules/encrypted-volumes";
import { violationsOf } from "./validate";

describe("no-unencrypted-volumes on AWS, where encryption is opt-in", () => {
  it("passes an encrypted EBS volume and reports one without encryption", async () => {
    expect(await violationsOf(noUnencryptedVolumes, t.aws.ebsVolume, { availabilityZone: "eu-central-1a", size: 40, encrypted: true })).toEqual([]);
    expect(await violationsOf(noUnencryptedVolumes, t.aws.ebsVolume, { availabilityZone: "eu-central-1a", size: 40 }, "ws-1-data")).toEqual([
      expect.stringContaining("ws-1-data: the EBS volume is not encrypted"),
    ]);
  });

  it("passes an instance whose root and EBS block devices are encrypted", async () => {
    const props = {
      ami: "ami-1",
      instanceType: "t3.large",
      rootBlockDevice: { volumeSize: 20, encrypted: true },
      ebsBlockDevices: [{ deviceName: "/dev/sdf", volumeSize: 40, encrypted: true }],
    };
    expect(await violationsOf(noUnencryptedVolumes, t.aws.instance, props)).toEqual([]);
  });

  it("reports an instance without rootBlockDevice (the AMI default is unencrypted) and an unencrypted EBS block device", async () => {
    const props = { ami: "ami-1", instanceType: "t3.large", ebsBlockDevices: [{ deviceName: "/dev/sdf", volumeSize: 40 }] };
    const violations = await violationsOf(noUnencryptedVolumes, t.aws.instance, props);
    expect(violations).toHaveLength(2);
    expect(violations[0]).toContain("no rootBlockDevice");
    expect(violations[1]).toContain("ebsBlockDevices[0] (/dev/sdf)");
  });

  it("reads a launch template's string-typed `encrypted`", async () => {
    const encrypted = { blockDeviceMappings: [{ deviceName: "/dev/xvda", ebs: { volumeSize: 20, encrypted: "true" } }] };
    const plain = { blockDeviceMappings: [{ deviceName: "/dev/xvda", ebs: { volumeSize: 20, encrypted: "false" } }] };
    expect(await violationsOf(noUnencryptedVolumes, t.aws.launchTemplate, encrypted)).toEqual([]);
    expect(await violationsOf(noUnencryptedVolumes, t.aws.launchTemplate, plain)).toEqual([expect.stringContaining("blockDeviceMappings[0]")]);
  });
});

describe("no-unencrypted-volumes on providers that always encrypt or cannot", () => {
  // GCP persistent disks, Azure managed disks and DigitalOcean volumes are encrypted at rest by the
  // provider and cannot be switched off; Hetzner volumes have no setting. See policy/rules/encrypted-volumes.ts.
  it.each([
    ["gcp Disk", "gcp:compute/disk:Disk", { zone: "europe-west3-a", size: 40 }],
    ["azure Disk", "azure-native:compute:Disk", { resourceGroupName: "rg", creationData: { createOption: "Empty" }, diskSizeGB: 40 }],
    ["digitalocean Volume", "digitalocean:index/volume:Volume", { region: "fra1", size: 40 }],
    ["hcloud Volume", "hcloud:index/volume:Volume", { location: "fsn1", size: 40 }],
  ])("has nothing to report for a %s without encryption settings", async (_label, type, props) => {
    expect(await violationsOf(noUnencryptedVolumes, type, props)).toEqual([]);
  });
});
