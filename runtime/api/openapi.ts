/**
 * /openapi.json: the OpenAPI 3.1 document of the sandbox service, generated from the route table and its zod
 * schemas (z.toJSONSchema; schemas registered in apiSchemaIds become named components), so the document says exactly
 * what the service validates.
 */
import * as z from "zod/v4";
import { API_ROUTES, ApiRoute } from "./routes";
import { apiSchemaIds, errorBodySchema } from "./schemas";

type JsonSchema = Record<string, unknown>;

export function openApiDocument(version: string): JsonSchema {
  const components: Record<string, JsonSchema> = {};
  const schemaOf = (schema: z.ZodType, io: "input" | "output"): JsonSchema => {
    const json = z.toJSONSchema(schema, { target: "draft-2020-12", io, unrepresentable: "any", reused: "inline" }) as JsonSchema;
    delete json.$schema;
    const id = apiSchemaIds.get(schema)?.id;
    if (!id) return json;
    const name = io === "input" && components[id] && JSON.stringify(components[id]) !== JSON.stringify(json) ? `${id}Input` : id;
    components[name] = json;
    return { $ref: `#/components/schemas/${name}` };
  };
  const content = (body: ApiRoute["body"] | ApiRoute["response"], io: "input" | "output") =>
    body === undefined ? undefined : "raw" in (body as object) ? { [(body as { raw: string }).raw]: {} } : { "application/json": { schema: schemaOf(body as z.ZodType, io) } };
  const errorRef = schemaOf(errorBodySchema, "output");
  const paths: Record<string, Record<string, unknown>> = {};
  for (const [operationId, route] of Object.entries(API_ROUTES) as [string, ApiRoute][]) {
    const parameters: unknown[] = [...route.path.matchAll(/\{(\w+)\}/g)].map((m) => ({ name: m[1], in: "path", required: true, schema: { type: "string" } }));
    if (route.query) {
      for (const [name, field] of Object.entries(route.query.shape)) {
        parameters.push({ name, in: "query", required: !(field as z.ZodType).safeParse(undefined).success, schema: schemaOf(field as z.ZodType, "input") });
      }
    }
    const responses: Record<string, unknown> = {
      [String(route.status)]: { description: route.websocket ? "Switching to WebSocket" : "Success", ...(route.response ? { content: content(route.response, "output") } : {}) },
      default: { description: "Error", content: { "application/json": { schema: errorRef } } },
    };
    paths[route.path] ??= {};
    paths[route.path]![route.method.toLowerCase()] = {
      operationId,
      summary: route.summary,
      ...(route.auth ? {} : { security: [] }),
      ...(parameters.length ? { parameters } : {}),
      ...(route.body ? { requestBody: { required: true, content: content(route.body, "input") } } : {}),
      responses,
    };
  }
  return {
    openapi: "3.1.0",
    info: { title: "sandfleet sandbox service", version, description: "Warm gVisor sandboxes over HTTPS. Every error body is the Error schema." },
    components: { schemas: components, securitySchemes: { apiKey: { type: "http", scheme: "bearer", description: "Authorization: Bearer sfk_..." } } },
    security: [{ apiKey: [] }],
    paths,
  };
}
