/**
 * A server type Hetzner no longer sells (anywhere, or in the chosen location) fails while the program
 * builds the fleet, i.e. at `pulumi preview`, before its server is registered: through the provider
 * interface as the fleet core calls it, in preview mode. The shipped stack files' own types are checked
 * against the same table by the stack tests (test/unit/stack/program.test.ts runs them).
 */
import { beforeEach, describe, expect, it } from "vitest";
import { installPulumiMocks, type MockRecorder } from "../../support/pulumi-mocks";
import { buildDirectFleet } from "../conformance/direct-fleet";
import { settled } from "../stack/support/run-program";

const fleet = (platformType: string, poolType: string, location = "fsn1") =>
  buildDirectFleet({ label: "hetzner", provider: "hetzner", location, platform: { serverType: platformType }, pools: [{ name: "standard", count: 1, serverType: poolType }] });

describe("a Hetzner fleet on a type Hetzner does not sell", () => {
  let mocks: MockRecorder;
  beforeEach(() => {
    mocks = installPulumiMocks({ preview: true });
  });
  const servers = () => mocks.ofType("hcloud:index/server:Server");

  it("fails at preview on a retired type, naming its successor, and registers no server of that pool", async () => {
    await expect(fleet("cx23", "cx42")).rejects.toThrow(
      'Hetzner server type "cx42" can no longer be ordered (Hetzner removed it in 2026-01). Use its successor cx43 (8 vCPU, 16 GB, 160 GB disk, x86) instead.',
    );
    await settled(mocks);
    expect(servers().map((s) => s.inputs.serverType)).toEqual(["cx23"]);
    expect(servers().filter((s) => s.name.includes("standard"))).toEqual([]);
  });

  it("fails at preview on a type not sold in the location, naming where it is sold and what to use there", async () => {
    await expect(fleet("cpx31", "cx33")).rejects.toThrow(/"cpx31" cannot be ordered in fsn1; it is sold in ash, hil\. Choose one of those locations, or use cpx32/);
    await expect(fleet("cpx21", "cx33", "ash")).rejects.toThrow(/"cx33" cannot be ordered in ash; it is sold in fsn1, nbg1, hel1\. Choose one of those locations, or pick a type sold there\./);
  });

  it("builds the shipped dev shape on its current types", async () => {
    await fleet("cx23", "cx33");
    await settled(mocks);
    expect(servers().map((s) => s.inputs.serverType).sort()).toEqual(["cx23", "cx33"]);
  });
});
