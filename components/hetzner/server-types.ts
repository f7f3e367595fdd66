/**
 * Hardware of Hetzner Cloud server types, reported in the endpoint registry (`capacity`) and used for
 * capacity planning. The Hetzner API knows these too, but reading them would need a provider call at
 * preview time (and credentials in unit tests); a table is explicit and reviewable. Types Hetzner adds
 * later can be declared in the stack config (`sandfleet:hetzner.extraServerTypes`) without a release.
 */
import type { Capacity } from "../../runtime/registry/schema";

const gb = (n: number) => n * 1024;
const type = (cpus: number, memoryGb: number, diskGb: number): Capacity => ({ cpus, memoryMb: gb(memoryGb), diskGb });

export const hetznerServerTypes: Readonly<Record<string, Capacity>> = {
  // Shared vCPU, Intel/AMD (cost-optimised): the 2nd and 3rd generation.
  cx22: type(2, 4, 40),
  cx32: type(4, 8, 80),
  cx42: type(8, 16, 160),
  cx52: type(16, 32, 320),
  cx23: type(2, 4, 40),
  cx33: type(4, 8, 80),
  cx43: type(8, 16, 160),
  cx53: type(16, 32, 320),
  // Shared vCPU, AMD.
  cpx11: type(2, 2, 40),
  cpx21: type(3, 4, 80),
  cpx31: type(4, 8, 160),
  cpx41: type(8, 16, 240),
  cpx51: type(16, 32, 360),
  // Shared vCPU, Ampere (arm64): Docker and gVisor both ship arm64 builds.
  cax11: type(2, 4, 40),
  cax21: type(4, 8, 80),
  cax31: type(8, 16, 160),
  cax41: type(16, 32, 320),
  // Dedicated vCPU, AMD.
  ccx13: type(2, 8, 80),
  ccx23: type(4, 16, 160),
  ccx33: type(8, 32, 240),
  ccx43: type(16, 64, 360),
  ccx53: type(32, 128, 600),
  ccx63: type(48, 192, 960),
};

/**
 * The capacity of `serverType`, from the built-in table or the user's `extraServerTypes`.
 * Throws naming the known types and how to declare a new one.
 */
export function capacityOf(serverType: string, extraServerTypes: Readonly<Record<string, Capacity>> = {}): Capacity {
  const capacity = extraServerTypes[serverType] ?? hetznerServerTypes[serverType];
  if (!capacity) {
    const known = [...Object.keys(hetznerServerTypes), ...Object.keys(extraServerTypes)].sort().join(", ");
    throw new Error(
      `Hetzner server type "${serverType}" is not known. Use one of: ${known}; ` +
        `or declare it in sandfleet:hetzner.extraServerTypes as { cpus, memoryMb, diskGb }.`,
    );
  }
  return { ...capacity };
}
