/**
 * The stack program under Pulumi mocks, modelled as an UPDATE of an existing stack, so that two runs
 * (before and after a config change) can be compared input by input.
 *
 * Why not the shared recorder's default numbering: its computed outputs (ids, IPs, PEMs) are numbered in registration
 * order, which is asynchronous, so adding one server can shift the ids of unrelated resources between two
 * runs. A real engine keeps an unchanged resource's state across updates, and gives new state only to a
 * resource it creates or replaces. This module reproduces that:
 * - a resource's computed outputs are keyed by its identity (type and name), not by order;
 * - for types whose every input change forces a replacement (@pulumi/tls, @pulumi/random), the identity
 *   also includes the inputs and the `replacementTrigger` option, as a replacement produces new material.
 * The outputs themselves still come from the shared recorder and its per-provider tables (test/support/mock-outputs).
 *
 * It also records the resource options the engine receives (protect, retainOnDelete, ignoreChanges,
 * deleteBeforeReplace, replacementTrigger) and the resource's direct dependencies, which Pulumi's
 * `Mocks.newResource` does not pass on: the mock monitor's `registerResource` sees the full request, so it
 * is wrapped to read them.
 */
import * as pulumi from "@pulumi/pulumi";
import { vi } from "vitest";
import { installPulumiMocks, valueOf, type MockRecorder, type RecordedResource } from "../../../support/pulumi-mocks";
import type { EndpointRegistry } from "../../../../runtime/registry/schema";
import { settled } from "../../stack/support/run-program";

/** The resource options of one registration, as the engine would receive them. */
export interface RecordedOptions {
  protect?: boolean;
  retainOnDelete?: boolean;
  deleteBeforeReplace: boolean;
  ignoreChanges: string[];
  /** Properties whose change the engine must treat as a replacement (`replaceOnChanges`). */
  replaceOnChanges?: string[];
  replacementTrigger?: unknown;
}

export interface UpdateResource extends RecordedResource {
  options: RecordedOptions;
  /**
   * Names of the resources this one depends on directly, explicit (`dependsOn`, components expanded to their
   * resources) and implicit (outputs used as inputs) alike: what the engine orders the update by. Kept out
   * of `options` because a changed dependency is no diff in `pulumi preview`.
   */
  dependencies: string[];
}

export type UpdateRecorder = MockRecorder<UpdateResource>;

/** Types whose providers replace the resource on any input change (so a change means new key material). */
const REPLACE_ON_ANY_CHANGE = [/^tls:/, /^random:/];

/** FNV-1a, 32 bit: a stable number per identity. */
function fnv1a(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash;
}

/** JSON with sorted keys, so equal inputs always give the same text. */
function stableJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stableJson).join(",")}]`;
  if (value && typeof value === "object") {
    const entries = Object.keys(value as object)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${stableJson((value as Record<string, unknown>)[k])}`);
    return `{${entries.join(",")}}`;
  }
  return JSON.stringify(value) ?? "null";
}

function identityNumber(type: string, name: string, inputs: unknown, options: RecordedOptions | undefined): number {
  const replaced = REPLACE_ON_ANY_CHANGE.some((pattern) => pattern.test(type));
  const identity = replaced ? `${type}::${name}::${stableJson(inputs)}::${stableJson(options?.replacementTrigger ?? null)}` : `${type}::${name}`;
  // Kept below a million so numeric ids stay small; collisions are checked per run (see below).
  return 1 + (fnv1a(identity) % 999_983);
}

interface GrpcRequest {
  getType(): string;
  getName(): string;
  getProtect(): boolean;
  getRetainondelete(): boolean;
  getDeletebeforereplace(): boolean;
  getIgnorechangesList(): string[];
  getReplaceonchangesList(): string[];
  getReplacementTrigger(): { toJavaScript(): unknown } | undefined;
  getDependenciesList(): string[];
  hasProtect?(): boolean;
  hasRetainondelete?(): boolean;
}

export function installUpdateMocks(options: { stack: string; config: Record<string, unknown> }): UpdateRecorder {
  const pendingOptions = new Map<string, RecordedOptions>();
  const pendingDependencies = new Map<string, string[]>();
  const numbers = new Map<number, string>();
  const keyOf = (args: pulumi.runtime.MockResourceArgs) => `${args.type}::${args.name}`;
  const optionsOf = (args: pulumi.runtime.MockResourceArgs) => pendingOptions.get(keyOf(args)) ?? { deleteBeforeReplace: false, ignoreChanges: [] };
  const recorder = installPulumiMocks<UpdateResource>({
    stack: options.stack,
    config: options.config,
    resourceNumber(args) {
      const key = keyOf(args);
      const n = identityNumber(args.type, args.name, args.inputs, optionsOf(args));
      const holder = numbers.get(n);
      if (holder && holder !== key) throw new Error(`update model: ${key} and ${holder} got the same mock number ${n}; rename or widen the hash`);
      numbers.set(n, key);
      return n;
    },
    extend: (resource, args) => ({ ...resource, options: optionsOf(args), dependencies: pendingDependencies.get(keyOf(args)) ?? [] }),
  });
  const monitor = pulumi.runtime.getMonitor() as unknown as { registerResource(req: GrpcRequest, callback: unknown): unknown };
  const register = monitor.registerResource.bind(monitor);
  monitor.registerResource = (req, callback) => {
    const trigger = req.getReplacementTrigger();
    pendingOptions.set(`${req.getType()}::${req.getName()}`, {
      protect: req.getProtect(),
      retainOnDelete: req.getRetainondelete(),
      deleteBeforeReplace: req.getDeletebeforereplace(),
      ignoreChanges: req.getIgnorechangesList(),
      ...(req.getReplaceonchangesList().length ? { replaceOnChanges: req.getReplaceonchangesList() } : {}),
      ...(trigger ? { replacementTrigger: trigger.toJavaScript() } : {}),
    });
    // A URN ends in `::<name>`; names are unique in these programs.
    pendingDependencies.set(`${req.getType()}::${req.getName()}`, [...new Set(req.getDependenciesList().map((urn) => urn.slice(urn.lastIndexOf("::") + 2)))].sort());
    return register(req, callback);
  };
  return recorder;
}

export interface UpdateRun {
  mocks: UpdateRecorder;
  registry: EndpointRegistry;
}

/** Runs stacks/index.ts with the given config as one update, on freshly loaded modules (each run a new program). */
export async function runUpdate(stack: string, config: Record<string, unknown>): Promise<UpdateRun> {
  vi.resetModules();
  const mocks = installUpdateMocks({ stack, config: { "hcloud:token": "mock-token", ...config } });
  const program = await import("../../../../stacks/index");
  const registry = await valueOf(program.endpointRegistry);
  await settled(mocks);
  return { mocks, registry };
}
