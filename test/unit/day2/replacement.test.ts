/**
 * Replacing a server (`pulumi up --replace <urn>`, or a change the provider can only apply by replacing)
 * must be possible on every provider whose servers hold a fixed private IP or a fixed name, and must give the
 * new server its TLS again. Read from the options and dependencies the engine receives (./support/update-model.ts).
 *
 * Which properties force a replacement is the provider's to decide; the ones taken here (checked 2026-12-01):
 * - AWS `aws_instance` (terraform-provider-aws, resource_aws_instance.go schema): `ami`, `availability_zone`,
 *   `subnet_id`, `private_ip`, `placement_group`, `instance_market_options` (spot on/off) and `key_name` are
 *   ForceNew; `instance_type` is changed in place with a stop/start. The instance pins `private_ip`, so the
 *   default create-before-delete asks EC2 for an address still held by the old instance (`InvalidIPAddress.InUse`).
 * - Azure VMs: the VM name (`vmName`), `availabilitySet` and `priority` (spot) can only be set at creation
 *   (ARM answers 409 "Changing property 'availabilitySet.id' is not allowed", Azure/azure-powershell#1820);
 *   the name is fixed, so a second VM of that name cannot exist beside the old one.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { fleetCases, stackConfigOf } from "../conformance/fleet-cases";
import { runUpdate, type UpdateResource, type UpdateRun } from "./support/update-model";
import { unwrapSecret } from "../../support/secret-inputs";

/** Pulumi's marker of a secret value in what the engine (and the mocks) receive. */
const caseOf = (provider: string) => fleetCases.find((c) => c.provider === provider && !c.burstElsewhere)!;
const workspaceStepRuns = (run: UpdateRun) =>
  run.mocks.resources.filter((r) => r.type === "command:remote:Command" && /-ws-[a-z]+-\d+-post-boot-run$/.test(r.name));
const scriptCopyOf = (run: UpdateRun, step: UpdateResource) => run.mocks.named(step.name.replace(/-run$/, "-script"));

describe("replacing an AWS instance", () => {
  let run: UpdateRun;
  beforeAll(async () => {
    run = await runUpdate("replace", stackConfigOf(caseOf("aws")));
  }, 120_000);

  it("deletes the old instance first: every instance pins its private IP", () => {
    const instances = run.mocks.ofType("aws:ec2/instance:Instance");
    expect(instances.length).toBeGreaterThan(1);
    for (const instance of instances) {
      expect(instance.inputs.privateIp, instance.name).toMatch(/^10\./);
      expect(instance.options.deleteBeforeReplace, instance.name).toBe(true);
    }
  });

  it("attaches the Elastic IP and creates the internet-facing NLB only once the internet gateway is attached", () => {
    const [gateway] = run.mocks.ofType("aws:ec2/internetGateway:InternetGateway");
    const dependents = [...run.mocks.ofType("aws:ec2/eipAssociation:EipAssociation"), ...run.mocks.ofType("aws:lb/loadBalancer:LoadBalancer")];
    expect(dependents).toHaveLength(2);
    for (const resource of dependents) expect(resource.dependencies, resource.name).toContain(gateway.name);
  });
});

