/**
 * A recording engine: the two gRPC services a Pulumi program talks to (`ResourceMonitor` and `Engine`),
 * served by the test on loopback, so that `cmd/run` (the real language-host entry point) runs a stack
 * program end to end without the Pulumi CLI. It is NOT the Pulumi engine: it plans nothing, diffs nothing and
 * calls no provider; it records what the program registers and answers the way the engine answers a first
 * `pulumi preview` (outputs unknown, no ids) or a first `pulumi up` (inputs echoed plus the provider outputs
 * of test/support/mock-outputs, the mock tier's single source of plausible outputs).
 *
 * Provider functions (`Invoke`/`Call`) are answered from the same mock-outputs table; an unknown token is
 * an error returned to the program and listed in `unansweredCalls`, so a gap fails loudly.
 */
import * as grpc from "@grpc/grpc-js";
import { Struct } from "google-protobuf/google/protobuf/struct_pb";
import { Empty } from "google-protobuf/google/protobuf/empty_pb";
import * as resourceGrpc from "@pulumi/pulumi/proto/resource_grpc_pb";
import * as resourcePb from "@pulumi/pulumi/proto/resource_pb";
import * as engineGrpc from "@pulumi/pulumi/proto/engine_grpc_pb";
import * as enginePb from "@pulumi/pulumi/proto/engine_pb";
import * as providerPb from "@pulumi/pulumi/proto/provider_pb";
import { computedOutputs, mockCalls } from "../../support/mock-outputs";
import { isSecretValue, SECRET_SIG, SPECIAL_SIG, UNKNOWN, unwrapSecrets } from "./wire-values";

export interface RegisteredResource {
  urn: string;
  type: string;
  name: string;
  /** URN of the parent; undefined only for the stack itself. */
  parent?: string;
  custom: boolean;
  /** Inputs exactly as they came over the wire (secrets and resource references still wrapped). */
  inputs: Record<string, unknown>;
  /** Outputs the program sent with RegisterResourceOutputs (components and the stack). */
  outputs?: Record<string, unknown>;
  provider?: string;
  additionalSecretOutputs: string[];
}

export interface LoggedMessage {
  severity: "debug" | "info" | "warning" | "error";
  message: string;
  urn: string;
}

export interface RecordingEngineOptions {
  project: string;
  stack: string;
  /** true: answer as in `pulumi preview` (computed outputs unknown); false: as in `pulumi up`. */
  dryRun: boolean;
}

/**
 * Features the monitor advertises: the CLI's, minus output values (as the SDK's mock monitor, so both tiers
 * receive inputs in the same shape) and minus resource and error hooks (no program here registers one; an SDK
 * that tried would fail loudly on the unimplemented RegisterResourceHook).
 */
const SUPPORTED_FEATURES = new Set([
  "secrets",
  "resourceReferences",
  "deletedWith",
  "replaceWith",
  "aliasSpecs",
  "transforms",
  "invokeTransforms",
  "parameterization",
]);

const SEVERITIES = ["debug", "info", "warning", "error"] as const;

type Callback<T> = grpc.sendUnaryData<T>;
type Call<T> = grpc.ServerUnaryCall<T, unknown>;

export class RecordingEngine {
  readonly resources: RegisteredResource[] = [];
  readonly logs: LoggedMessage[] = [];
  readonly unansweredCalls: string[] = [];
  rootResource = "";
  private readonly server = new grpc.Server();
  private readonly byUrn = new Map<string, RegisteredResource>();
  private counter = 0;
  private port = 0;

  constructor(private readonly options: RecordingEngineOptions) {}

