/**
 * The `local` stack's dynamic providers as the engine runs them: the `__provider` the program registered
 * (under the language host's cmd/run) is handed to the real dynamic-provider plugin process, which performs
 * Check, Diff, Create and Delete over gRPC. The program and Create run in one copy of the checkout; that copy
 * is removed, and Delete runs from another copy at another path, as `pulumi destroy -s local` from a new
 * clone does.
 *
 * Created for real, the cheapest whole set: the fleet's private network and one test host (a systemd +
 * cloud-init container booted with the stack's rendered user-data: 60-90 s, the test-host image is built
 * first when it is not cached). The program runs with a fleet name and address range of this test's own,
 * so it never meets a fleet someone else runs on the engine.
 */
import { cpSync, mkdtempSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Docker from "dockerode";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { networkName } from "../../local/hosts";
import { deleteLocalHost } from "../../components/local/host-lifecycle";
import { runOnLanguageHostPath, type LanguageHostRun } from "./support/language-host";
import { RecordingEngine, type RegisteredResource } from "./support/recording-engine";
import { startDynamicProviderHost } from "./support/dynamic-provider-host";
import { allStackFiles, repoRoot } from "./support/stack-files";
import { unwrapSecrets } from "./support/wire-values";
import { skipWithoutLocalEngine } from "../support/local-engine";

const docker = new Docker();
/** Names and a range of this test's own, so it never meets a fleet someone else runs on the engine. */
const fleet = `sf-rp-${process.pid}`;
const range = `10.${230 + (process.pid % 20)}`;

/** A checkout at another path: the sources copied, node_modules linked (installing it again changes nothing). */
function copyOfCheckout(): string {
  const copy = mkdtempSync(join(tmpdir(), "sf-realpath-checkout-"));
  cpSync(repoRoot, copy, { recursive: true, filter: (src) => !/\/(node_modules|\.git)$/.test(src) });
  symlinkSync(join(repoRoot, "node_modules"), join(copy, "node_modules"));
  return copy;
}

const shipped = allStackFiles().find((f) => f.stack === "local")!;
const localStack = {
  ...shipped,
  config: {
    ...shipped.config,
    "sandfleet:networkCidr": `${range}.0.0/16`,
    "sandfleet:adminCidrs": [`${range}.0.1/32`],
    "sandfleet:local": { fleet },
  },
};
const copies: string[] = [];
/** Where `pulumi up` ran; removed before the delete. */
let upFrom: string;
let engine: RecordingEngine;
let run: LanguageHostRun;
let network: RegisteredResource;
let host: RegisteredResource;

const skip = skipWithoutLocalEngine("local dynamic-provider tests", "test/real-path/local-dynamic-provider.test.ts");

describe.skipIf(skip)("the local stack's dynamic providers under the real dynamic-provider plugin", () => {
  beforeAll(async () => {
    upFrom = copyOfCheckout();
    copies.push(upFrom);
    run = await runOnLanguageHostPath(localStack, { root: upFrom, dryRun: false });
    expect(run.exitCode, run.stderr).toBe(0);
    network = run.engine.resources.find((r) => r.type.endsWith(":LocalNetwork"))!;
    host = run.engine.resources.find((r) => r.type.endsWith(":LocalHost"))!;
    engine = new RecordingEngine({ project: "sandfleet", stack: "local", dryRun: false });
    await engine.start();
  });

  afterAll(async () => {
    // Only if a step failed half-way: the test itself deletes both through the plugin.
    if (host) await deleteLocalHost(unwrapSecrets(host.inputs)).catch(() => undefined);
    await docker.getNetwork(networkName(fleet)).remove().catch(() => undefined);
    await engine?.stop();
    for (const copy of copies) rmSync(copy, { recursive: true, force: true });
  });

  it("stores where the lifecycle module is relative to the program directory, never the checkout's path", () => {
    for (const resource of [network, host]) {
      const provider = String(unwrapSecrets(resource.inputs.__provider));
      expect(provider).toContain("../components/local/host-lifecycle");
      expect(provider).not.toContain(upFrom);
    }
  });

  it("checks and diffs a test host in the plugin without touching Docker", async () => {
    const plugin = await startDynamicProviderHost(join(upFrom, "stacks"), engine.address);
    try {
      await plugin.configure();
      const news = unwrapSecrets(host.inputs) as Record<string, unknown>;
      const checked = await plugin.check(host.urn, news);
      expect(checked.failures).toEqual([]);
      expect(checked.inputs.hostName).toBe(news.hostName);
      expect(await plugin.diff(host.urn, "c0ffee", checked.inputs, checked.inputs)).toEqual({ changes: "none", replaces: [] });
      const moved = await plugin.diff(host.urn, "c0ffee", checked.inputs, { ...checked.inputs, privateIp: "10.214.0.99" });
      expect(moved.changes).toBe("some");
      expect(moved.replaces).toContain("privateIp");
    } finally {
      await plugin.stop();
    }
  });

  it(
    "creates the network and a test host on the local engine from one checkout, and deletes them from another after the first is gone",
    async () => {
      const createdFrom = upFrom;
      const deletedFrom = copyOfCheckout();
      copies.push(deletedFrom);
      const created: Record<string, { id: string; properties: Record<string, unknown> }> = {};

      const creator = await startDynamicProviderHost(join(createdFrom, "stacks"), engine.address);
      try {
        await creator.configure();
        for (const resource of [network, host]) {
          const checked = await creator.check(resource.urn, unwrapSecrets(resource.inputs));
          expect(checked.failures).toEqual([]);
          created[resource.urn] = await creator.create(resource.urn, checked.inputs);
        }
      } finally {
        await creator.stop();
      }
      const subnet = String(unwrapSecrets(network.inputs).subnet);
      expect(created[network.urn].properties).toMatchObject({ networkName: networkName(fleet) });
      expect((await docker.getNetwork(networkName(fleet)).inspect()).IPAM?.Config?.[0]?.Subnet).toBe(subnet);
      const booted = created[host.urn].properties;
      expect(booted.cloudInitStatus).toBe("done");
      expect((await docker.getContainer(String(booted.containerId)).inspect()).State.Running).toBe(true);
      rmSync(createdFrom, { recursive: true, force: true });

      const destroyer = await startDynamicProviderHost(join(deletedFrom, "stacks"), engine.address);
      try {
        await destroyer.configure();
        const olds = created[network.urn].properties;
        const resized = await destroyer.diff(network.urn, created[network.urn].id, olds, { ...olds, subnet: `${range}.128.0/17` });
        expect(resized).toMatchObject({ changes: "some", replaces: ["subnet"] });
        // Dependents first, as the engine orders a destroy.
        for (const resource of [host, network]) await destroyer.delete(resource.urn, created[resource.urn].id, created[resource.urn].properties);
      } finally {
        await destroyer.stop();
      }
      await expect(docker.getContainer(String(booted.containerId)).inspect()).rejects.toMatchObject({ statusCode: 404 });
      await expect(docker.getNetwork(networkName(fleet)).inspect()).rejects.toMatchObject({ statusCode: 404 });
    },
    900_000,
  );
});
