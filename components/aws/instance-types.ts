/**
 * Hardware of the EC2 instance types sandfleet supports, reported in the endpoint registry (`capacity`)
 * and used to reject unknown types at preview time (reading them from the EC2 API would need
 * credentials in unit tests). Only Nitro, x86_64 types: data volumes are NVMe there, which gives the
 * stable `/dev/disk/by-id/nvme-Amazon_Elastic_Block_Store_vol...` path the cloud-init renderer mounts,
 * and the Debian AMI this provider picks is amd64. Types AWS adds later go into
 * `sandfleet:aws.extraInstanceTypes`.
 */
import type { Capacity } from "../../runtime/registry/schema";

/** cpus and memory only; `diskGb` of the registry is the data volume the stack asks for. */
export type InstanceHardware = Omit<Capacity, "diskGb">;

const hw = (cpus: number, memoryGb: number): InstanceHardware => ({ cpus, memoryMb: memoryGb * 1024 });

export const awsInstanceTypes: Readonly<Record<string, InstanceHardware>> = {
  // Burstable (unlimited credits by default: sustained load is billed extra; fine for the platform).
  "t3.small": hw(2, 2),
  "t3.medium": hw(2, 4),
  "t3.large": hw(2, 8),
  "t3.xlarge": hw(4, 16),
  "t3.2xlarge": hw(8, 32),
  "t3a.medium": hw(2, 4),
  "t3a.large": hw(2, 8),
  "t3a.xlarge": hw(4, 16),
  // General purpose.
  "m6i.large": hw(2, 8),
  "m6i.xlarge": hw(4, 16),
  "m6i.2xlarge": hw(8, 32),
  "m6i.4xlarge": hw(16, 64),
  "m7i.large": hw(2, 8),
  "m7i.xlarge": hw(4, 16),
  "m7i.2xlarge": hw(8, 32),
  "m6a.large": hw(2, 8),
  "m6a.xlarge": hw(4, 16),
  "m6a.2xlarge": hw(8, 32),
  // Compute optimised: many short sandboxes per host.
  "c6i.large": hw(2, 4),
  "c6i.xlarge": hw(4, 8),
  "c6i.2xlarge": hw(8, 16),
  "c6i.4xlarge": hw(16, 32),
  "c7i.large": hw(2, 4),
  "c7i.xlarge": hw(4, 8),
  "c7i.2xlarge": hw(8, 16),
  // Memory optimised.
  "r6i.large": hw(2, 16),
  "r6i.xlarge": hw(4, 32),
};

/**
 * Capacity of `instanceType` with `diskGb` = the data volume size. Throws naming the known types and how
 * to declare another one.
 */
export function awsCapacityOf(
  instanceType: string,
  volumeGb: number,
  extraInstanceTypes: Readonly<Record<string, InstanceHardware>> = {},
): Capacity {
  const hardware = extraInstanceTypes[instanceType] ?? awsInstanceTypes[instanceType];
  if (!hardware) {
    const known = [...Object.keys(awsInstanceTypes), ...Object.keys(extraInstanceTypes)].sort().join(", ");
    throw new Error(
      `AWS instance type "${instanceType}" is not supported. Use one of: ${known}; ` +
        `or declare a Nitro x86_64 type in sandfleet:aws.extraInstanceTypes as { cpus, memoryMb }.`,
    );
  }
  return { ...hardware, diskGb: volumeGb };
}
