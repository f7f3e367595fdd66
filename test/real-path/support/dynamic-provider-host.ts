/**
 * Starts `@pulumi/pulumi/cmd/dynamic-provider` the way the engine starts a Node.js dynamic provider (the CLI's
 * `pulumi-resource-pulumi-nodejs` shim): `node <require.resolve from the program dir>` with the engine address
 * as argument, cwd = the program directory; the process prints its gRPC port on stdout. Returns a typed client.
 */
import { spawn, type ChildProcess } from "node:child_process";
import * as grpc from "@grpc/grpc-js";
import { Struct } from "google-protobuf/google/protobuf/struct_pb";
import * as providerGrpc from "@pulumi/pulumi/proto/provider_grpc_pb";
import * as providerPb from "@pulumi/pulumi/proto/provider_pb";

type Props = Record<string, unknown>;

export interface DynamicProviderHost {
  configure(): Promise<void>;
  check(urn: string, news: Props): Promise<{ inputs: Props; failures: string[] }>;
  diff(urn: string, id: string, olds: Props, news: Props): Promise<{ changes: "none" | "some" | "unknown"; replaces: string[] }>;
  create(urn: string, properties: Props): Promise<{ id: string; properties: Props }>;
  delete(urn: string, id: string, properties: Props): Promise<void>;
  stop(): Promise<void>;
}

function unary<Req, Res>(client: grpc.Client, method: string, request: Req): Promise<Res> {
  return new Promise((resolve, reject) =>
    (client as unknown as Record<string, (r: Req, cb: (e: grpc.ServiceError | null, v: Res) => void) => void>)[method](request, (err, value) =>
      err ? reject(new Error(`${method}: ${err.details || err.message}`)) : resolve(value),
    ),
  );
}

const struct = (value: Props) => Struct.fromJavaScript(value as never);

export async function startDynamicProviderHost(programDir: string, engineAddress: string): Promise<DynamicProviderHost> {
  const script = require.resolve("@pulumi/pulumi/cmd/dynamic-provider/index.js", { paths: [programDir] });
  const child: ChildProcess = spawn(process.execPath, [script, engineAddress], { cwd: programDir, stdio: ["ignore", "pipe", "pipe"] });
  let stderr = "";
  child.stderr!.on("data", (d: Buffer) => (stderr += d.toString()));
  const port = await new Promise<number>((resolve, reject) => {
    let out = "";
    child.stdout!.on("data", (d: Buffer) => {
      out += d.toString();
      const line = /^(\d+)\n/.exec(out);
      if (line) resolve(Number(line[1]));
    });
    child.on("exit", (code) => reject(new Error(`dynamic-provider host exited with ${code} before printing its port:\n${stderr}`)));
  });
  const client = new providerGrpc.ResourceProviderClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
  return {
    async configure() {
      const req = new providerPb.ConfigureRequest();
      req.setArgs(struct({}));
      req.setAcceptsecrets(true);
      req.setAcceptresources(true);
      await unary(client, "configure", req);
    },
    async check(urn, news) {
      const req = new providerPb.CheckRequest();
      req.setUrn(urn);
      req.setOlds(struct({}));
      req.setNews(struct(news));
      const res = await unary<providerPb.CheckRequest, providerPb.CheckResponse>(client, "check", req);
      return { inputs: (res.getInputs()?.toJavaScript() ?? {}) as Props, failures: res.getFailuresList().map((f) => `${f.getProperty()}: ${f.getReason()}`) };
    },
    async diff(urn, id, olds, news) {
      const req = new providerPb.DiffRequest();
      req.setUrn(urn);
      req.setId(id);
      req.setOlds(struct(olds));
      req.setNews(struct(news));
      const res = await unary<providerPb.DiffRequest, providerPb.DiffResponse>(client, "diff", req);
      const { DIFF_NONE, DIFF_SOME } = providerPb.DiffResponse.DiffChanges;
      const changes = res.getChanges() === DIFF_NONE ? "none" : res.getChanges() === DIFF_SOME ? "some" : "unknown";
      return { changes, replaces: res.getReplacesList() };
    },
    async create(urn, properties) {
      const req = new providerPb.CreateRequest();
      req.setUrn(urn);
      req.setProperties(struct(properties));
      const res = await unary<providerPb.CreateRequest, providerPb.CreateResponse>(client, "create", req);
      return { id: res.getId(), properties: (res.getProperties()?.toJavaScript() ?? {}) as Props };
    },
    async delete(urn, id, properties) {
      const req = new providerPb.DeleteRequest();
      req.setUrn(urn);
      req.setId(id);
      req.setProperties(struct(properties));
      await unary(client, "delete", req);
    },
    async stop() {
      client.close();
      if (child.exitCode === null) {
        const exited = new Promise((resolve) => child.once("exit", resolve));
        child.kill("SIGTERM");
        await exited;
      }
    },
  };
}
