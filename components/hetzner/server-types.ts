/**
 * Hetzner Cloud server types: hardware (reported in the endpoint registry's `capacity`), CPU architecture
 * and the locations where each can be ordered, plus the types Hetzner retired and what replaced them.
 * The Hetzner API knows these too, but reading them would need a provider call at preview time (and
 * credentials in unit tests); a table is explicit and reviewable, and lets `pulumi preview` refuse a type
 * that `pulumi up` could not order. Types Hetzner adds later can be declared in the stack config
 * (`sandfleet:hetzner.extraServerTypes`) without a release.
 *
 * Checked 2026-12-01 against:
 *  - Hetzner changelog 2025-10-16 "server types deprecated" (docs.hetzner.cloud/changelog): the CX Gen 2
 *    (cx22…cx52) and CPX Gen 1 (cpx11…cpx51) types were deprecated, replaced by cx23…cx53 and cpx12…cpx62,
 *    and removed from ordering at the end of 2025 / January 2026 (pulumi/pulumi-hcloud#939,
 *    hcloud-talos/terraform-hcloud-talos#316: "cx42 ... will no longer be available for order as of 2025-12-31").
 *  - Hetzner's plan pages as read on 2026-09-04 (robhunter/agentdeals#1181): cost-optimised CX23–CX53 and
 *    CAX11–CAX41 in the EU locations only; CPX12–CPX62 in the EU and Singapore; the first-generation
 *    CPX11–CPX51 still sold in the US locations only; CCX13–CCX63 everywhere.
 *  - Specs: cx23–cx53, cax*, cpx12/22/32 from Hetzner's type list as quoted by docs.cnap.tech (2026) and
 *    fabianwimberger/cloud-bench#23 (2026-02); cpx42 (8/16) and cpx52 (12/24) vCPU/RAM from users' fleets;
 *    cpx62 16 vCPU / 32 GB / 640 GB. NOT verified here: the disks of cpx42 (320 GB) and cpx52 (480 GB),
 *    taken from Hetzner's 2025-10 announcement as remembered; check `hcloud server-type describe` before
 *    relying on them.
 */
import type { Capacity } from "../../runtime/registry/schema";

export type HetznerArchitecture = "x86" | "arm64";

export interface HetznerServerType extends Capacity {
  arch: HetznerArchitecture;
  /** Locations where the type can be ordered. */
  locations: readonly string[];
}

const eu = ["fsn1", "nbg1", "hel1"] as const;
const euAndSingapore = [...eu, "sin"] as const;
const us = ["ash", "hil"] as const;
const everywhere = [...eu, ...us, "sin"] as const;

const gb = (n: number) => n * 1024;
const type = (cpus: number, memoryGb: number, diskGb: number, arch: HetznerArchitecture, locations: readonly string[]): HetznerServerType => ({
  cpus,
  memoryMb: gb(memoryGb),
  diskGb,
  arch,
  locations,
});

