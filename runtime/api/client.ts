/**
 * The typed TypeScript client of the sandbox service, built from the same route table and zod schemas the service
 * validates with (routes.ts, schemas.ts): request bodies are typed by the schemas, answers are parsed by them.
 * Node's own https (no dependency), a keep-alive agent, and the service's CA when its certificate is not a public
 * one (`npm start` and tests).
 *
 *   const api = new SandboxApiClient({ url: "https://127.0.0.1:8443", key: process.env.SANDFLEET_API_KEY!, ca });
 *   const sandbox = await api.createSandbox({ profile: "default" });
 *   const { stdout } = await api.exec(sandbox.id, { argv: ["python3", "-c", "print(1)"] });
 *   for await (const event of api.execStream(sandbox.id, { argv: ["sh", "-c", "echo a; sleep 1; echo b"] })) ...
 *   await api.releaseSandbox(sandbox.id);
 */
import { Agent, request as httpsRequest } from "node:https";
import type { IncomingMessage } from "node:http";
import type * as z from "zod/v4";
import { API_ROUTES, ApiRoute } from "./routes";
import * as s from "./schemas";

export interface SandboxApiClientOptions {
  /** The service's base URL, `https://host:port`. */
  url: string;
  /** An API key (`sfk_...`). */
  key: string;
  /** PEM of the CA that signed the service's certificate, when it is not publicly trusted. */
  ca?: string | Buffer;
  /** Per-request deadline (not for streams and shells), ms. @default 120_000 */
  timeoutMs?: number;
}

/** A non-2xx answer: the service's error body, with the status. */
export class SandboxApiError extends Error {
  override name = "SandboxApiError";
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly hint: string,
  ) {
    super(`${code} (HTTP ${status}): ${message}; ${hint}`);
  }
}

/** Where and how to open a shell's WebSocket. */
export interface ShellConnection {
  url: string;
  headers: Record<string, string>;
  ca?: string | Buffer;
}

interface Call {
  params?: Record<string, string>;
  query?: Record<string, string>;
  body?: unknown;
  raw?: Buffer;
}