  /** Listens on an ephemeral loopback port; the address goes to `--monitor` and `--engine`. */
  async start(): Promise<string> {
    this.server.addService(resourceGrpc.ResourceMonitorService, this.monitorService() as never);
    this.server.addService(engineGrpc.EngineService, this.engineService() as never);
    this.port = await new Promise<number>((resolve, reject) =>
      this.server.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (err, port) => (err ? reject(err) : resolve(port))),
    );
    return this.address;
  }

  get address(): string {
    return `127.0.0.1:${this.port}`;
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => this.server.tryShutdown(() => resolve()));
  }

  /** The stack resource's outputs (`export const ...` of the program). */
  get stackOutputs(): Record<string, unknown> {
    return this.byUrn.get(this.rootResource)?.outputs ?? {};
  }

  errors(): string[] {
    return this.logs.filter((l) => l.severity === "error").map((l) => l.message);
  }

  private urnOf(parent: string, type: string, name: string): string {
    // The engine prefixes a child's type with its parent's qualified type, except under the stack itself.
    const parentType = parent && parent !== this.rootResource ? parent.split("::")[2] : "";
    const qualified = parentType ? `${parentType}$${type}` : type;
    return `urn:pulumi:${this.options.stack}::${this.options.project}::${qualified}::${name}`;
  }

  /** What the engine hands back for a new resource: the inputs plus the provider's computed outputs. */
  private outputsFor(resource: RegisteredResource): { id: string; outputs: Record<string, unknown> } {
    if (!resource.custom) return { id: "", outputs: {} };
    const computed = computedOutputs(
      { type: resource.type, name: resource.name, inputs: unwrapSecrets(resource.inputs), provider: resource.provider, custom: true },
      (this.counter += 1),
    );
    const { __id, ...rest } = computed;
    const outputs: Record<string, unknown> = { ...resource.inputs };
    for (const [key, value] of Object.entries(rest)) {
      if (key in outputs) continue;
      outputs[key] = this.options.dryRun ? UNKNOWN : value;
    }
    // The engine marks these outputs secret for the program (tls private keys, generated passwords).
    for (const key of resource.additionalSecretOutputs) {
      if (key in outputs && !isSecretValue(outputs[key])) outputs[key] = { [SPECIAL_SIG]: SECRET_SIG, value: outputs[key] };
    }
    if (this.options.dryRun) return { id: "", outputs };
    return { id: String(__id ?? `${resource.name}-id`), outputs };
  }

  private record(resource: RegisteredResource): void {
    if (this.byUrn.has(resource.urn)) throw new Error(`duplicate resource URN ${resource.urn}`);
    this.byUrn.set(resource.urn, resource);
    this.resources.push(resource);
  }

  private answerCall(token: string, args: Record<string, unknown>): Record<string, unknown> {
    if (token === "pulumi:pulumi:getResource") {
      const found = this.byUrn.get(String(args.urn));
      if (!found) throw new Error(`unknown resource ${String(args.urn)}`);
      return { urn: found.urn, id: "", state: this.outputsFor(found).outputs };
    }
    const handler = mockCalls[token];
    if (!handler) {
      this.unansweredCalls.push(token);
      throw new Error(`the recording engine has no answer for provider function ${token}; add it to test/support/mock-outputs`);
    }
    return handler(unwrapSecrets(args) as never);
  }

  private monitorService() {
    return {
      supportsFeature: (call: Call<resourcePb.SupportsFeatureRequest>, cb: Callback<resourcePb.SupportsFeatureResponse>) => {
        const response = new resourcePb.SupportsFeatureResponse();
        response.setHassupport(SUPPORTED_FEATURES.has(call.request.getId()));
        cb(null, response);
      },
      registerResource: (call: Call<resourcePb.RegisterResourceRequest>, cb: Callback<resourcePb.RegisterResourceResponse>) =>
        answer(cb, () => {
          const req = call.request;
          const urn = this.urnOf(req.getParent(), req.getType(), req.getName());
          const resource: RegisteredResource = {
            urn,
            type: req.getType(),
            name: req.getName(),
            parent: req.getParent() || undefined,
            custom: req.getCustom(),
            inputs: (req.getObject()?.toJavaScript() ?? {}) as Record<string, unknown>,
            provider: req.getProvider() || undefined,
            additionalSecretOutputs: req.getAdditionalsecretoutputsList(),
          };
          this.record(resource);
          const { id, outputs } = this.outputsFor(resource);
          const response = new resourcePb.RegisterResourceResponse();
          response.setUrn(urn);
          response.setId(id);
          response.setObject(Struct.fromJavaScript(outputs as never));
          return response;
        }),
      registerResourceOutputs: (call: Call<resourcePb.RegisterResourceOutputsRequest>, cb: Callback<Empty>) =>
        answer(cb, () => {
          const resource = this.byUrn.get(call.request.getUrn());
          if (!resource) throw new Error(`RegisterResourceOutputs for unknown URN ${call.request.getUrn()}`);
          resource.outputs = (call.request.getOutputs()?.toJavaScript() ?? {}) as Record<string, unknown>;
          return new Empty();
        }),
      readResource: (call: Call<resourcePb.ReadResourceRequest>, cb: Callback<resourcePb.ReadResourceResponse>) =>
        answer(cb, () => {
          const req = call.request;
          const resource: RegisteredResource = {
            urn: this.urnOf(req.getParent(), req.getType(), req.getName()),
            type: req.getType(),
            name: req.getName(),
            parent: req.getParent() || undefined,
            custom: true,
            inputs: (req.getProperties()?.toJavaScript() ?? {}) as Record<string, unknown>,
            provider: req.getProvider() || undefined,
            additionalSecretOutputs: req.getAdditionalsecretoutputsList(),
          };
          this.record(resource);
          const response = new resourcePb.ReadResourceResponse();
          response.setUrn(resource.urn);
          response.setProperties(Struct.fromJavaScript(this.outputsFor(resource).outputs as never));
          return response;
        }),
      invoke: (call: Call<resourcePb.ResourceInvokeRequest>, cb: Callback<resourcePb.ResourceInvokeResponse>) =>
        answer(cb, () => {
          const result = this.answerCall(call.request.getTok(), (call.request.getArgs()?.toJavaScript() ?? {}) as Record<string, unknown>);
          const response = new resourcePb.ResourceInvokeResponse();
          response.setReturn(Struct.fromJavaScript(result as never));
          return response;
        }),
      call: (call: Call<resourcePb.ResourceCallRequest>, cb: Callback<providerPb.CallResponse>) =>
        answer(cb, () => {
          const result = this.answerCall(call.request.getTok(), (call.request.getArgs()?.toJavaScript() ?? {}) as Record<string, unknown>);
          const response = new providerPb.CallResponse();
          response.setReturn(Struct.fromJavaScript(result as never));
          return response;
        }),
      // The program registers transforms only when it declares them; none does today, so accept and ignore.
      registerStackTransform: (_call: unknown, cb: Callback<Empty>) => cb(null, new Empty()),
      registerStackInvokeTransform: (_call: unknown, cb: Callback<Empty>) => cb(null, new Empty()),
      signalAndWaitForShutdown: (_call: unknown, cb: Callback<Empty>) => cb(null, new Empty()),
    };
  }

  private engineService() {
    return {
      log: (call: Call<enginePb.LogRequest>, cb: Callback<Empty>) => {
        this.logs.push({ severity: SEVERITIES[call.request.getSeverity()] ?? "info", message: call.request.getMessage(), urn: call.request.getUrn() });
        cb(null, new Empty());
      },
      getRootResource: (_call: unknown, cb: Callback<enginePb.GetRootResourceResponse>) => {
        const response = new enginePb.GetRootResourceResponse();
        response.setUrn(this.rootResource);
        cb(null, response);
      },
      setRootResource: (call: Call<enginePb.SetRootResourceRequest>, cb: Callback<enginePb.SetRootResourceResponse>) => {
        this.rootResource = call.request.getUrn();
        cb(null, new enginePb.SetRootResourceResponse());
      },
    };
  }
}

/** Runs a handler and turns a thrown error into a gRPC error the SDK reports to the program. */
function answer<T>(cb: Callback<T>, handler: () => T): void {
  try {
    cb(null, handler());
  } catch (err) {
    cb({ code: grpc.status.UNKNOWN, details: (err as Error).message, name: "RecordingEngineError", message: (err as Error).message, metadata: new grpc.Metadata() });
  }
}
