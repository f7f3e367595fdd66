/**
 * Hardware of the Compute Engine machine types sandfleet supports, reported in the endpoint registry
 * (`capacity`) and used to reject unknown types at preview time. x86_64 only (the Debian image is amd64)
 * and only series that take `pd-balanced` disks (N4/C4 need Hyperdisk). Types Google adds later go into
 * `sandfleet:gcp.extraMachineTypes`.
 */
import type { Capacity } from "../../runtime/registry/schema";

export type MachineHardware = Omit<Capacity, "diskGb">;

const hw = (cpus: number, memoryGb: number): MachineHardware => ({ cpus, memoryMb: memoryGb * 1024 });

export const gcpMachineTypes: Readonly<Record<string, MachineHardware>> = {
  // E2: cheapest; shared-core e2-medium suits the platform server.
  "e2-medium": hw(2, 4),
  "e2-standard-2": hw(2, 8),
  "e2-standard-4": hw(4, 16),
  "e2-standard-8": hw(8, 32),
  "e2-highcpu-4": hw(4, 4),
  "e2-highcpu-8": hw(8, 8),
  // N2 / N2D: the series spread placement policies support.
  "n2-standard-2": hw(2, 8),
  "n2-standard-4": hw(4, 16),
  "n2-standard-8": hw(8, 32),
  "n2-highcpu-4": hw(4, 4),
  "n2-highcpu-8": hw(8, 8),
  "n2d-standard-2": hw(2, 8),
  "n2d-standard-4": hw(4, 16),
  "n2d-standard-8": hw(8, 32),
  "n2d-highcpu-4": hw(4, 4),
  "n2d-highcpu-8": hw(8, 8),
  // C2 / C3: compute optimised.
  "c2-standard-4": hw(4, 16),
  "c2-standard-8": hw(8, 32),
  "c3-standard-4": hw(4, 16),
  "c3-standard-8": hw(8, 32),
};

/** Series for which Compute Engine accepts spread placement policies. */
export const spreadCapableSeries = ["n1", "n2", "n2d", "c2", "g2"];

export function machineSeriesOf(machineType: string): string {
  return machineType.split("-")[0];
}

/** Capacity of `machineType` with `diskGb` = the data disk; throws naming the known types. */
export function gcpCapacityOf(
  machineType: string,
  volumeGb: number,
  extraMachineTypes: Readonly<Record<string, MachineHardware>> = {},
): Capacity {
  const hardware = extraMachineTypes[machineType] ?? gcpMachineTypes[machineType];
  if (!hardware) {
    const known = [...Object.keys(gcpMachineTypes), ...Object.keys(extraMachineTypes)].sort().join(", ");
    throw new Error(
      `GCP machine type "${machineType}" is not supported. Use one of: ${known}; ` +
        `or declare an x86_64 type that takes pd-balanced disks in sandfleet:gcp.extraMachineTypes as { cpus, memoryMb }.`,
    );
  }
  return { ...hardware, diskGb: volumeGb };
}
