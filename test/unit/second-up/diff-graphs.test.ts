/**
 * The second-up harness on hand-made graphs: what it takes as ignored, updated, replaced, and how a
 * replacement reaches the resources that hold the replaced resource's id.
 */
import { describe, expect, it } from "vitest";
import type { UpdateResource, UpdateRun } from "../day2/support/update-model";
import { diffGraphs } from "./support/diff-graphs";

const resource = (type: string, name: string, inputs: Record<string, any>, more: Partial<UpdateResource> = {}): UpdateResource => ({
  type,
  name,
  inputs,
  state: inputs,
  id: `${name}-id`,
  dependencies: [],
  options: { deleteBeforeReplace: false, ignoreChanges: [] },
  ...more,
});
const graph = (...resources: UpdateResource[]) => ({ mocks: { resources } }) as unknown as UpdateRun;

const SERVER = "hcloud:index/server:Server";
const ATTACHMENT = "hcloud:index/volumeAttachment:VolumeAttachment";
const STEP = "command:remote:Command";
const dbr = { deleteBeforeReplace: true, ignoreChanges: ["userData"] };

describe("diffGraphs", () => {
  it("reports created and deleted resources by URN tail", () => {
    const diff = diffGraphs(graph(resource(SERVER, "a", {})), graph(resource(SERVER, "b", {})));
    expect([diff.added, diff.removed]).toEqual([[`${SERVER}::b`], [`${SERVER}::a`]]);
  });

  it("skips what ignoreChanges covers, top-level and nested paths alike", () => {
    const before = resource(SERVER, "s", { userData: "one", meta: { "user-data": 1, keep: 1 } }, { options: { deleteBeforeReplace: true, ignoreChanges: ["userData", 'meta["user-data"]'] } });
    const after = { ...before, inputs: { userData: "two", meta: { "user-data": 2, keep: 1 } } };
    expect(diffGraphs(graph(before), graph(after)).changeOf(`${SERVER}::s`)).toBeUndefined();
  });

  it("takes a change of a non-replacing property as an update, of a replacing one as a replacement", () => {
    const before = resource(SERVER, "s", { serverType: "cx23", location: "fsn1" });
    const resized = diffGraphs(graph(before), graph({ ...before, inputs: { serverType: "cx33", location: "fsn1" } }));
    expect(resized.updated.map((c) => [c.urn, c.inputs])).toEqual([[`${SERVER}::s`, ["serverType"]]]);
    const moved = diffGraphs(graph(before), graph({ ...before, inputs: { serverType: "cx23", location: "nbg1" } }));
    expect(moved.replaced.map((c) => [c.urn, c.replacing])).toEqual([[`${SERVER}::s`, ["location"]]]);
  });

  it("replaces on a nested replacing field only when that field changes, not on its siblings", () => {
    const INSTANCE = "gcp:compute/instance:Instance";
    const before = resource(INSTANCE, "i", { scheduling: { provisioningModel: "STANDARD", automaticRestart: true } });
    const restart = diffGraphs(graph(before), graph({ ...before, inputs: { scheduling: { provisioningModel: "STANDARD", automaticRestart: false } } }));
    expect(restart.updated.map((c) => [c.urn, c.inputs])).toEqual([[`${INSTANCE}::i`, ["scheduling"]]]);
    const spot = diffGraphs(graph(before), graph({ ...before, inputs: { scheduling: { provisioningModel: "SPOT", automaticRestart: false } } }));
    expect(spot.replaced.map((c) => [c.urn, c.replacing])).toEqual([[`${INSTANCE}::i`, ["scheduling.provisioningModel"]]]);
  });

  it("replaces on a property the resource's own replaceOnChanges names, as the engine does", () => {
    const VM = "azure-native:compute:VirtualMachine";
    const before = resource(VM, "vm", { priority: "Regular", hardwareProfile: { vmSize: "a" } }, { options: { deleteBeforeReplace: true, ignoreChanges: [], replaceOnChanges: ["priority"] } });
    const spot = diffGraphs(graph(before), graph({ ...before, inputs: { priority: "Spot", hardwareProfile: { vmSize: "a" } } }));
    expect(spot.replaced.map((c) => [c.urn, c.replacing])).toEqual([[`${VM}::vm`, ["priority"]]]);
    const resized = diffGraphs(graph(before), graph({ ...before, inputs: { priority: "Regular", hardwareProfile: { vmSize: "b" } } }));
    expect(resized.updated.map((c) => c.urn)).toEqual([`${VM}::vm`]);
  });

  it("carries a replacement's new id to dependents holding it: replacing inputs replace them, others update them", () => {
    const server = resource(SERVER, "s", { location: "fsn1" }, { options: dbr });
    const attachment = resource(ATTACHMENT, "att", { serverId: "s-id", volumeId: "v-id", automount: false }, { dependencies: ["s"] });
    const step = resource(STEP, "run", { triggers: ["s-id"], create: "x" }, { dependencies: ["s"] });
    const unrelated = resource(STEP, "other", { triggers: ["s-id"] });
    const diff = diffGraphs(graph(server, attachment, step, unrelated), graph({ ...server, inputs: { location: "nbg1" } }, attachment, step, unrelated));
    expect(diff.replaced.map((c) => c.urn)).toEqual([`${STEP}::run`, `${ATTACHMENT}::att`, `${SERVER}::s`].sort());
    expect(diff.changeOf(`${STEP}::run`)!.replacedDependencies).toEqual([`${SERVER}::s`]);
    // Holding the same id without depending on the server is a coincidence, not a reference.
    expect(diff.changeOf(`${STEP}::other`)).toBeUndefined();
  });

  it("reports changed options, and a changed replacementTrigger as a replacement", () => {
    const before = resource("tls:index/privateKey:PrivateKey", "k", { algorithm: "ED25519" });
    const after = { ...before, options: { ...before.options, replacementTrigger: 1 } };
    const change = diffGraphs(graph(before), graph(after)).changeOf(`tls:index/privateKey:PrivateKey::k`)!;
    expect([change.options, change.replacing]).toEqual([["replacementTrigger"], ["(replacementTrigger)"]]);
  });
});