export const hetznerServerTypes: Readonly<Record<string, HetznerServerType>> = {
  // Shared vCPU, Intel/AMD (cost-optimised), 3rd generation (from 2025-10).
  cx23: type(2, 4, 40, "x86", eu),
  cx33: type(4, 8, 80, "x86", eu),
  cx43: type(8, 16, 160, "x86", eu),
  cx53: type(16, 32, 320, "x86", eu),
  // Shared vCPU, Ampere (arm64): Docker and gVisor both ship arm64 builds.
  cax11: type(2, 4, 40, "arm64", eu),
  cax21: type(4, 8, 80, "arm64", eu),
  cax31: type(8, 16, 160, "arm64", eu),
  cax41: type(16, 32, 320, "arm64", eu),
  // Shared vCPU, AMD (regular performance), 2nd generation (from 2025-10).
  cpx12: type(1, 2, 40, "x86", euAndSingapore),
  cpx22: type(2, 4, 80, "x86", euAndSingapore),
  cpx32: type(4, 8, 160, "x86", euAndSingapore),
  cpx42: type(8, 16, 320, "x86", euAndSingapore),
  cpx52: type(12, 24, 480, "x86", euAndSingapore),
  cpx62: type(16, 32, 640, "x86", euAndSingapore),
  // Shared vCPU, AMD, 1st generation: retired in the EU and Singapore, still sold in the US locations.
  cpx11: type(2, 2, 40, "x86", us),
  cpx21: type(3, 4, 80, "x86", us),
  cpx31: type(4, 8, 160, "x86", us),
  cpx41: type(8, 16, 240, "x86", us),
  cpx51: type(16, 32, 360, "x86", us),
  // Dedicated vCPU, AMD.
  ccx13: type(2, 8, 80, "x86", everywhere),
  ccx23: type(4, 16, 160, "x86", everywhere),
  ccx33: type(8, 32, 240, "x86", everywhere),
  ccx43: type(16, 64, 360, "x86", everywhere),
  ccx53: type(32, 128, 600, "x86", everywhere),
  ccx63: type(48, 192, 960, "x86", everywhere),
};

/** Types Hetzner no longer sells anywhere, and the type with the same vCPU and memory that replaced each. */
export const retiredHetznerServerTypes: Readonly<Record<string, { successor: string; removed: string }>> = {
  cx22: { successor: "cx23", removed: "2026-01" },
  cx32: { successor: "cx33", removed: "2026-01" },
  cx42: { successor: "cx43", removed: "2026-01" },
  cx52: { successor: "cx53", removed: "2026-01" },
};

/** The nearest current type by vCPUs and memory to each first-generation CPX, for where those are no longer sold (EU, Singapore). */
const cpxGen1Successors: Readonly<Record<string, string>> = {
  cpx11: "cpx22",
  cpx21: "cpx22",
  cpx31: "cpx32",
  cpx41: "cpx42",
  cpx51: "cpx62",
};

const summary = (name: string): string => {
  const t = hetznerServerTypes[name]!;
  return `${name} (${t.cpus} vCPU, ${t.memoryMb / 1024} GB, ${t.diskGb} GB disk, ${t.arch})`;
};

/**
 * The capacity of `serverType`, from the built-in table or the user's `extraServerTypes`. With a
 * `location`, also checks that Hetzner sells the type there. Throws naming the successor of a retired
 * type, the locations of a type sold elsewhere, or the known types and how to declare a new one.
 */
export function capacityOf(serverType: string, extraServerTypes: Readonly<Record<string, Capacity>> = {}, location?: string): Capacity {
  const declared = extraServerTypes[serverType];
  if (declared) return { ...declared };
  const retired = retiredHetznerServerTypes[serverType];
  if (retired) {
    throw new Error(
      `Hetzner server type "${serverType}" can no longer be ordered (Hetzner removed it in ${retired.removed}). ` +
        `Use its successor ${summary(retired.successor)} instead.`,
    );
  }
  const known = hetznerServerTypes[serverType];
  if (!known) {
    const names = [...Object.keys(hetznerServerTypes), ...Object.keys(extraServerTypes)].sort().join(", ");
    throw new Error(
      `Hetzner server type "${serverType}" is not known. Use one of: ${names}; ` +
        `or declare it in sandfleet:hetzner.extraServerTypes as { cpus, memoryMb, diskGb }.`,
    );
  }
  if (location !== undefined && !known.locations.includes(location)) {
    const successor = cpxGen1Successors[serverType];
    const instead = successor && hetznerServerTypes[successor]!.locations.includes(location) ? `use ${summary(successor)}` : "pick a type sold there";
    throw new Error(
      `Hetzner server type "${serverType}" cannot be ordered in ${location}; it is sold in ${known.locations.join(", ")}. ` +
        `Choose one of those locations, or ${instead}.`,
    );
  }
  const { cpus, memoryMb, diskGb } = known;
  return { cpus, memoryMb, diskGb };
}
