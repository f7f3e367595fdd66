/**
 * The sandbox service's OpenAPI document, generated from the route table and zod schemas (runtime/api/): every
 * route is in it with its request schema, named components resolve, and the schemas module can be evaluated twice
 * in one process (as test runners do across files), which zod's global id registry would refuse.
 */
import { describe, expect, it, vi } from "vitest";

describe("the sandbox service's OpenAPI document", () => {
  it("lists every route of the table, with resolvable component references", async () => {
    const { openApiDocument } = await import("../../../runtime/api/openapi");
    const { API_ROUTES } = await import("../../../runtime/api/routes");
    const doc = openApiDocument("9.9.9") as { openapi: string; paths: Record<string, Record<string, { operationId: string }>>; components: { schemas: Record<string, unknown> } };
    expect(doc.openapi).toBe("3.1.0");
    for (const [name, route] of Object.entries(API_ROUTES)) expect(doc.paths[route.path]![route.method.toLowerCase()]!.operationId).toBe(name);
    const refs = [...JSON.stringify(doc).matchAll(/"#\/components\/schemas\/(\w+)"/g)].map((m) => m[1]!);
    expect(refs.length).toBeGreaterThan(10);
    for (const ref of refs) expect(doc.components.schemas[ref], ref).toBeDefined();
    expect(doc.components.schemas.ExecRequest).toMatchObject({ type: "object", required: ["argv"], additionalProperties: false });
  });

  it("survives the schemas module being evaluated again in the same process", async () => {
    vi.resetModules();
    const again = await import("../../../runtime/api/openapi");
    expect(() => again.openApiDocument("1")).not.toThrow();
  });
});