describe("replacing an Azure VM", () => {
  let run: UpdateRun;
  beforeAll(async () => {
    run = await runUpdate("replace", stackConfigOf(caseOf("azure")));
  }, 120_000);

  it("deletes the old VM first: its name is fixed", () => {
    const vms = run.mocks.ofType("azure-native:compute:VirtualMachine");
    expect(vms.length).toBeGreaterThan(1);
    for (const vm of vms) {
      expect(vm.inputs.vmName, vm.name).toBeTruthy();
      expect(vm.options.deleteBeforeReplace, vm.name).toBe(true);
    }
  });

  it("replaces a VM whose spot priority or availability set changes, instead of an update Azure refuses", () => {
    // azure-native plans such changes as in-place updates that fail at `up` (pulumi-azure-native#577;
    // Azure/azure-cli#11187: Regular <-> Spot cannot change on an existing VM; availabilitySet.id neither).
    for (const vm of run.mocks.ofType("azure-native:compute:VirtualMachine")) {
      expect(vm.options.replaceOnChanges, vm.name).toEqual(expect.arrayContaining(["priority", "availabilitySet"]));
    }
  });

  it("keeps the static NIC (private and public IP) when the old VM goes, so the new VM takes it over", () => {
    const nics = new Map(run.mocks.ofType("azure-native:network:NetworkInterface").map((nic) => [nic.id, nic]));
    for (const vm of run.mocks.ofType("azure-native:compute:VirtualMachine")) {
      const [attachment] = vm.inputs.networkProfile.networkInterfaces;
      const nic = [...nics.values()].find((n) => attachment.id.endsWith(n.id) || n.state.id === attachment.id);
      expect(nic, vm.name).toBeDefined();
      expect(nic!.inputs.ipConfigurations[0].privateIPAllocationMethod).toBe("Static");
      expect(attachment.deleteOption, vm.name).toBe("Detach");
      expect(nic!.options.deleteBeforeReplace, nic!.name).toBe(false);
    }
  });
});

const serverTypes: Record<string, string> = {
  aws: "aws:ec2/instance:Instance",
  azure: "azure-native:compute:VirtualMachine",
  gcp: "gcp:compute/instance:Instance",
  hetzner: "hcloud:index/server:Server",
};

describe.each(Object.keys(serverTypes))("the post-boot step of a replaced %s workspace server", (provider) => {
  let run: UpdateRun;
  beforeAll(async () => {
    run = await runUpdate("replace", stackConfigOf(caseOf(provider)));
  }, 120_000);

  it("deletes the old server before creating the new one (fixed name and private IP)", () => {
    const servers = run.mocks.ofType(serverTypes[provider]);
    expect(servers.length).toBeGreaterThan(1);
    for (const server of servers) expect(server.options.deleteBeforeReplace, server.name).toBe(true);
  });

  it("re-runs, script copy included, because the server's id is among its triggers", () => {
    const steps = workspaceStepRuns(run);
    expect(steps.length).toBeGreaterThan(1);
    const servers = run.mocks.ofType(serverTypes[provider]);
    for (const step of steps) {
      const planned = /(ws-[a-z]+-\d+)-post-boot-run$/.exec(step.name)![1];
      // Hetzner names the server resource `<site>-<server>-server`, the others `<site>-<server>`.
      const server = servers.find((s) => new RegExp(`-${planned}(-server)?$`).test(s.name));
      expect(server, step.name).toBeDefined();
      expect(step.inputs.triggers, step.name).toContain(server!.id);
      expect(scriptCopyOf(run, step).inputs.triggers, step.name).toContain(server!.id);
    }
  });

  it("waits for a replaced platform again and copies the script to it again (the readiness check's triggers)", () => {
    const platform = run.mocks.ofType(serverTypes[provider]).find((s) => /-platform(-server)?$/.test(s.name))!;
    expect(run.mocks.named("sandfleet-replace-platform-readiness-run").inputs.triggers).toContain(platform.id);
    expect(run.mocks.named("sandfleet-replace-platform-readiness-script").inputs.triggers).toContain(platform.id);
  });

  it("delivers the registry and the client TLS files to a replaced platform again (its id is among their triggers)", () => {
    const platform = run.mocks.ofType(serverTypes[provider]).find((s) => /-platform(-server)?$/.test(s.name))!;
    for (const file of ["sandfleet-replace-registry-registry", "sandfleet-replace-registry-client-tls"]) {
      // Secret as a whole: the registry digest is derived from the secret registry.
      expect(unwrapSecret(run.mocks.named(file).inputs.triggers), file).toContain(platform.id);
    }
  });
});
