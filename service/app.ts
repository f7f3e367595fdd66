/**
 * The fastify application of the sandbox service: one plugin per concern (plugins/*.ts), the shared state
 * decorated as `app.sandfleet`, and the cross-cutting parts every route shares: the one error body
 * `{ error: { code, message, hint } }`, raw bodies for files and tars (capped at maxUploadBytes: 413), and the
 * audit log row plus metrics written after each answer. Served over TLS only (main.ts); `app.inject()` in tests.
 */
import fastify, { FastifyInstance } from "fastify";
import websocket from "@fastify/websocket";
import { API_ROUTES } from "../runtime/api/routes";
import { ApiError, toApiError } from "./api-error";
import type { ServiceContext } from "./context";
import { authPlugin } from "./plugins/auth";
import { execPlugin } from "./plugins/exec";
import { filesPlugin } from "./plugins/files";
import { keysPlugin } from "./plugins/keys";
import { opsPlugin } from "./plugins/ops";
import { sandboxesPlugin } from "./plugins/sandboxes";
import { egressPlugin } from "./plugins/egress";
import { shellPlugin } from "./plugins/shell";
import { workspacesPlugin } from "./plugins/workspaces";

export interface ServiceAppOptions {
  /** node's https server options: the default pair and the SNI callback (tls-certificates.ts). */
  https?: { key: Buffer; cert: Buffer; SNICallback?: import("node:tls").TlsOptions["SNICallback"] };
}

export async function buildServiceApp(context: ServiceContext, options: ServiceAppOptions = {}): Promise<FastifyInstance> {
  const app = fastify({
    ...(options.https ? { https: options.https } : {}),
    bodyLimit: context.config.maxUploadBytes,
    logger: false,
    // Sandbox ids are container names; nothing in a path is ever longer.
    routerOptions: { maxParamLength: 200 },
    forceCloseConnections: true,
  }) as unknown as FastifyInstance;
  app.decorate("sandfleet", context);
  app.decorateRequest("audit", null as never);
  app.addHook("onRequest", async (request) => {
    request.audit = {};
  });

  // JSON as fastify parses it (prototype-poisoning safe), except that an empty body is no body: clients send
  // `Content-Type: application/json` on a DELETE or a body-less POST all the time.
  const defaultJson = app.getDefaultJsonParser("error", "error");
  app.removeContentTypeParser("application/json");
  app.addContentTypeParser("application/json", { parseAs: "string" }, (request, body, done) => {
    if ((body as string).trim() === "") return done(null, undefined);
    defaultJson(request, body as string, done);
  });
  for (const type of ["application/octet-stream", "application/x-tar"]) {
    app.addContentTypeParser(type, { parseAs: "buffer", bodyLimit: context.config.maxUploadBytes }, (_req, body, done) => done(null, body));
  }

  app.setErrorHandler((err, request, reply) => {
    const error = fastifyError(err, context.config.maxUploadBytes) ?? toApiError(err, request.audit?.endpointId);
    request.audit.outcome = error.code;
    return reply.code(error.status).send(error.body());
  });
  app.setNotFoundHandler((request, reply) => {
    const error = ApiError.of("NOT_FOUND", `no route ${request.method} ${request.url.split("?")[0]}`, "see /openapi.json for the routes");
    request.audit.outcome = error.code;
    return reply.code(404).send(error.body());
  });

  app.addHook("onResponse", async (request, reply) => {
    const route = request.routeOptions.url ?? "unmatched";
    const durationMs = reply.elapsedTime;
    context.metrics.requests.inc({ route, status: String(reply.statusCode) });
    context.metrics.duration.observe({ route }, durationMs / 1000);
    if (route === API_ROUTES.health.path || route === "/metrics") return; // scraped every few seconds: not audited
    context.audit.record({
      keyId: request.audit.key?.id,
      sandboxId: request.audit.sandboxId,
      workspaceId: request.audit.workspaceId,
      endpointId: request.audit.endpointId,
      method: request.method,
      route,
      status: reply.statusCode,
      outcome: request.audit.outcome ?? (reply.statusCode < 400 ? "ok" : `HTTP_${reply.statusCode}`),
      durationMs,
    });
  });

  await app.register(websocket, { options: { maxPayload: 1024 * 1024 } });
  await app.register(authPlugin);
  await app.register(opsPlugin);
  await app.register(sandboxesPlugin);
  await app.register(egressPlugin);
  await app.register(execPlugin);
  await app.register(filesPlugin);
  await app.register(shellPlugin);
  await app.register(keysPlugin);
  await app.register(workspacesPlugin);
  return app;
}

/** fastify's own request errors (body too large, malformed JSON, unsupported media type) in the one error shape. */
function fastifyError(err: unknown, maxUploadBytes: number): ApiError | undefined {
  const code = (err as { code?: string }).code;
  const message = (err as Error).message;
  if (code === "FST_ERR_CTP_BODY_TOO_LARGE") {
    return ApiError.of("PAYLOAD_TOO_LARGE", `the request body is over the service's maxUploadBytes of ${maxUploadBytes} bytes`, "send smaller files, split the archive, or raise maxUploadBytes in the service config");
  }
  if (code === "FST_ERR_CTP_INVALID_JSON_BODY" || (err instanceof SyntaxError && /JSON/.test(message))) {
    return ApiError.of("INVALID_REQUEST", `body: not valid JSON (${message})`, "send a JSON object with Content-Type: application/json");
  }
  if (code === "FST_ERR_CTP_INVALID_MEDIA_TYPE") {
    return ApiError.of("INVALID_REQUEST", `Content-Type: ${message}`, "JSON routes take application/json; files application/octet-stream; archives application/x-tar");
  }
  return undefined;
}
