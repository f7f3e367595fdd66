/** Operations routes: health (no key), the OpenAPI document (no key), status and Prometheus metrics. */
import type { FastifyInstance } from "fastify";
import { Registry } from "prom-client";
import { openApiDocument } from "../../runtime/api/openapi";
import { API_ROUTES } from "../../runtime/api/routes";
import { SCHEMA_VERSION } from "../db/database";
import { apiRoute } from "../route";

export async function opsPlugin(app: FastifyInstance): Promise<void> {
  const { pool, leases, metrics, version } = app.sandfleet;
  const document = JSON.stringify(openApiDocument(version));
  apiRoute(app, API_ROUTES.health, async () => {
    const endpoints = Object.values(pool.status().byEndpoint);
    const endpointsReady = endpoints.filter((e) => e.state === "ready").length;
    return { ok: endpointsReady > 0, endpointsReady, endpoints: endpoints.length };
  });
  apiRoute(app, API_ROUTES.openapi, async ({ reply }) => reply.type("application/json").send(document));
  apiRoute(app, API_ROUTES.status, async () => ({ version, schemaVersion: SCHEMA_VERSION, leases: leases.size, pool: pool.status() }));
  apiRoute(app, API_ROUTES.metrics, async ({ reply }) => {
    const merged = Registry.merge([pool.metrics.registry, metrics.registry]);
    return reply.type(merged.contentType).send(await merged.metrics());
  });
}