export class SandboxApiClient {
  readonly #base: URL;
  readonly #agent: Agent;
  constructor(private readonly options: SandboxApiClientOptions) {
    this.#base = new URL(options.url);
    if (this.#base.protocol !== "https:") throw new Error(`the sandbox service is served over HTTPS only; got ${options.url} (use https://...)`);
    this.#agent = new Agent({ keepAlive: true, maxSockets: 16, ...(options.ca ? { ca: options.ca } : {}) });
  }

  health(): Promise<s.Health> {
    return this.#json(API_ROUTES.health, {});
  }
  status(): Promise<s.ServiceStatus> {
    return this.#json(API_ROUTES.status, {});
  }
  createSandbox(body: s.CreateSandboxRequest = {}): Promise<s.SandboxInfo> {
    return this.#json(API_ROUTES.createSandbox, { body });
  }
  listSandboxes(): Promise<s.SandboxList> {
    return this.#json(API_ROUTES.listSandboxes, {});
  }
  getSandbox(id: string): Promise<s.SandboxInfo> {
    return this.#json(API_ROUTES.getSandbox, { params: { id } });
  }
  releaseSandbox(id: string): Promise<s.SandboxInfo> {
    return this.#json(API_ROUTES.releaseSandbox, { params: { id } });
  }
  extendLease(id: string, leaseMs: number): Promise<s.SandboxInfo> {
    return this.#json(API_ROUTES.extendLease, { params: { id }, body: { leaseMs } });
  }
  /** The sandbox's egress policy and what its host's proxy refused (docs/egress.md). */
  getEgress(id: string): Promise<s.SandboxEgress> {
    return this.#json(API_ROUTES.getEgress, { params: { id } });
  }
  /** Replaces the running sandbox's egress policy, within its profile's (403 EGRESS_WIDENED otherwise). */
  setEgress(id: string, policy: z.input<typeof s.egressPolicyBodySchema>): Promise<s.SandboxEgress> {
    return this.#json(API_ROUTES.setEgress, { params: { id }, body: policy });
  }
  exec(id: string, body: s.ExecRequest): Promise<s.ExecResultBody> {
    return this.#json(API_ROUTES.exec, { params: { id }, body });
  }
  putFile(id: string, path: string, content: string | Buffer): Promise<void> {
    return this.#send(API_ROUTES.putFile, { params: { id }, query: { path }, raw: Buffer.from(content) }).then(() => undefined);
  }
  getFile(id: string, path: string): Promise<Buffer> {
    return this.#send(API_ROUTES.getFile, { params: { id }, query: { path } });
  }
  putArchive(id: string, path: string, tar: Buffer): Promise<void> {
    return this.#send(API_ROUTES.putArchive, { params: { id }, query: { path }, raw: tar }).then(() => undefined);
  }
  getArchive(id: string, path: string): Promise<Buffer> {
    return this.#send(API_ROUTES.getArchive, { params: { id }, query: { path } });
  }
  createWorkspace(body: s.CreateWorkspaceRequest): Promise<s.WorkspaceBody> {
    return this.#json(API_ROUTES.createWorkspace, { body });
  }
  listWorkspaces(): Promise<z.infer<typeof s.workspaceListSchema>> {
    return this.#json(API_ROUTES.listWorkspaces, {});
  }
  getWorkspace(name: string): Promise<s.WorkspaceBody> {
    return this.#json(API_ROUTES.getWorkspace, { params: { name } });
  }
  startWorkspace(name: string): Promise<s.WorkspaceBody> {
    return this.#json(API_ROUTES.startWorkspace, { params: { name } });
  }
  stopWorkspace(name: string): Promise<s.WorkspaceBody> {
    return this.#json(API_ROUTES.stopWorkspace, { params: { name } });
  }
  deleteWorkspace(name: string, options: { keepData?: boolean } = {}): Promise<void> {
    return this.#send(API_ROUTES.deleteWorkspace, { params: { name }, query: options.keepData ? { keepData: "true" } : {} }).then(() => undefined);
  }
  workspaceExec(name: string, body: s.ExecRequest): Promise<s.ExecResultBody> {
    return this.#json(API_ROUTES.workspaceExec, { params: { name }, body });
  }
  /** A workspace's command output as produced (as execStream); starts a stopped workspace first. */
  workspaceExecStream(name: string, body: s.ExecRequest): AsyncGenerator<s.ExecStreamEvent> {
    return this.#ndjson(API_ROUTES.workspaceExecStream, { params: { name }, body });
  }
  workspacePutFile(name: string, path: string, content: string | Buffer): Promise<void> {
    return this.#send(API_ROUTES.workspacePutFile, { params: { name }, query: { path }, raw: Buffer.from(content) }).then(() => undefined);
  }
  workspaceGetFile(name: string, path: string): Promise<Buffer> {
    return this.#send(API_ROUTES.workspaceGetFile, { params: { name }, query: { path } });
  }
  workspacePutArchive(name: string, path: string, tar: Buffer): Promise<void> {
    return this.#send(API_ROUTES.workspacePutArchive, { params: { name }, query: { path }, raw: tar }).then(() => undefined);
  }
  workspaceGetArchive(name: string, path: string): Promise<Buffer> {
    return this.#send(API_ROUTES.workspaceGetArchive, { params: { name }, query: { path } });
  }
  /** URL and headers for a workspace's interactive shell (as shellConnection); starts a stopped workspace first. */
  workspaceShellConnection(name: string, cols = 80, rows = 24): ShellConnection {
    return this.#wss(API_ROUTES.workspaceShell, { name }, cols, rows);
  }
  snapshotWorkspace(name: string): Promise<Buffer> {
    return this.#send(API_ROUTES.workspaceSnapshot, { params: { name } });
  }
  restoreWorkspace(name: string, tar: Buffer, options: { profile?: string; quotaGb?: number } = {}): Promise<s.WorkspaceBody> {
    const query: Record<string, string> = { name };
    if (options.profile) query.profile = options.profile;
    if (options.quotaGb !== undefined) query.quotaGb = String(options.quotaGb);
    return this.#send(API_ROUTES.restoreWorkspace, { query, raw: tar }).then((body) => s.workspaceSchema.parse(JSON.parse(body.toString("utf8"))));
  }
  createKey(body: s.CreateKeyRequest): Promise<z.infer<typeof s.createdKeySchema>> {
    return this.#json(API_ROUTES.createKey, { body });
  }
  listKeys(): Promise<z.infer<typeof s.keyListSchema>> {
    return this.#json(API_ROUTES.listKeys, {});
  }
  revokeKey(id: string): Promise<s.ApiKeyInfo> {
    return this.#json(API_ROUTES.revokeKey, { params: { id } });
  }

  /** Streams a command's output: stdout/stderr events as produced, then one exit (or error) event. Breaking out of the loop kills the command. */
  execStream(id: string, body: s.ExecRequest): AsyncGenerator<s.ExecStreamEvent> {
    return this.#ndjson(API_ROUTES.execStream, { params: { id }, body });
  }

  /** URL and headers for the interactive shell's WebSocket (any WebSocket client; the CLI uses `ws`). */
  shellConnection(id: string, cols = 80, rows = 24): ShellConnection {
    return this.#wss(API_ROUTES.shell, { id }, cols, rows);
  }

  close(): void {
    this.#agent.destroy();
  }

  async *#ndjson(route: ApiRoute, call: Call): AsyncGenerator<s.ExecStreamEvent> {
    const response = await this.#open(route, call, false);
    let buffered = "";
    try {
      for await (const chunk of response) {
        buffered += (chunk as Buffer).toString("utf8");
        let newline: number;
        while ((newline = buffered.indexOf("\n")) >= 0) {
          const line = buffered.slice(0, newline);
          buffered = buffered.slice(newline + 1);
          if (line) yield s.execStreamEventSchema.parse(JSON.parse(line));
        }
      }
    } finally {
      response.destroy();
    }
  }

