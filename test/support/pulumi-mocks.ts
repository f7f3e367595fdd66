/**
 * The one shared Pulumi mock helper. Runs Pulumi programs and components without an engine or cloud
 * credentials (`pulumi.runtime.setMocks`), recording every resource registered so tests can assert on
 * the resource graph. Unmocked provider functions (`call`) throw, so a gap fails loudly.
 *
 * Order matters: call `installPulumiMocks()` BEFORE importing the code under test (dynamic `import()`),
 * and `vi.resetModules()` between programs in one file.
 *
 * Providers add the computed outputs of their resource types (ids, IPs, PEMs) in `mock-outputs/<provider>.ts`,
 * registered in `mock-outputs/index.ts`.
 */
import * as pulumi from "@pulumi/pulumi";
import { computedOutputs, mockCalls } from "./mock-outputs";

export interface RecordedResource {
  type: string;
  name: string;
  /** Inputs as the program passed them (secrets unwrapped). */
  inputs: Record<string, any>;
  /** Inputs merged with the mocked computed outputs. */
  state: Record<string, any>;
  id: string;
  provider?: string;
  /** URN of the parent resource, as the mock monitor names it; absent at the top of the program. */
  parent?: string;
  /** URNs of the resources this one depends on (from its inputs' outputs and `dependsOn`): the engine's create and delete order. */
  dependencies: string[];
}

export interface MockRecorder<R extends RecordedResource = RecordedResource> {
  resources: R[];
  ofType(type: string): R[];
  named(name: string): R;
}

export interface MockOptions<R extends RecordedResource = RecordedResource> {
  project?: string;
  stack?: string;
  /** Full config keys, e.g. `{ "sandfleet:provider": "hetzner", "hcloud:token": "x" }`; objects are JSON-encoded. */
  config?: Record<string, unknown>;
  secretKeys?: string[];
  preview?: boolean;
  /**
   * The number a resource's computed outputs (ids, IPs, PEMs) are derived from.
   * @default the registration order: 1, 2, ...
   */
  resourceNumber?: (args: pulumi.runtime.MockResourceArgs) => number;
  /** Adds to each recorded resource what a test reads beyond the engine's answer. @default nothing */
  extend?: (resource: RecordedResource, args: pulumi.runtime.MockResourceArgs) => R;
}

export function installPulumiMocks<R extends RecordedResource = RecordedResource>(options: MockOptions<R> = {}): MockRecorder<R> {
  const resources: R[] = [];
  const config: Record<string, string> = {};
  for (const [key, value] of Object.entries(options.config ?? {})) {
    config[key] = typeof value === "string" ? value : JSON.stringify(value);
  }
  pulumi.runtime.setAllConfig(config, options.secretKeys ?? []);
  let counter = 0;
  // MockResourceArgs carries no parent nor dependencies; the monitor's request does, and the monitor calls
  // `newResource` synchronously from its handler, so they are read from the request being handled right there.
  let parentOfCurrentRequest: string | undefined;
  let dependenciesOfCurrentRequest: string[] = [];
  const resourceNumber = options.resourceNumber ?? (() => (counter += 1));
  const extend = options.extend ?? ((resource) => resource as R);
  pulumi.runtime.setMocks(
    {
      newResource(args) {
        const computed = computedOutputs(args, resourceNumber(args));
        // A read (`Resource.get`) keeps the id it was asked for.
        const id: string = args.id || (computed.__id ?? `${args.name}-id`);
        const state = { ...args.inputs, ...computed };
        const parent = parentOfCurrentRequest;
        const dependencies = dependenciesOfCurrentRequest;
        parentOfCurrentRequest = undefined;
        dependenciesOfCurrentRequest = [];
        resources.push(extend({ type: args.type, name: args.name, inputs: args.inputs, state, id, provider: args.provider, ...(parent ? { parent } : {}), dependencies }, args));
        return { id, state };
      },
      call(args) {
        const handler = mockCalls[args.token];
        if (!handler) throw new Error(`unmocked provider function ${args.token}; add it to test/support/mock-outputs`);
        return handler(args.inputs);
      },
    },
    options.project ?? "sandfleet",
    options.stack ?? "test",
    options.preview ?? false,
  );
  type Handler = (req: { getParent(): string; getDependenciesList?(): string[] }, callback: unknown) => unknown;
  const monitor = pulumi.runtime.getMonitor() as unknown as Record<"registerResource" | "readResource", Handler>;
  for (const method of ["registerResource", "readResource"] as const) {
    const handle = monitor[method].bind(monitor);
    monitor[method] = (req, callback) => {
      parentOfCurrentRequest = req.getParent() || undefined;
      dependenciesOfCurrentRequest = req.getDependenciesList?.() ?? [];
      return handle(req, callback);
    };
  }
  return {
    resources,
    ofType: (type) => resources.filter((r) => r.type === type),
    named: (name) => {
      const found = resources.find((r) => r.name === name);
      if (!found) throw new Error(`no resource named ${name}; have: ${resources.map((r) => r.name).join(", ")}`);
      return found;
    },
  };
}

/** Resolves an Output's value under mocks (secret or not). */
export function valueOf<T>(output: pulumi.Input<T>): Promise<T> {
  return new Promise((resolve) => pulumi.output(output).apply((v) => {
    resolve(v as T);
    return v;
  }));
}
