/**
 * Hardware of the Droplet sizes sandfleet supports, reported in the endpoint registry (`capacity`) and
 * used to reject unknown sizes at preview time. Sizes DigitalOcean adds later go into
 * `sandfleet:digitalocean.extraSizes`.
 */
import type { Capacity } from "../../runtime/registry/schema";

export type DropletHardware = Omit<Capacity, "diskGb">;

const hw = (cpus: number, memoryGb: number): DropletHardware => ({ cpus, memoryMb: memoryGb * 1024 });

export const digitaloceanSizes: Readonly<Record<string, DropletHardware>> = {
  // Basic (shared CPU).
  "s-1vcpu-2gb": hw(1, 2),
  "s-2vcpu-2gb": hw(2, 2),
  "s-2vcpu-4gb": hw(2, 4),
  "s-4vcpu-8gb": hw(4, 8),
  "s-8vcpu-16gb": hw(8, 16),
  "s-2vcpu-4gb-amd": hw(2, 4),
  "s-4vcpu-8gb-amd": hw(4, 8),
  "s-8vcpu-16gb-amd": hw(8, 16),
  // General purpose (dedicated CPU).
  "g-2vcpu-8gb": hw(2, 8),
  "g-4vcpu-16gb": hw(4, 16),
  "g-8vcpu-32gb": hw(8, 32),
  // CPU optimised (dedicated CPU).
  "c-2": hw(2, 4),
  "c-4": hw(4, 8),
  "c-8": hw(8, 16),
  "c-16": hw(16, 32),
  // Memory optimised.
  "m-2vcpu-16gb": hw(2, 16),
  "m-4vcpu-32gb": hw(4, 32),
};

/** Capacity of `size` with `diskGb` = the data volume; throws naming the known sizes. */
export function digitaloceanCapacityOf(size: string, volumeGb: number, extraSizes: Readonly<Record<string, DropletHardware>> = {}): Capacity {
  const hardware = extraSizes[size] ?? digitaloceanSizes[size];
  if (!hardware) {
    const known = [...Object.keys(digitaloceanSizes), ...Object.keys(extraSizes)].sort().join(", ");
    throw new Error(
      `DigitalOcean Droplet size "${size}" is not supported. Use one of: ${known}; ` +
        `or declare it in sandfleet:digitalocean.extraSizes as { cpus, memoryMb }.`,
    );
  }
  return { ...hardware, diskGb: volumeGb };
}