  #wss(route: ApiRoute, params: Record<string, string>, cols: number, rows: number): ShellConnection {
    const url = this.#url(route, params, { cols: String(cols), rows: String(rows) });
    url.protocol = "wss:";
    return { url: url.toString(), headers: { authorization: `Bearer ${this.options.key}` }, ...(this.options.ca ? { ca: this.options.ca } : {}) };
  }

  async #json<R extends ApiRoute>(route: R, call: Call): Promise<R["response"] extends z.ZodType ? z.infer<R["response"]> : never> {
    const body = await this.#send(route, call);
    const schema = route.response as z.ZodType;
    return schema.parse(JSON.parse(body.toString("utf8"))) as never;
  }

  async #send(route: ApiRoute, call: Call): Promise<Buffer> {
    const response = await this.#open(route, call, true);
    const chunks: Buffer[] = [];
    for await (const chunk of response) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks);
  }

  #url(route: ApiRoute, params: Record<string, string> = {}, query: Record<string, string> = {}): URL {
    const path = route.path.replace(/\{(\w+)\}/g, (_, name: string) => encodeURIComponent(params[name] ?? ""));
    const url = new URL(path, this.#base);
    for (const [k, v] of Object.entries(query)) url.searchParams.set(k, v);
    return url;
  }

  /** Sends the request; resolves with a 2xx response, rejects with SandboxApiError otherwise. */
  #open(route: ApiRoute, call: Call, withTimeout: boolean): Promise<IncomingMessage> {
    const url = this.#url(route, call.params, call.query);
    const payload = call.raw ?? (call.body !== undefined ? Buffer.from(JSON.stringify(call.body)) : undefined);
    const contentType = call.raw ? (route.body as { raw: string }).raw : "application/json";
    return new Promise((resolve, reject) => {
      const req = httpsRequest(
        url,
        {
          method: route.method,
          agent: this.#agent,
          headers: {
            authorization: `Bearer ${this.options.key}`,
            ...(payload ? { "content-type": contentType, "content-length": String(payload.length) } : {}),
          },
        },
        (response) => {
          const status = response.statusCode ?? 0;
          if (status >= 200 && status < 300) return resolve(response);
          const chunks: Buffer[] = [];
          response.on("data", (c: Buffer) => chunks.push(c));
          response.on("end", () => {
            const text = Buffer.concat(chunks).toString("utf8");
            const parsed = s.errorBodySchema.safeParse(safeJson(text));
            reject(parsed.success ? new SandboxApiError(status, parsed.data.error.code, parsed.data.error.message, parsed.data.error.hint) : new SandboxApiError(status, `HTTP_${status}`, text.slice(0, 500), "is the URL that of a sandfleet service?"));
          });
          response.on("error", reject);
        },
      );
      if (withTimeout) req.setTimeout(this.options.timeoutMs ?? 120_000, () => req.destroy(new Error(`${route.method} ${url.pathname}: no answer within ${this.options.timeoutMs ?? 120_000} ms`)));
      req.on("error", reject);
      req.end(payload);
    });
  }
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
