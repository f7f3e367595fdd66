/**
 * Hardware of the Azure VM sizes sandfleet supports, reported in the endpoint registry (`capacity`) and
 * used to reject unknown sizes at preview time. x86_64, Generation 2 and SCSI data disks only: the
 * data disk then appears as /dev/disk/azure/scsi1/lun0, the path the cloud-init renderer mounts
 * (NVMe-only sizes such as the v6 series expose disks elsewhere). Sizes Azure adds later go into
 * `sandfleet:azure.extraVmSizes`.
 */
import type { Capacity } from "../../runtime/registry/schema";

export type VmHardware = Omit<Capacity, "diskGb">;

const hw = (cpus: number, memoryGb: number): VmHardware => ({ cpus, memoryMb: memoryGb * 1024 });

export const azureVmSizes: Readonly<Record<string, VmHardware>> = {
  // Burstable: the platform server.
  Standard_B2s: hw(2, 4),
  Standard_B2ms: hw(2, 8),
  Standard_B4ms: hw(4, 16),
  // General purpose, Intel and AMD.
  Standard_D2s_v5: hw(2, 8),
  Standard_D4s_v5: hw(4, 16),
  Standard_D8s_v5: hw(8, 32),
  Standard_D16s_v5: hw(16, 64),
  Standard_D2as_v5: hw(2, 8),
  Standard_D4as_v5: hw(4, 16),
  Standard_D8as_v5: hw(8, 32),
  // Compute optimised.
  Standard_F2s_v2: hw(2, 4),
  Standard_F4s_v2: hw(4, 8),
  Standard_F8s_v2: hw(8, 16),
  Standard_F16s_v2: hw(16, 32),
  // Memory optimised.
  Standard_E2s_v5: hw(2, 16),
  Standard_E4s_v5: hw(4, 32),
};

/** Capacity of `size` with `diskGb` = the data disk; throws naming the known sizes. */
export function azureCapacityOf(size: string, volumeGb: number, extraVmSizes: Readonly<Record<string, VmHardware>> = {}): Capacity {
  const hardware = extraVmSizes[size] ?? azureVmSizes[size];
  if (!hardware) {
    const known = [...Object.keys(azureVmSizes), ...Object.keys(extraVmSizes)].sort().join(", ");
    throw new Error(
      `Azure VM size "${size}" is not supported. Use one of: ${known}; ` +
        `or declare an x86_64 Gen2 size with SCSI disks in sandfleet:azure.extraVmSizes as { cpus, memoryMb }.`,
    );
  }
  return { ...hardware, diskGb: volumeGb };
}
